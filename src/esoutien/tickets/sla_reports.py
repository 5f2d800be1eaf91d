"""SLA reports: per operator × e-service, over one calendar month or twelve, the share of
tickets taken in charge and resolved on time, the median and 90th percentile of the business
times achieved, and the breaches; plus the month-by-month series the chart draws.

Everything is computed by the database over the figures the workflow stores on each ticket
(``Ticket.sla_*``, see tickets/sla.py): counts are filtered ``COUNT``s grouped in the
database, percentiles come from ``sla_percentiles`` (PostgreSQL's ``percentile_cont``, or a
``ROW_NUMBER()`` window on SQLite). Python only handles the grouped results (at most one row
per operator × e-service, or per month), never the tickets.

What counts (also in docs/reports.md): a ticket belongs to the Europe/Paris calendar month
of its filing (``created_at``). For each target (take charge, resolution), a ticket is
*on time* when the target was met without breach (achieved seconds stored, not breached),
*late* when breached (met late, or still not met past its deadline), *not yet known*
otherwise (still within its target, never taken: cancelled or rejected, or no SLA policy).
The on-time share is on time / (on time + late); unknown outcomes count in "tickets" only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from esoutien.accounts import access
from esoutien.accounts.models import Operator
from esoutien.catalogue.models import EService
from esoutien.core import clock
from esoutien.tickets import sla_percentiles
from esoutien.tickets.models import Ticket

PARIS = ZoneInfo("Europe/Paris")
TARGETS = sla_percentiles.TARGETS
TREND_MONTHS = 12


# --- Periods ----------------------------------------------------------------------------------


def add_months(month: date, n: int) -> date:
    """The first day of the month ``n`` months after ``month``'s."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def current_month() -> date:
    return timezone.localtime(clock.now(), PARIS).date().replace(day=1)


def paris_midnight(day: date) -> datetime:
    # Paris changes its clocks at 02:00/03:00, so local midnight always exists, once.
    return datetime(day.year, day.month, day.day, tzinfo=PARIS)


@dataclass(frozen=True)
class Period:
    """``months`` whole Europe/Paris calendar months ending with ``last`` (a first day)."""

    last: date
    months: int = 1

    @property
    def first(self) -> date:
        return add_months(self.last, 1 - self.months)

    @property
    def month_starts(self) -> list[date]:
        return [add_months(self.first, k) for k in range(self.months)]

    @property
    def start(self) -> datetime:
        return paris_midnight(self.first)

    @property
    def end(self) -> datetime:
        return paris_midnight(add_months(self.last, 1))

    @property
    def iso(self) -> str:
        """ISO 8601: ``2025-03``, or the interval ``2024-04/2025-03``."""
        if self.months == 1:
            return f"{self.last:%Y-%m}"
        return f"{self.first:%Y-%m}/{self.last:%Y-%m}"


# --- Figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """The SLA figures of a set of tickets. Times are business seconds (None: no data)."""

    tickets: int = 0
    take_charge_on_time: int = 0
    take_charge_breaches: int = 0
    resolution_on_time: int = 0
    resolution_breaches: int = 0
    take_charge_median: float | None = None
    take_charge_p90: float | None = None
    resolution_median: float | None = None
    resolution_p90: float | None = None

    @property
    def take_charge_measured(self) -> int:
        """Tickets whose take-charge outcome is known (on time or late)."""
        return self.take_charge_on_time + self.take_charge_breaches

    @property
    def resolution_measured(self) -> int:
        return self.resolution_on_time + self.resolution_breaches

    @property
    def take_charge_share(self) -> float | None:
        return _share(self.take_charge_on_time, self.take_charge_measured)

    @property
    def resolution_share(self) -> float | None:
        return _share(self.resolution_on_time, self.resolution_measured)

    @property
    def breaches(self) -> int:
        return self.take_charge_breaches + self.resolution_breaches


COUNT_FIELDS = (
    "tickets",
    "take_charge_on_time",
    "take_charge_breaches",
    "resolution_on_time",
    "resolution_breaches",
)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class ReportRow:
    operator: Operator
    eservice: EService
    figures: Figures


@dataclass(frozen=True)
class TrendPoint:
    month: date  # first day
    figures: Figures  # counts only: the series has no percentiles


@dataclass(frozen=True)
class SlaReport:
    period: Period
    rows: list[ReportRow]
    total: Figures
    trend: list[TrendPoint] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return self.total.tickets == 0


# --- Queries ----------------------------------------------------------------------------------


def _counts() -> dict[str, Count]:
    # Conditions follow tickets/sla.py: "breached" is set when the deadline passed, met or
    # not; the achieved seconds once the target is met. Counting created_at (never null)
    # rather than the id lets PostgreSQL answer from an index holding the report's columns
    # without reading the table (docs/reports.md, "Performance").
    counts = {"tickets": Count("created_at")}
    for target in TARGETS:
        met = Q(**{f"sla_{target}_seconds__isnull": False})
        late = Q(**{f"sla_{target}_breached": True})
        counts[f"{target}_on_time"] = Count("created_at", filter=met & ~late)
        counts[f"{target}_breaches"] = Count("created_at", filter=late)
    return counts


