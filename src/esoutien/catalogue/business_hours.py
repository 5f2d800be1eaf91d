"""Business-time arithmetic over support calendars (pure: no ORM, no clock, no settings).

Semantics (documented in docs/sla.md):

* Opening intervals are wall-clock times in the calendar's zone; business time is the real
  elapsed time inside them. On a daylight-saving Sunday an 08:00-18:00 interval is still
  ten hours, and a 00:00-midnight interval is 23 or 25 hours. Wall-clock times that fall in
  a spring gap or an autumn overlap are resolved with zoneinfo's ``fold=0`` rule (the offset
  in force before the change), so a 02:00-03:00 interval is empty in spring and two hours
  long in autumn.
* For a given local date, an exceptional opening replaces everything else (weekly pattern,
  public holiday, exceptional closure); otherwise an exceptional closure or (when enabled)
  a French public holiday closes the day; otherwise the weekly pattern applies.
* ``always_open`` means continuous: business time equals elapsed time and nothing else in
  the calendar matters.

Each local calendar year is turned once into a sorted table of UTC intervals with running
totals (cached), so adding or measuring business time is a binary search per year touched:
spans of years cost a few table look-ups, not a loop over days.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "BusinessCalendar",
    "add_business_time",
    "business_time_between",
    "french_public_holidays",
    "open_intervals",
]

_ZERO = timedelta(0)
_MIDNIGHT = time(0)

Interval = tuple[time, time | None]


@dataclass(frozen=True)
class BusinessCalendar:
    """An immutable (hashable) description of support hours."""

    tz: str = "Europe/Paris"
    # (weekday 0=Monday..6, start, end); end ``None`` or 00:00 means midnight.
    weekly: tuple[tuple[int, time, time | None], ...] = ()
    always_open: bool = False
    public_holidays: bool = True
    # Inclusive date ranges closed.
    closures: tuple[tuple[date, date], ...] = ()
    # Inclusive date ranges open with these hours, replacing the weekly pattern.
    openings: tuple[tuple[date, date, time, time | None], ...] = ()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone: {self.tz!r}") from exc

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def has_weekly_hours(self) -> bool:
        return any(_length_positive(start, end) for _, start, end in self.weekly)


@dataclass(frozen=True)
class _YearTable:
    starts: tuple[datetime, ...]
    ends: tuple[datetime, ...]
    # before[i]: business time in the year before interval i; before[-1] is the year total.
    before: tuple[timedelta, ...]

    @property
    def total(self) -> timedelta:
        return self.before[-1]

    def position(self, moment: datetime) -> timedelta:
        """Business time from the start of the year's table up to ``moment``."""
        idx = bisect_right(self.ends, moment)
        pos = self.before[idx]
        if idx < len(self.starts) and self.starts[idx] < moment:
            pos += moment - self.starts[idx]
        return pos

    def moment_at(self, pos: timedelta) -> datetime:
        """The earliest moment at which ``pos`` (0 < pos <= total) business time is reached."""
        # before[j + 1] is the running total at the end of interval j.
        j = bisect_left(self.before, pos, lo=1) - 1
        return self.starts[j] + (pos - self.before[j])


def _length_positive(start: time, end: time | None) -> bool:
    return end is None or end == _MIDNIGHT or end > start


@lru_cache(maxsize=64)
def french_public_holidays(year: int) -> frozenset[date]:
    """French (national) public holidays of ``year``."""
    # Imported on first use: the package takes ~0.4 s to import, which every command and
    # worker start would otherwise pay.
    import holidays

    return frozenset(holidays.France(years=year, language="fr").keys())


