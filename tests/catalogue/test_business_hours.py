"""Business-time arithmetic: hand-computed cases and properties (pure, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esoutien.catalogue.business_hours import (
    BusinessCalendar,
    add_business_time,
    business_time_between,
    open_intervals,
)

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)

ESAV = BusinessCalendar(weekly=tuple((day, time(8), time(18)) for day in range(6)))
FTTE = BusinessCalendar(weekly=tuple((day, time(8), time(18)) for day in range(5)))
SPLIT = BusinessCalendar(
    weekly=tuple(
        (day, start, end)
        for day in range(5)
        for start, end in ((time(8), time(12)), (time(13, 30), time(18)))
    )
)
NIGHTS = BusinessCalendar(  # 20:00 to midnight every day, midnight given as 00:00 or None
    weekly=tuple((day, time(20), time(0) if day % 2 else None) for day in range(7)),
    public_holidays=False,
)
ALWAYS = BusinessCalendar(always_open=True)
ALL_DAY = BusinessCalendar(
    weekly=tuple((day, time(0), None) for day in range(7)), public_holidays=False
)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


# --- Hand-computed cases --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "expected"),
    [
        # Friday 17:30 + 1 business hour on e-SAV (Mon-Sat 08-18): Saturday 08:30.
        (ESAV, paris(2025, 11, 28, 17, 30), H, paris(2025, 11, 29, 8, 30)),
        # Same on Éligibilité FTTE (Mon-Fri): the next Monday.
        (FTTE, paris(2025, 11, 28, 17, 30), H, paris(2025, 12, 1, 8, 30)),
        # Thursday before Easter Monday 2027 (29 March): Friday is open, Monday is not.
        (FTTE, paris(2027, 3, 25, 17), 2 * H, paris(2027, 3, 26, 9)),
        (FTTE, paris(2027, 3, 25, 17), 12 * H, paris(2027, 3, 30, 9)),
        (ESAV, paris(2027, 3, 25, 17), 22 * H, paris(2027, 3, 30, 9)),
        # 14 July 2026 is a Tuesday: from Monday 17:00, 4 hours end on Wednesday 11:00.
        (FTTE, paris(2026, 7, 13, 17), 4 * H, paris(2026, 7, 15, 11)),
        # 1 May 2026 is a Friday: e-SAV goes on to Saturday 2 May.
        (ESAV, paris(2026, 4, 30, 16), 4 * H, paris(2026, 5, 2, 10)),
        (FTTE, paris(2026, 4, 30, 16), 4 * H, paris(2026, 5, 4, 10)),
        # Split day 08:00-12:00 + 13:30-18:00.
        (SPLIT, paris(2026, 3, 2, 11), 2 * H, paris(2026, 3, 2, 14, 30)),
        (SPLIT, paris(2026, 3, 2, 12, 15), H, paris(2026, 3, 2, 14, 30)),
        (SPLIT, paris(2026, 3, 2, 8), timedelta(hours=8, minutes=30), paris(2026, 3, 2, 18)),
        # Exactly the end of an interval stays there (not the next opening).
        (ESAV, paris(2026, 3, 2, 17), H, paris(2026, 3, 2, 18)),
        # Outside hours: counts from the next opening (Sunday night -> Monday 08:00).
        (ESAV, paris(2026, 3, 1, 23), timedelta(minutes=1), paris(2026, 3, 2, 8, 1)),
        # Intervals ending at midnight (00:00 or None), across a year boundary.
        (NIGHTS, paris(2026, 12, 31, 23), 2 * H, paris(2027, 1, 1, 21)),
        # Spans of years: 2026 holds 303 e-SAV days (see below), the last on Thursday 31 Dec.
        (ESAV, paris(2026, 1, 1), 3030 * H, paris(2026, 12, 31, 18)),
        # From Monday 5 January 2026 (2 open days already gone): 3010 h in 2026, then
        # Saturday 2 and Monday 4 January 2027 (1 January is a holiday), then 5 h.
        (ESAV, paris(2026, 1, 5, 8), 3035 * H, paris(2027, 1, 5, 13)),
    ],
)
def test_add_business_time_hand_computed(
    calendar: BusinessCalendar, start: datetime, duration: timedelta, expected: datetime
) -> None:
    result = add_business_time(start, duration, calendar)
    assert result == expected
    assert result.tzinfo is UTC
    assert business_time_between(start, result, calendar) == duration


def test_a_year_of_esav_hours_counts_every_open_day() -> None:
    # 2026: 313 Mondays-to-Saturdays; public holidays on them: 1 Jan, 6 Apr, 1 May, 8 May,
    # 14 May, 25 May, 14 Jul, 15 Aug, 11 Nov, 25 Dec (1 Nov is a Sunday) -> 303 days.
    total = business_time_between(paris(2026, 1, 1), paris(2027, 1, 1), ESAV)
    assert total == 303 * 10 * H


def test_24_7_equals_elapsed_utc_time_across_dst() -> None:
    start, end = paris(2025, 3, 29, 12), paris(2025, 3, 31, 12)
    assert business_time_between(start, end, ALWAYS) == 47 * H
    assert add_business_time(start, 47 * H, ALWAYS) == end
    autumn_start, autumn_end = paris(2025, 10, 25, 12), paris(2025, 10, 27, 12)
    assert business_time_between(autumn_start, autumn_end, ALWAYS) == 49 * H
    # A 00:00-midnight weekly calendar measures the same thing.
    assert business_time_between(start, end, ALL_DAY) == 47 * H
    assert business_time_between(autumn_start, autumn_end, ALL_DAY) == 49 * H


@pytest.mark.parametrize(
    ("spring", "autumn"),
    [
        (date(2025, 3, 30), date(2025, 10, 26)),
        (date(2026, 3, 29), date(2026, 10, 25)),
        (date(2027, 3, 28), date(2027, 10, 31)),
        (date(2028, 3, 26), date(2028, 10, 29)),
    ],
)
def test_dst_sundays(spring: date, autumn: date) -> None:
    sunday_hours = BusinessCalendar(
        weekly=((6, time(1), time(4)), (6, time(8), time(18))), public_holidays=False
    )
    for day, night in ((spring, 2 * H), (autumn, 4 * H)):
        start = datetime.combine(day, time(0), tzinfo=PARIS)
        end = start + timedelta(days=1)
        # Wall-clock 01:00-04:00 is 2 real hours in spring, 4 in autumn; 08-18 stays 10 h.
        assert business_time_between(start, end, sunday_hours) == night + 10 * H
        assert add_business_time(start, night + H, sunday_hours) == datetime.combine(
            day, time(9), tzinfo=PARIS
        )
    # A wall-clock interval inside the spring gap is empty; in the autumn overlap it lasts
    # two hours (02:00 first occurrence to 03:00).
    gap = BusinessCalendar(weekly=((6, time(2), time(3)),), public_holidays=False)
    spring_day = datetime.combine(spring, time(0), tzinfo=PARIS)
    autumn_day = datetime.combine(autumn, time(0), tzinfo=PARIS)
    assert business_time_between(spring_day, spring_day + timedelta(days=1), gap) == timedelta(0)
    assert business_time_between(autumn_day, autumn_day + timedelta(days=1), gap) == 2 * H


def test_closures_and_exceptional_openings() -> None:
    calendar = BusinessCalendar(
        weekly=FTTE.weekly,
        closures=((date(2026, 12, 24), date(2026, 12, 31)),),
        # Open on Saturday 26 December morning despite the closure, and on Whit Monday.
        openings=(
            (date(2026, 12, 26), date(2026, 12, 26), time(9), time(12)),
            (date(2026, 5, 25), date(2026, 5, 25), time(10), time(0)),
        ),
    )
    assert add_business_time(paris(2026, 12, 23, 17), 2 * H, calendar) == paris(2026, 12, 26, 10)
    # 1 January is a holiday, so after Saturday it is Monday 4 January.
    assert add_business_time(paris(2026, 12, 26, 11), 2 * H, calendar) == paris(2027, 1, 4, 9)
    assert business_time_between(paris(2026, 5, 25), paris(2026, 5, 26), calendar) == 14 * H


def test_open_intervals_are_utc_and_clipped() -> None:
    intervals = list(open_intervals(paris(2026, 3, 2, 10), paris(2026, 3, 3, 9), SPLIT))
    assert intervals == [
        (datetime(2026, 3, 2, 9, tzinfo=UTC), datetime(2026, 3, 2, 11, tzinfo=UTC)),
        (datetime(2026, 3, 2, 12, 30, tzinfo=UTC), datetime(2026, 3, 2, 17, tzinfo=UTC)),
        (datetime(2026, 3, 3, 7, tzinfo=UTC), datetime(2026, 3, 3, 8, tzinfo=UTC)),
    ]
    assert list(open_intervals(paris(2026, 3, 3), paris(2026, 3, 2), SPLIT)) == []


def test_zero_and_bad_input() -> None:
    start = paris(2026, 3, 1, 23)  # a Sunday night: outside hours
    assert add_business_time(start, timedelta(0), ESAV) is start
    assert business_time_between(paris(2026, 3, 3), paris(2026, 3, 2), ESAV) == timedelta(0)
    with pytest.raises(ValueError, match="no opening"):
        add_business_time(start, H, BusinessCalendar())
    assert business_time_between(start, start + 50 * H, BusinessCalendar()) == timedelta(0)
    only_once = BusinessCalendar(
        openings=((date(2026, 3, 2), date(2026, 3, 2), time(9), time(10)),)
    )
    assert add_business_time(start, H, only_once) == paris(2026, 3, 2, 10)
    with pytest.raises(ValueError, match="no opening"):
        add_business_time(start, 2 * H, only_once)
    with pytest.raises(ValueError, match="aware"):
        add_business_time(datetime(2026, 3, 2, 9), H, ESAV)
    with pytest.raises(ValueError, match="negative"):
        add_business_time(start, -H, ESAV)
    with pytest.raises(ValueError, match="time zone"):
        BusinessCalendar(tz="Europe/Atlantis")


# --- Properties -----------------------------------------------------------------------------

calendars = st.sampled_from([ESAV, FTTE, SPLIT, NIGHTS, ALWAYS, ALL_DAY])
# Any minute from 2024 to 2029, sampled in UTC so DST nights are covered uniformly.
starts = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(second=0, microsecond=0))
durations = st.integers(min_value=1, max_value=60 * 24 * 400).map(
    lambda minutes: timedelta(minutes=minutes)
)


@settings(max_examples=300, deadline=None)
@given(calendars, starts, durations, durations)
def test_additivity(
    calendar: BusinessCalendar, start: datetime, a: timedelta, b: timedelta
) -> None:
    assert add_business_time(add_business_time(start, a, calendar), b, calendar) == (
        add_business_time(start, a + b, calendar)
    )


@settings(max_examples=300, deadline=None)
@given(calendars, starts, durations)
def test_inverse(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> None:
    assert business_time_between(start, add_business_time(start, duration, calendar), calendar) == (
        duration
    )


@settings(max_examples=300, deadline=None)
@given(calendars, starts, durations, durations)
def test_monotonic(calendar: BusinessCalendar, start: datetime, a: timedelta, b: timedelta) -> None:
    shorter, longer = sorted((a, b))
    assert add_business_time(start, shorter, calendar) <= add_business_time(start, longer, calendar)
    later = start + shorter
    assert add_business_time(start, a, calendar) <= add_business_time(later, a, calendar)
    assert business_time_between(start, later, calendar) <= later - start


@settings(max_examples=200, deadline=None)
@given(calendars, starts, durations)
def test_results_fall_inside_opening_hours(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    """An outside-hours start counts from the next opening; the result is in an interval."""
    result = add_business_time(start, duration, calendar)
    window = list(open_intervals(start, result, calendar))
    assert window and window[-1][1] == result
    assert sum((end - begin for begin, end in window), timedelta(0)) == duration
    if not calendar.always_open:
        first_opening = next(open_intervals(start, start + timedelta(days=30), calendar))[0]
        assert add_business_time(start, duration, calendar) == add_business_time(
            first_opening, duration, calendar
        )