def _scoped(user: Any, operator_id: int | None, eservice_id: int | None) -> QuerySet[Ticket]:
    scope = access.sla_report_scope(user)
    tickets = Ticket.objects.filter(scope if scope is not None else Q(pk__in=[]))
    if operator_id is not None:
        tickets = tickets.filter(operator_id=operator_id)
    if eservice_id is not None:
        tickets = tickets.filter(eservice_id=eservice_id)
    return tickets.order_by()


def _filed_in(tickets: QuerySet[Ticket], period: Period) -> QuerySet[Ticket]:
    return tickets.filter(created_at__gte=period.start, created_at__lt=period.end)


def _figures(values: dict[str, Any]) -> Figures:
    return Figures(**{k: v for k, v in values.items() if k in Figures.__dataclass_fields__})


def _month_of(trend: Period) -> Case:
    """The index in ``trend`` of a ticket's filing month, by comparing its filing date with
    the (Paris) month boundaries: no time-zone conversion in the database."""
    return Case(
        *[
            When(created_at__lt=paris_midnight(add_months(month, 1)), then=Value(k))
            for k, month in enumerate(trend.month_starts)
        ],
        output_field=IntegerField(),
    )


SUMMED = (*COUNT_FIELDS, *sla_percentiles.timed_counts())


def _add_up(cells: Iterable[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Counts of finer groups summed by ``keys`` (a few hundred grouped rows, not tickets)."""
    sums: dict[tuple[Any, ...], dict[str, Any]] = {}
    for cell in cells:
        key = tuple(cell[k] for k in keys)
        into = sums.setdefault(key, dict(zip(keys, key, strict=True)) | dict.fromkeys(SUMMED, 0))
        for name in SUMMED:
            into[name] += cell[name]
    return list(sums.values())


def _grouped_counts(
    tickets: QuerySet[Ticket], period: Period, trend: Period | None
) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    """Counts per operator × e-service over ``period``, and per month over ``trend``.

    PostgreSQL aggregates with a hash table: one query grouped by month × operator ×
    e-service gives both (the trend's months include the period's), one scan instead of two.
    SQLite groups by sorting, and sorting the year's tickets once per key is the larger
    cost: a small query for the period, another by month only.
    """
    counts = {**_counts(), **sla_percentiles.timed_counts()}
    keys = sla_percentiles.group_keys()
    covers = trend is not None and trend.end == period.end and trend.months >= period.months
    if trend is not None and covers and connection.vendor == "postgresql":
        cells = list(
            _filed_in(tickets, trend)
            .annotate(month=_month_of(trend))
            .values("month", **keys)
            .annotate(**counts)
        )
        first = trend.months - period.months
        grouped = _add_up((c for c in cells if c["month"] >= first), tuple(keys))
        return grouped, {m["month"]: m for m in _add_up(cells, ("month",))}
    grouped = list(_filed_in(tickets, period).values(**keys).annotate(**counts))
    monthly: dict[int, dict[str, Any]] = {}
    if trend is not None:
        monthly = {
            m["month"]: m
            for m in _filed_in(tickets, trend)
            .annotate(month=_month_of(trend))
            .values("month")
            .annotate(**_counts())
        }
    return grouped, monthly


def _rows(
    tickets: QuerySet[Ticket], grouped: list[dict[str, Any]]
) -> tuple[list[ReportRow], Figures]:
    """The rows of ``tickets`` (limited to the period) from their ``grouped`` counts, and
    their total."""
    if not grouped:
        return [], Figures()
    timed = {(g["g0"], g["g1"]): g for g in grouped}
    percentiles = sla_percentiles.percentiles(tickets, timed)
    operators = Operator.objects.in_bulk({g["g0"] for g in grouped})
    eservices = EService.objects.in_bulk({g["g1"] for g in grouped})
    rows = [
        ReportRow(
            operators[g["g0"]],
            eservices[g["g1"]],
            _figures(g | percentiles.get((g["g0"], g["g1"]), {})),
        )
        for g in grouped
    ]
    rows.sort(key=lambda r: (r.operator.code, r.eservice.name, r.eservice.pk))
    if len(rows) == 1:
        return rows, rows[0].figures
    # Counts add up; percentiles do not: they were computed over all the tickets.
    total = {f: sum(g[f] for g in grouped) for f in COUNT_FIELDS}
    return rows, _figures(total | percentiles.get(sla_percentiles.TOTAL, {}))


def sla_report(
    user: Any,
    period: Period,
    *,
    operator_id: int | None = None,
    eservice_id: int | None = None,
    trend_months: int = TREND_MONTHS,
) -> SlaReport:
    """The report ``user`` may see: rows per operator × e-service over ``period``, their
    total, and the monthly series over the ``trend_months`` ending with the period's last."""
    tickets = _scoped(user, operator_id, eservice_id)
    trend = Period(period.last, trend_months) if trend_months else None
    grouped, monthly = _grouped_counts(tickets, period, trend)
    rows, total = _rows(_filed_in(tickets, period), grouped)
    points = [
        TrendPoint(month, _figures(monthly.get(k, {})))
        for k, month in enumerate(trend.month_starts if trend else [])
    ]
    return SlaReport(period, rows, total, points)
