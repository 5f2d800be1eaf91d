"""SLA fixtures: the demo's support calendars and policies, built through the models.

* e-SAV: Monday to Saturday 08:00-18:00, closed on public holidays; take charge 1 business
  hour, resolution 10 business hours (critical: 4);
* Éligibilité FTTE: Monday to Friday 08:00-18:00, closed on public holidays; take charge
  4 business hours, resolution 2 business days (20 business hours).

Times in tests are Paris wall-clock times (``paris(...)``); time-machine moves the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from esoutien.catalogue import sla as catalogue_sla
from esoutien.catalogue.models import OpeningInterval, SlaPolicy, SupportCalendar

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


@pytest.fixture(autouse=True)
def _fresh_sla_cache() -> Iterator[None]:
    # The targets cache lives in the process; rolled-back test data must not leak through it.
    catalogue_sla.clear_cache()
    yield
    catalogue_sla.clear_cache()


def make_calendar(name: str, weekdays: range, start: time, end: time) -> SupportCalendar:
    calendar = SupportCalendar.objects.create(name=name, timezone="Europe/Paris")
    for day in weekdays:
        OpeningInterval.objects.create(calendar=calendar, weekday=day, start=start, end=end)
    return calendar


@pytest.fixture
def esav_policies(esav: Any) -> dict[str, SlaPolicy]:
    calendar = make_calendar("e-SAV", range(0, 6), time(8), time(18))
    return {
        "any": SlaPolicy.objects.create(
            eservice=esav,
            calendar=calendar,
            take_charge_target=hours(1),
            resolution_target=hours(10),
            pause_statuses=["pending"],
        ),
        "critical": SlaPolicy.objects.create(
            eservice=esav,
            severity="critical",
            calendar=calendar,
            take_charge_target=hours(1),
            resolution_target=hours(4),
            pause_statuses=["pending"],
        ),
    }


@pytest.fixture
def ftte_policy(ftte: Any) -> SlaPolicy:
    calendar = make_calendar("FTTE", range(0, 5), time(8), time(18))
    return SlaPolicy.objects.create(
        eservice=ftte,
        calendar=calendar,
        take_charge_target=hours(4),
        resolution_target=hours(20),
        pause_statuses=["pending"],
    )