def _interval_to_utc(
    day: date, start: time, end: time | None, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    begin = datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
    if end is None or end == _MIDNIGHT:
        finish = datetime.combine(day + timedelta(days=1), _MIDNIGHT, tzinfo=zone).astimezone(UTC)
    else:
        finish = datetime.combine(day, end, tzinfo=zone).astimezone(UTC)
    return begin, finish


def _days_in(first: date, last: date, year: int) -> Iterator[date]:
    lo = max(first, date(year, 1, 1))
    hi = min(last, date(year, 12, 31))
    day = lo
    while day <= hi:
        yield day
        day += timedelta(days=1)


@lru_cache(maxsize=256)
def _year_table(calendar: BusinessCalendar, year: int) -> _YearTable:
    zone = calendar.zone
    weekly: dict[int, list[Interval]] = {}
    for weekday, start, end in calendar.weekly:
        weekly.setdefault(weekday, []).append((start, end))
    special: dict[date, list[Interval]] = {}
    for first, last, opens, closes in calendar.openings:
        for day in _days_in(first, last, year):
            special.setdefault(day, []).append((opens, closes))
    closed: set[date] = set()
    for first, last in calendar.closures:
        closed.update(_days_in(first, last, year))
    if calendar.public_holidays:
        closed |= french_public_holidays(year)

    raw: list[tuple[datetime, datetime]] = []
    day = date(year, 1, 1)
    one_day = timedelta(days=1)
    while day.year == year:
        if day in special:
            hours = special[day]
        elif day in closed:
            hours = []
        else:
            hours = weekly.get(day.weekday(), [])
        for start, end in hours:
            begin, finish = _interval_to_utc(day, start, end, zone)
            if finish > begin:
                raw.append((begin, finish))
        day += one_day

    raw.sort()
    starts: list[datetime] = []
    ends: list[datetime] = []
    for begin, finish in raw:
        if ends and begin <= ends[-1]:  # overlapping or adjacent: merge
            if finish > ends[-1]:
                ends[-1] = finish
            continue
        starts.append(begin)
        ends.append(finish)
    before = [_ZERO]
    for begin, finish in zip(starts, ends, strict=True):
        before.append(before[-1] + (finish - begin))
    return _YearTable(tuple(starts), tuple(ends), tuple(before))


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
    return moment.astimezone(UTC)


def _last_opening_year(calendar: BusinessCalendar) -> int | None:
    """The last year with any opening time, or None if open every year (weekly hours)."""
    if calendar.has_weekly_hours:
        return None
    years = [
        last.year for _, last, opens, closes in calendar.openings if _length_positive(opens, closes)
    ]
    return max(years) if years else -1


def add_business_time(start: datetime, duration: timedelta, calendar: BusinessCalendar) -> datetime:
    """The moment ``duration`` of business time after ``start`` (aware UTC).

    A zero duration returns ``start`` unchanged; a start outside support hours counts from
    the next opening. A result that lands exactly on the end of an interval stays there
    (Friday 17:00 + 1 h on an 08:00-18:00 calendar is Friday 18:00, not Monday).
    """
    if duration < _ZERO:
        raise ValueError("duration must not be negative")
    moment = _utc(start, "start")
    if duration == _ZERO:
        return start
    if calendar.always_open:
        return moment + duration
    last_year = _last_opening_year(calendar)
    if last_year == -1:
        raise ValueError("the calendar has no opening time")
    zone = calendar.zone
    year = moment.astimezone(zone).year
    table = _year_table(calendar, year)
    target = table.position(moment) + duration
    while target > table.total:
        target -= table.total
        year += 1
        if last_year is not None and year > last_year:
            raise ValueError("the calendar has no opening time after its last exceptional opening")
        table = _year_table(calendar, year)
    return table.moment_at(target)


def business_time_between(a: datetime, b: datetime, calendar: BusinessCalendar) -> timedelta:
    """Business time elapsed from ``a`` to ``b``; zero when ``b`` is not after ``a``."""
    first, last = _utc(a, "a"), _utc(b, "b")
    if last <= first:
        return _ZERO
    if calendar.always_open:
        return last - first
    zone = calendar.zone
    year_a = first.astimezone(zone).year
    year_b = last.astimezone(zone).year
    total = _year_table(calendar, year_b).position(last) - _year_table(calendar, year_a).position(
        first
    )
    for year in range(year_a, year_b):
        total += _year_table(calendar, year).total
    return total


def open_intervals(
    a: datetime, b: datetime, calendar: BusinessCalendar
) -> Iterator[tuple[datetime, datetime]]:
    """The open intervals (aware UTC, ascending, clipped to [a, b)) between ``a`` and ``b``."""
    first, last = _utc(a, "a"), _utc(b, "b")
    if last <= first:
        return
    if calendar.always_open:
        yield first, last
        return
    zone = calendar.zone
    for year in range(first.astimezone(zone).year, last.astimezone(zone).year + 1):
        table = _year_table(calendar, year)
        idx = bisect_right(table.ends, first)
        while idx < len(table.starts) and table.starts[idx] < last:
            yield max(table.starts[idx], first), min(table.ends[idx], last)
            idx += 1
