"""A hand-built month of SLA outcomes whose figures were computed by hand (see test_figures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from esoutien.tickets.models import Ticket
from tests.factories import file_ticket

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    # Pages render {% static %}; tests do not run collectstatic, so no manifest exists.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.ESOUTIEN_BASE_URL = "http://testserver"


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def sla_ticket(
    user: Any,
    operator: Any,
    eservice: Any,
    created: datetime,
    *,
    take: int | None = None,
    take_late: bool = False,
    resolve: int | None = None,
    resolve_late: bool = False,
    targets: tuple[int, int] = (3600, 36000),
) -> Ticket:
    """A ticket filed through the service, then given the SLA figures the workflow stores
    (achieved business seconds, breaches) — set directly: these tests are about reports."""
    ticket = file_ticket(user, operator, eservice)
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=created,
        sla_take_charge_target=timedelta(seconds=targets[0]),
        sla_resolution_target=timedelta(seconds=targets[1]),
        sla_take_charge_seconds=take,
        sla_take_charge_breached=take_late,
        sla_resolution_seconds=resolve,
        sla_resolution_breached=resolve_late,
    )
    ticket.refresh_from_db()
    return ticket


@dataclass
class Month:
    """March 2025 (Europe/Paris), plus tickets just outside it."""

    alfa: Any
    brav: Any
    esav: Any
    ftte: Any


@pytest.fixture
def march(alice: Any, bob: Any, alfa: Any, brav: Any, esav: Any, ftte: Any) -> Month:
    # ALFA × e-SAV: four tickets. The first is filed at 00:30 in Paris on 1 March, still
    # 28 February in UTC: it belongs to March.
    sla_ticket(alice, alfa, esav, paris(2025, 3, 1, 0, 30), take=600, resolve=7200)
    sla_ticket(
        alice, alfa, esav, paris(2025, 3, 10, 9), take=1800, resolve=40000, resolve_late=True
    )
    sla_ticket(alice, alfa, esav, paris(2025, 3, 12, 9), take=5400, take_late=True)  # open
    sla_ticket(alice, alfa, esav, paris(2025, 3, 31, 23, 50))  # within its target: no outcome
    # ALFA × Éligibilité FTTE: one ticket, both targets met.
    sla_ticket(alice, alfa, ftte, paris(2025, 3, 30, 10), take=3600, resolve=72000)
    # BRAV × e-SAV: two tickets taken on time, not resolved yet.
    sla_ticket(bob, brav, esav, paris(2025, 3, 3, 8), take=120)
    sla_ticket(bob, brav, esav, paris(2025, 3, 4, 8), take=240)
    # Outside March in Paris: 28 February 23:30, and 1 April 00:10 (still 31 March in UTC).
    sla_ticket(alice, alfa, esav, paris(2025, 2, 28, 23, 30), take=600)
    sla_ticket(alice, alfa, esav, paris(2025, 4, 1, 0, 10), take=60, resolve=60)
    return Month(alfa, brav, esav, ftte)
