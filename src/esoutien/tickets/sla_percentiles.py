"""Median and 90th percentile of the achieved SLA times (business seconds), per operator ×
e-service and over all of them, computed by the database.

PostgreSQL: ``percentile_cont``, an ordered-set aggregate, for every group and — with
``GROUPING SETS`` — for all groups together, in one query. SQLite has no percentile
function: each group's achieved times are ranked with a ``ROW_NUMBER()`` window, the database
returns only the ranks percentile_cont reads (at most two per percentile, known from the
group's count), and the interpolation between those two values is done here with
PostgreSQL's formula, so both databases give the same figures.

Grouping keys are ``operator_id + 0`` and ``eservice_id + 0``: with plain columns SQLite's
planner walks the operator index to spare itself a sort and then fetches every row one by one
— three times slower over a year of a million tickets (bench/sla_report.py). The expression
rules that plan out; PostgreSQL does not care.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Count,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import RowNumber

from esoutien.tickets.models import Ticket

TARGETS = ("take_charge", "resolution")
PERCENTILES = {"median": 0.5, "p90": 0.9}
TOTAL: tuple[Any, ...] = ("total",)  # the key of the all-groups figures

Key = tuple[Any, ...]
Values = dict[str, float | None]


def group_keys() -> dict[str, ExpressionWrapper]:
    return {
        name: ExpressionWrapper(F(column) + Value(0), output_field=BigIntegerField())
        for name, column in (("g0", "operator_id"), ("g1", "eservice_id"))
    }


def timed_counts() -> dict[str, Count]:
    """How many tickets of a group have an achieved time, per target (percentile ranks)."""
    return {f"{target}_timed": Count(f"sla_{target}_seconds") for target in TARGETS}


def percentiles(tickets: QuerySet[Ticket], groups: dict[Key, dict[str, Any]]) -> dict[Key, Values]:
    """The percentiles of each group of ``tickets`` (keyed ``(operator_id, eservice_id)``)
    and of all of them (``TOTAL``). ``groups`` holds each group's ``timed_counts``."""
    if connection.vendor == "postgresql":
        return _percentile_cont(tickets)
    return _ranked(tickets, groups)


def _percentile_cont(tickets: QuerySet[Ticket]) -> dict[Key, Values]:
    columns = {target: F(f"sla_{target}_seconds") for target in TARGETS}
    inner = tickets.values(g0=F("operator_id"), g1=F("eservice_id"), **columns)
    inner_sql, params = inner.query.sql_with_params()
    names = [f"{target}_{name}" for target in TARGETS for name in PERCENTILES]
    aggregates = ", ".join(
        f"PERCENTILE_CONT({fraction!r}) WITHIN GROUP (ORDER BY {target})"
        for target in TARGETS
        for fraction in PERCENTILES.values()
    )
    sql = (
        f"SELECT g0, g1, GROUPING(g0, g1), {aggregates} FROM ({inner_sql}) AS timed "  # noqa: S608 (compiled by the ORM; the rest is constant)
        "GROUP BY GROUPING SETS ((g0, g1), ())"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            (TOTAL if row[2] else (row[0], row[1])): dict(zip(names, row[3:], strict=True))
            for row in cursor.fetchall()
        }


def _ranks(count: int) -> set[int]:
    """The 1-based ranks percentile_cont reads among ``count`` sorted values."""
    ranks: set[int] = set()
    for fraction in PERCENTILES.values():
        low = math.floor((count - 1) * fraction)
        ranks.update(r for r in (low + 1, low + 2) if r <= count)
    return ranks


def _interpolate(count: int, fraction: float, values: Mapping[int, Any]) -> float | None:
    """PostgreSQL's percentile_cont over ``count`` sorted values, of which ``values`` holds
    those at the ranks read: between ⌊h⌋ and ⌈h⌉ (0-based), h = (n - 1) × fraction."""
    if count == 0:
        return None
    h = (count - 1) * fraction
    low = math.floor(h)
    first = float(values[low + 1])
    if h == low:
        return first
    return first + (h - low) * (float(values[low + 2]) - first)


def _percentiles(target: str, count: int, values: Mapping[int, Any]) -> Values:
    return {
        f"{target}_{name}": _interpolate(count, fraction, values)
        for name, fraction in PERCENTILES.items()
    }


def _ranked(tickets: QuerySet[Ticket], groups: dict[Key, dict[str, Any]]) -> dict[Key, Values]:
    """SQLite: one query ranks both targets' times inside each group (and over all groups
    when there are several) and returns only the rows at the ranks to read: a few hundred
    rows, whatever the number of tickets."""
    keys = group_keys()
    partition = [F(name) for name in keys]
    counts = {
        target: {key: int(group[f"{target}_timed"]) for key, group in groups.items()}
        for target in TARGETS
    }
    with_total = len(groups) > 1
    windows: dict[str, Window] = {}
    wanted = Q()
    for target in TARGETS:
        # NULLs last: the n achieved times of a group hold ranks 1..n.
        order = F(f"sla_{target}_seconds").asc(nulls_last=True)
        windows[f"{target}_rank"] = Window(RowNumber(), partition_by=partition, order_by=order)
        ranks = set().union(*(_ranks(n) for n in counts[target].values()))
        wanted |= Q(**{f"{target}_rank__in": sorted(ranks)})
        if with_total:
            windows[f"{target}_overall"] = Window(RowNumber(), order_by=order)
            total = sum(counts[target].values())
            wanted |= Q(**{f"{target}_overall__in": sorted(_ranks(total))})
    columns = [f"sla_{target}_seconds" for target in TARGETS]
    rows = list(
        tickets.annotate(**keys)
        .annotate(**windows)
        .filter(wanted)
        .values(*keys, *columns, *windows)
    )
    result: dict[Key, Values] = {key: {} for key in groups}
    for target in TARGETS:
        column = f"sla_{target}_seconds"
        by_group: dict[Key, dict[int, Any]] = {key: {} for key in groups}
        overall: dict[int, Any] = {}
        for row in rows:  # the rows at the wanted ranks only
            by_group[(row["g0"], row["g1"])][row[f"{target}_rank"]] = row[column]
            if with_total:
                overall[row[f"{target}_overall"]] = row[column]
        for key, count in counts[target].items():
            result[key] |= _percentiles(target, count, by_group[key])
        if with_total:
            total = sum(counts[target].values())
            result.setdefault(TOTAL, {}).update(_percentiles(target, total, overall))
    return result
