"""SLA targets of a ticket's scope, and the support hours in words."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from esoutien.catalogue.business_hours import BusinessCalendar
from esoutien.catalogue.models import (
    CalendarException,
    OpeningInterval,
    SlaPolicy,
    SupportCalendar,
)
from esoutien.catalogue.sla import describe_hours, targets_for, targets_for_policy
from tests.factories import EServiceFactory

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


def _calendar(name: str, days: range, start: time, end: time) -> SupportCalendar:
    calendar = SupportCalendar.objects.create(name=name)
    for day in days:
        OpeningInterval.objects.create(calendar=calendar, weekday=day, start=start, end=end)
    return calendar


@pytest.fixture
def esav() -> Any:
    return EServiceFactory(code="esav-sla")


@pytest.fixture
def week(esav: Any) -> SupportCalendar:
    return _calendar("e-SAV", range(6), time(8), time(18))


def _policy(esav: Any, calendar: SupportCalendar, hours: int, **scope: str) -> SlaPolicy:
    return SlaPolicy.objects.create(
        eservice=esav,
        calendar=calendar,
        take_charge_target=H,
        resolution_target=hours * H,
        **scope,
    )


def test_the_most_specific_policy_wins(esav: Any, week: SupportCalendar) -> None:
    assert targets_for(esav.pk, "minor", "request") is None
    anything = _policy(esav, week, 10)
    requests = _policy(esav, week, 30, kind="request")
    critical = _policy(esav, week, 4, severity="critical")
    critical_request = _policy(esav, week, 2, severity="critical", kind="request")
    assert targets_for(esav.pk, "critical", "request").policy_id == critical_request.pk
    assert targets_for(esav.pk, "critical", "incident").policy_id == critical.pk
    assert targets_for(esav.pk, "minor", "request").policy_id == requests.pk
    assert targets_for(esav.pk, "minor", "incident").policy_id == anything.pk
    assert targets_for(EServiceFactory().pk, "minor", "incident") is None


def test_targets_carry_the_calendar_and_the_pause_statuses(
    esav: Any, week: SupportCalendar
) -> None:
    CalendarException.objects.create(
        calendar=week,
        kind="closed",
        label="Inventaire",
        start_date=date(2026, 8, 10),
        end_date=date(2026, 8, 14),
    )
    CalendarException.objects.create(
        calendar=week,
        kind="open",
        label="Pentecôte",
        start_date=date(2026, 5, 25),
        end_date=date(2026, 5, 25),
        opens=time(9),
        closes=time(12),
    )
    policy = _policy(esav, week, 10)
    targets = targets_for(esav.pk, "major", "incident")
    assert targets is not None
    assert targets.take_charge == H and targets.resolution == 10 * H
    assert targets.pause_statuses == frozenset({"pending"})
    assert targets.calendar == BusinessCalendar(
        tz="Europe/Paris",
        weekly=tuple((day, time(8), time(18)) for day in range(6)),
        public_holidays=True,
        closures=((date(2026, 8, 10), date(2026, 8, 14)),),
        openings=((date(2026, 5, 25), date(2026, 5, 25), time(9), time(12)),),
    )
    policy.pause_statuses = ["pending", "planned"]
    policy.save()
    assert targets_for_policy(policy.pk).pause_statuses == {"pending", "planned"}
    assert targets_for(esav.pk, "major", "incident").pause_statuses == {"pending", "planned"}
    policy.delete()
    assert targets_for_policy(policy.pk) is None


def test_targets_are_cached_until_a_calendar_or_policy_changes(
    esav: Any, week: SupportCalendar
) -> None:
    _policy(esav, week, 10)
    targets_for(esav.pk, "major", "incident")
    with CaptureQueriesContext(connection) as queries:
        assert targets_for(esav.pk, "major", "incident").resolution == 10 * H
    assert len(queries) == 0
    # A change to the calendar's hours is seen at once.
    OpeningInterval.objects.create(calendar=week, weekday=6, start=time(9), end=time(12))
    assert len(targets_for(esav.pk, "major", "incident").calendar.weekly) == 7


def test_describe_hours_in_english(week: SupportCalendar) -> None:
    split = SupportCalendar.objects.create(name="Coupure", closed_on_public_holidays=False)
    for day in range(5):
        OpeningInterval.objects.create(calendar=split, weekday=day, start=time(8), end=time(12))
        OpeningInterval.objects.create(
            calendar=split, weekday=day, start=time(13, 30), end=time(18)
        )
    OpeningInterval.objects.create(calendar=split, weekday=5, start=time(9), end=time(0))
    with translation.override("en"):
        assert describe_hours(week) == "Monday to Saturday, 8:00 to 18:00, except public holidays"
        assert describe_hours(split) == (
            "Monday to Friday, 8:00 to 12:00 and 13:30 to 18:00; Saturday, 9:00 to midnight"
        )
        assert describe_hours(BusinessCalendar(always_open=True)) == (
            "24 hours a day, 7 days a week"
        )
        every_day = BusinessCalendar(
            tz="America/Cayenne", weekly=tuple((d, time(0), None) for d in range(7))
        )
        assert describe_hours(every_day) == (
            "every day, all day, except public holidays (America/Cayenne time)"
        )
        assert describe_hours(BusinessCalendar()) == "no regular support hours"
