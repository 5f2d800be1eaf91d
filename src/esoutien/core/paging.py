"""Keyset pagination and capped counts for server-rendered lists.

Why not ``Paginator``: page N with OFFSET reads and throws away N × size rows, and its
"page x of y" needs a ``COUNT(*)`` of the whole result. On a million tickets both grow with the
table. Here a page starts *after* the sort key of the last row seen (an opaque, signed cursor
in the URL), which an index answers in the same time at any depth; rows filed meanwhile never
shift or repeat the rows of later pages. The count stops at a cap ("10 000+").

The queryset's own ``order_by`` is the sort: plain field names, annotations (which must never
be NULL) or ``F(...).asc()/desc()`` with explicit nulls placement. The primary key is added as
the last key when missing so that the order is total.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import QueryDict
from django.utils import formats

_SALT = "esoutien.paging"


@dataclass(frozen=True)
class CappedCount:
    value: int
    capped: bool

    def __str__(self) -> str:
        shown = formats.number_format(self.value, force_grouping=True)
        return f"{shown}+" if self.capped else shown


def capped_count(queryset: QuerySet[Any], cap: int | None = None) -> CappedCount:
    """How many rows, counting no further than ``cap`` (one LIMITed subquery)."""
    cap = cap or settings.ESOUTIEN_COUNT_CAP
    n = queryset.order_by().values("pk")[: cap + 1].count()
    return CappedCount(min(n, cap), n > cap)


@dataclass(frozen=True)
class _Key:
    name: str
    descending: bool
    nulls_first: bool | None  # None: the column is never NULL

    def reversed(self) -> _Key:
        return _Key(
            self.name,
            not self.descending,
            None if self.nulls_first is None else not self.nulls_first,
        )

    def order_by(self) -> OrderBy:
        expr = F(self.name)
        if self.nulls_first is None:
            return expr.desc() if self.descending else expr.asc()
        nulls = {"nulls_first": True} if self.nulls_first else {"nulls_last": True}
        return expr.desc(**nulls) if self.descending else expr.asc(**nulls)

    def after(self, value: Any) -> Q:
        """Rows coming strictly after ``value`` on this key alone."""
        if value is None:
            # Among NULLs nothing is strictly after; non-NULLs come after when NULLs are first.
            return Q(**{f"{self.name}__isnull": False}) if self.nulls_first else Q(pk__in=[])
        q = Q(**{f"{self.name}__{'lt' if self.descending else 'gt'}": value})
        if self.nulls_first is False:
            q |= Q(**{f"{self.name}__isnull": True})
        return q

    def equal(self, value: Any) -> Q:
        if value is None:
            return Q(**{f"{self.name}__isnull": True})
        return Q(**{self.name: value})


def _nullable(model: Any, name: str) -> bool:
    try:
        return bool(model._meta.get_field(name).null)
    except FieldDoesNotExist:
        return False  # an annotation: documented as never NULL


def _keys(queryset: QuerySet[Any]) -> list[_Key]:
    ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
    pk_name = queryset.model._meta.pk.name
    keys: list[_Key] = []
    for item in ordering:
        if isinstance(item, str):
            name, descending = item.lstrip("-"), item.startswith("-")
            name = pk_name if name == "pk" else name
            nulls: bool | None = None
            if _nullable(queryset.model, name):
                nulls = False  # NULLs last in both directions, the same on both databases
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            name, descending = item.expression.name, item.descending
            nulls = True if item.nulls_first else False if item.nulls_last else None
            if nulls is None and _nullable(queryset.model, name):
                nulls = False
        else:
            raise ValueError(f"Keyset pagination cannot sort by {item!r}: annotate it first.")
        keys.append(_Key(name, descending, nulls))
    if not any(k.name == pk_name for k in keys):
        keys.append(_Key(pk_name, keys[-1].descending if keys else True, None))
    return keys


def _value(row: Any, name: str) -> Any:
    for part in name.split("__"):
        row = getattr(row, part) if row is not None else None
    return row


def _dump(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"d": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"td": value.total_seconds()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    if hasattr(value, "pk"):
        return value.pk
    return value


def _load(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.datetime.fromisoformat(value["dt"])
        if "d" in value:
            return datetime.date.fromisoformat(value["d"])
        if "td" in value:
            return datetime.timedelta(seconds=value["td"])
        if "dec" in value:
            return Decimal(value["dec"])
        raise ValueError("unknown value")
    return value


def encode_cursor(values: list[Any], backwards: bool) -> str:
    return signing.dumps({"v": [_dump(v) for v in values], "b": backwards}, salt=_SALT)


def decode_cursor(cursor: str) -> tuple[list[Any], bool] | None:
    """The cursor's key values and direction; None when tampered with or malformed."""
    try:
        data = signing.loads(cursor, salt=_SALT)
        return [_load(v) for v in data["v"]], bool(data["b"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def _after(keys: list[_Key], values: list[Any]) -> Q:
    condition = Q(pk__in=[])
    prefix = Q()
    for key, value in zip(keys, values, strict=True):
        condition |= prefix & key.after(value)
        prefix &= key.equal(value)
    # Redundant but index-friendly bound, so that the database seeks instead of scanning from
    # the top: on the first key whose later rows are not all equal to the cursor's (with
    # NULLs last, nothing comes after a NULL, so rows after it share that NULL).
    for key, value in zip(keys, values, strict=True):
        if value is None and key.nulls_first is False:
            condition &= key.equal(None)
            continue
        if value is not None and key.nulls_first is None:
            condition &= Q(**{f"{key.name}__{'lte' if key.descending else 'gte'}": value})
        break
    return condition


@dataclass
class KeysetPage:
    object_list: list[Any]
    next_cursor: str | None = None
    previous_cursor: str | None = None
    count: CappedCount | None = None
    params: QueryDict = field(default_factory=QueryDict)
    cursor_param: str = "cursor"

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def _query(self, cursor: str) -> str:
        params = self.params.copy()
        params[self.cursor_param] = cursor
        return params.urlencode()

    @property
    def next_query(self) -> str:
        return self._query(self.next_cursor) if self.next_cursor else ""

    @property
    def previous_query(self) -> str:
        return self._query(self.previous_cursor) if self.previous_cursor else ""


def keyset_page(
    queryset: QuerySet[Any],
    params: QueryDict,
    *,
    size: int | None = None,
    cursor_param: str = "cursor",
    count: bool = True,
    count_cap: int | None = None,
) -> KeysetPage:
    """The page of ``queryset`` the request's cursor points at (the first page without one).

    A tampered or stale cursor gives the first page, as a bookmark to a vanished page would.
    """
    size = size or settings.ESOUTIEN_PAGE_SIZE
    keys = _keys(queryset)
    decoded = decode_cursor(params.get(cursor_param, "")) if params.get(cursor_param) else None
    if decoded is not None and len(decoded[0]) != len(keys):
        decoded = None
    backwards = bool(decoded and decoded[1])
    walk = [k.reversed() for k in keys] if backwards else keys
    qs = queryset
    if decoded is not None:
        qs = qs.filter(_after(walk, decoded[0]))
    rows = list(qs.order_by(*(k.order_by() for k in walk))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    has_next = (more or decoded is not None) if backwards else more
    has_previous = more if backwards else decoded is not None
    base = params.copy()
    base.pop(cursor_param, None)
    page = KeysetPage(
        object_list=rows,
        params=base,
        cursor_param=cursor_param,
        count=capped_count(queryset, count_cap) if count else None,
    )
    if rows and has_next:
        page.next_cursor = encode_cursor([_value(rows[-1], k.name) for k in keys], False)
    if rows and has_previous:
        page.previous_cursor = encode_cursor([_value(rows[0], k.name) for k in keys], True)
    return page
