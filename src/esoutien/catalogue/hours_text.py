"""Support hours as a sentence ("Monday to Saturday, 8:00 to 18:00, except public holidays").

Built from small translatable pieces, each with a context telling the translator where it
goes, so each language can order words its own way (French: "du lundi au samedi de 8h à
18h, hors jours fériés"). Only the weekly pattern is described, not exceptional dates.
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from django.utils.translation import gettext, pgettext, pgettext_lazy

from esoutien.catalogue.business_hours import BusinessCalendar

if TYPE_CHECKING:
    from esoutien.catalogue.models import SupportCalendar

DAY_MINUTES = 24 * 60

_WEEKDAYS = (
    pgettext_lazy("support hours: weekday", "Monday"),
    pgettext_lazy("support hours: weekday", "Tuesday"),
    pgettext_lazy("support hours: weekday", "Wednesday"),
    pgettext_lazy("support hours: weekday", "Thursday"),
    pgettext_lazy("support hours: weekday", "Friday"),
    pgettext_lazy("support hours: weekday", "Saturday"),
    pgettext_lazy("support hours: weekday", "Sunday"),
)


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _clock(minutes: int) -> str:
    if minutes in (0, DAY_MINUTES):
        return pgettext("support hours: 00:00", "midnight")
    hour, minute = divmod(minutes, 60)
    if minute == 0:
        return pgettext("support hours: a whole hour", "%(hour)d:00") % {"hour": hour}
    return pgettext("support hours: a time", "%(hour)d:%(minute)02d") % {
        "hour": hour,
        "minute": minute,
    }


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return pgettext("support hours: list", "%(list)s and %(last)s") % {
        "list": ", ".join(items[:-1]),
        "last": items[-1],
    }


def _hours(intervals: tuple[tuple[int, int], ...]) -> str:
    if intervals == ((0, DAY_MINUTES),):
        return pgettext("support hours", "all day")
    return _join(
        [
            pgettext("support hours: opening interval", "%(start)s to %(end)s")
            % {"start": _clock(start), "end": _clock(end)}
            for start, end in intervals
        ]
    )


def _days(first: int, last: int) -> str:
    if first == 0 and last == 6:
        return pgettext("support hours", "every day")
    if first == last:
        return pgettext("support hours: one weekday", "%(day)s") % {"day": _WEEKDAYS[first]}
    return pgettext("support hours: range of weekdays", "%(first)s to %(last)s") % {
        "first": _WEEKDAYS[first],
        "last": _WEEKDAYS[last],
    }


def _weekly_pattern(calendar: BusinessCalendar) -> dict[int, tuple[tuple[int, int], ...]]:
    """Each open weekday's intervals in minutes, sorted and merged."""
    by_day: dict[int, list[tuple[int, int]]] = {}
    for weekday, start, end in calendar.weekly:
        begin, finish = _minutes(start), (_minutes(end) if end is not None else 0) or DAY_MINUTES
        if finish > begin:
            by_day.setdefault(weekday, []).append((begin, finish))
    pattern = {}
    for weekday, items in by_day.items():
        merged: list[tuple[int, int]] = []
        for begin, finish in sorted(items):
            if merged and begin <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
            else:
                merged.append((begin, finish))
        pattern[weekday] = tuple(merged)
    return pattern


def describe_hours(calendar: SupportCalendar | BusinessCalendar) -> str:
    """The support hours in the active language, lower-case, ready to follow "Support hours:"."""
    if not isinstance(calendar, BusinessCalendar):
        calendar = calendar.to_business_calendar()
    if calendar.always_open:
        return gettext("24 hours a day, 7 days a week")
    pattern = _weekly_pattern(calendar)
    if not pattern:
        return gettext("no regular support hours")
    runs: list[tuple[int, int, tuple[tuple[int, int], ...]]] = []  # consecutive equal days
    for weekday in sorted(pattern):
        hours = pattern[weekday]
        if runs and runs[-1][1] == weekday - 1 and runs[-1][2] == hours:
            runs[-1] = (runs[-1][0], weekday, hours)
        else:
            runs.append((weekday, weekday, hours))
    text = "; ".join(
        pgettext("support hours: days then hours", "%(days)s, %(hours)s")
        % {"days": _days(first, last), "hours": _hours(hours)}
        for first, last, hours in runs
    )
    if calendar.public_holidays:
        text = gettext("%(hours)s, except public holidays") % {"hours": text}
    if calendar.tz != "Europe/Paris":
        text = gettext("%(hours)s (%(zone)s time)") % {"hours": text, "zone": calendar.tz}
    return text
