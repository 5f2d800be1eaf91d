"""Bad support calendars and SLA policies are refused, by the model and in the admin."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from esoutien.catalogue.models import (
    CalendarException,
    OpeningInterval,
    SlaPolicy,
    SupportCalendar,
)
from tests.factories import EServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Model validation -----------------------------------------------------------------------


def test_a_calendar_never_open_is_refused() -> None:
    calendar = SupportCalendar.objects.create(name="Jamais")
    with pytest.raises(ValidationError, match="at least one weekly opening interval"):
        calendar.validate_openings()
    calendar.always_open = True
    calendar.validate_openings()  # 24/7 needs no interval
    calendar.always_open = False
    OpeningInterval.objects.create(calendar=calendar, weekday=0, start=time(8), end=time(18))
    calendar.validate_openings()


def test_an_unknown_time_zone_is_refused() -> None:
    calendar = SupportCalendar(name="Atlantide", timezone="Europe/Atlantis")
    with pytest.raises(ValidationError) as caught:
        calendar.full_clean()
    assert "not a known time zone" in _messages(caught.value)
    SupportCalendar(name="Réunion", timezone="Indian/Reunion").full_clean()


def test_interval_end_before_start_is_refused_but_midnight_is_allowed() -> None:
    calendar = SupportCalendar.objects.create(name="Soirées")
    bad = OpeningInterval(calendar=calendar, weekday=0, start=time(18), end=time(8))
    with pytest.raises(ValidationError, match="closing time must be after the opening time"):
        bad.full_clean()
    OpeningInterval(calendar=calendar, weekday=0, start=time(20), end=time(0)).full_clean()
    OpeningInterval(calendar=calendar, weekday=0, start=time(0), end=time(0)).full_clean()


def test_overlapping_intervals_on_the_same_day_are_refused() -> None:
    calendar = SupportCalendar.objects.create(name="Chevauchement")
    OpeningInterval.objects.create(calendar=calendar, weekday=2, start=time(8), end=time(12))
    overlapping = OpeningInterval(calendar=calendar, weekday=2, start=time(11), end=time(14))
    with pytest.raises(
        ValidationError, match="Wednesday: the intervals 08:00–12:00 and 11:00–14:00"
    ):
        overlapping.full_clean()
    # Touching intervals, and the same hours another day, are fine.
    OpeningInterval(calendar=calendar, weekday=2, start=time(12), end=time(14)).full_clean()
    OpeningInterval(calendar=calendar, weekday=3, start=time(11), end=time(14)).full_clean()


def test_bad_exceptions_are_refused() -> None:
    calendar = SupportCalendar.objects.create(name="Exceptions")

    def refused(**fields: Any) -> str:
        exception = CalendarException(calendar=calendar, label="Pont", **fields)
        with pytest.raises(ValidationError) as caught:
            exception.full_clean()
        return _messages(caught.value)

    days = {"start_date": date(2026, 5, 15), "end_date": date(2026, 5, 15)}
    assert "cannot precede" in refused(
        kind="closed", start_date=date(2026, 5, 15), end_date=date(2026, 5, 14)
    )
    assert "needs its opening and closing times" in refused(kind="open", **days)
    assert "closing time must be after" in refused(
        kind="open", opens=time(12), closes=time(9), **days
    )
    assert "exceptional openings only" in refused(kind="closed", opens=time(9), **days)
    CalendarException(calendar=calendar, label="Pont", kind="closed", **days).full_clean()
    CalendarException(
        calendar=calendar, label="Samedi", kind="open", opens=time(9), closes=time(0), **days
    ).full_clean()


def test_bad_policies_are_refused() -> None:
    calendar = SupportCalendar.objects.create(name="Ouvré")
    eservice = EServiceFactory()

    def refused(**fields: Any) -> str:
        values = {
            "eservice": eservice,
            "calendar": calendar,
            "take_charge_target": timedelta(hours=4),
            "resolution_target": timedelta(hours=20),
            **fields,
        }
        with pytest.raises(ValidationError) as caught:
            SlaPolicy(**values).full_clean()
        return _messages(caught.value)

    assert "Unknown severity" in refused(severity="urgent")
    assert "Unknown kind" in refused(kind="question")
    assert "positive duration" in refused(take_charge_target=timedelta(0))
    assert "positive duration" in refused(resolution_target=timedelta(hours=-1))
    assert "Choose the support calendar" in refused(calendar=None)
    assert "list of status codes" in refused(pause_statuses="pending")
    SlaPolicy(
        eservice=eservice,
        calendar=calendar,
        severity="critical",
        kind="incident",
        take_charge_target=timedelta(hours=1),
        resolution_target=timedelta(hours=4),
        pause_statuses=["pending"],
    ).full_clean()


# --- The admin ------------------------------------------------------------------------------


def _calendar_post(intervals: list[tuple[int, str, str]], **fields: str) -> dict[str, str]:
    data = {
        "name": "Horaires",
        "timezone": "Europe/Paris",
        "closed_on_public_holidays": "on",
        "intervals-TOTAL_FORMS": str(len(intervals)),
        "intervals-INITIAL_FORMS": "0",
        "intervals-MIN_NUM_FORMS": "0",
        "intervals-MAX_NUM_FORMS": "1000",
        "exceptions-TOTAL_FORMS": "0",
        "exceptions-INITIAL_FORMS": "0",
        "exceptions-MIN_NUM_FORMS": "0",
        "exceptions-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for n, (weekday, start, end) in enumerate(intervals):
        data |= {
            f"intervals-{n}-weekday": str(weekday),
            f"intervals-{n}-start": start,
            f"intervals-{n}-end": end,
        }
    return data


ADD_CALENDAR = "admin:catalogue_supportcalendar_add"


@pytest.mark.parametrize(
    ("intervals", "fields", "message"),
    [
        ([], {}, "at least one weekly opening interval, or the 24/7 box ticked"),
        (
            [(0, "08:00", "12:00"), (0, "11:30", "18:00")],
            {},
            "Monday: the intervals 08:00–12:00 and 11:30–18:00 overlap",
        ),
        ([(0, "18:00", "08:00")], {}, "closing time must be after the opening time"),
        ([(0, "08:00", "18:00")], {"timezone": "Paris"}, "not a known time zone"),
    ],
)
def test_the_admin_refuses_bad_calendars(
    admin_client: Client, intervals: Any, fields: dict[str, str], message: str
) -> None:
    response = admin_client.post(reverse(ADD_CALENDAR), _calendar_post(intervals, **fields))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SupportCalendar.objects.exists()


def test_the_admin_saves_good_calendars(admin_client: Client) -> None:
    split = [(0, "08:00", "12:00"), (0, "13:30", "18:00"), (5, "20:00", "00:00")]
    response = admin_client.post(reverse(ADD_CALENDAR), _calendar_post(split))
    assert response.status_code == 302
    calendar = SupportCalendar.objects.get()
    assert calendar.intervals.count() == 3
    response = admin_client.post(
        reverse(ADD_CALENDAR), _calendar_post([], name="Astreinte", always_open="on")
    )
    assert response.status_code == 302
    assert SupportCalendar.objects.get(name="Astreinte").always_open


def test_the_admin_accepts_rows_changing_together(admin_client: Client) -> None:
    """08-12 + 13-18 becoming 08-14 + 14-18 at once is not an overlap."""
    calendar = SupportCalendar.objects.create(name="Horaires")
    morning = OpeningInterval.objects.create(
        calendar=calendar, weekday=0, start=time(8), end=time(12)
    )
    afternoon = OpeningInterval.objects.create(
        calendar=calendar, weekday=0, start=time(13), end=time(18)
    )
    data = _calendar_post([(0, "08:00", "14:00"), (0, "14:00", "18:00")])
    data |= {
        "intervals-INITIAL_FORMS": "2",
        "intervals-0-id": str(morning.pk),
        "intervals-0-calendar": str(calendar.pk),
        "intervals-1-id": str(afternoon.pk),
        "intervals-1-calendar": str(calendar.pk),
    }
    response = admin_client.post(
        reverse("admin:catalogue_supportcalendar_change", args=[calendar.pk]), data
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert sorted(calendar.intervals.values_list("end", flat=True)) == [time(14), time(18)]


def test_the_admin_refuses_bad_policies(admin_client: Client) -> None:
    calendar = SupportCalendar.objects.create(name="Ouvré")
    eservice = EServiceFactory()
    url = reverse("admin:catalogue_slapolicy_add")
    good = {
        "eservice": str(eservice.pk),
        "severity": "",
        "kind": "",
        "calendar": str(calendar.pk),
        "take_charge_target": "04:00:00",
        "resolution_target": "20:00:00",
        "pause_statuses": '["pending"]',
    }
    for change, message in [
        ({"calendar": ""}, "Choose the support calendar in whose hours the targets are counted"),
        ({"take_charge_target": "00:00:00"}, "A target must be a positive duration"),
        ({"severity": "urgent"}, "Select a valid choice"),
    ]:
        response = admin_client.post(url, good | change)
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not SlaPolicy.objects.exists()
    assert admin_client.post(url, good | {"severity": "critical"}).status_code == 302
    assert SlaPolicy.objects.get().severity == "critical"
