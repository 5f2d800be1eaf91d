"""What people see of the SLA: the desk queue (remaining time, urgency, filters), the desk
ticket page (both clocks, pauses) and the operator's ticket page (expected resolution)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from esoutien.tickets import workflow
from esoutien.tickets.models import Severity, Ticket
from tests.factories import file_ticket
from tests.sla.conftest import paris
from tests.support import queries_to_render

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def desk(client: Any, agent: Any) -> Any:
    client.force_login(agent)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def monday(alice: Any, alfa: Any, esav: Any, ftte: Any, agent: Any, esav_policies: Any) -> Any:
    """Four tickets taken in charge on Monday 16 March 2026, the clock then at 16:30.

    a: resolution due Monday 18:00; b: due Tuesday 09:00; c (critical): due Monday 14:00,
    so overdue; d: Éligibilité FTTE, no policy, no SLA.
    """
    tickets: dict[str, Ticket] = {}
    with time_machine.travel(paris(2026, 3, 16, 8, 0), tick=False) as traveller:
        for name, hour, severity, eservice in (
            ("a", 8, Severity.MAJOR, esav),
            ("b", 9, Severity.MAJOR, esav),
            ("c", 10, Severity.CRITICAL, esav),
            ("d", 11, Severity.MAJOR, ftte),
        ):
            traveller.move_to(paris(2026, 3, 16, hour, 0))
            tickets[name] = file_ticket(alice, alfa, eservice, severity=severity)
            traveller.move_to(paris(2026, 3, 16, hour, 5))
            workflow.take_charge(tickets[name], agent)
        traveller.move_to(paris(2026, 3, 16, 16, 30))
        yield tickets


def _order(page: str, tickets: dict[str, Ticket]) -> list[str]:
    found = {name: page.find(t.reference) for name, t in tickets.items()}
    return sorted((name for name in found if found[name] >= 0), key=found.__getitem__)


def _row(page: str, ticket: Ticket) -> str:
    match = re.search(rf"<tr>\s*<td><a[^>]*>{ticket.reference}</a>.*?</tr>", page, re.S)
    assert match, ticket.reference
    return match.group(0)


def test_queue_sorts_by_urgency_and_shows_remaining_time_in_words_and_colour(
    desk: Any, monday: dict[str, Ticket]
) -> None:
    page = desk.get(reverse("desk:queue")).content.decode()
    assert _order(page, monday) == ["c", "a", "b", "d"]  # no SLA last
    assert 'class="sla sla-breached">Resolution: overdue<' in _row(page, monday["c"])
    assert 'class="sla sla-warning">Resolution: 1 h 30 min left<' in _row(page, monday["a"])
    assert "No SLA" in _row(page, monday["d"])
    updated = desk.get(reverse("desk:queue"), {"sort": "updated"}).content.decode()
    assert _order(updated, monday) == ["d", "c", "b", "a"]


def test_queue_filters_at_risk_and_breached_tickets(desk: Any, monday: dict[str, Ticket]) -> None:
    breached = desk.get(reverse("desk:queue"), {"sla": "breached"}).content.decode()
    assert _order(breached, monday) == ["c"]
    # a is due within two hours; b has 2 h 30 left of 10 h but is due tomorrow morning.
    at_risk = desk.get(reverse("desk:queue"), {"sla": "at_risk"}).content.decode()
    assert _order(at_risk, monday) == ["a"]


def test_queue_query_count_does_not_grow_with_sla_tickets(
    desk: Any, alice: Any, alfa: Any, esav: Any, esav_policies: Any
) -> None:
    file_ticket(alice, alfa, esav)
    few = queries_to_render(desk, reverse("desk:queue"))
    for _ in range(10):
        file_ticket(alice, alfa, esav)
    assert queries_to_render(desk, reverse("desk:queue")) == few


def test_desk_ticket_page_shows_both_clocks_and_the_pauses(
    desk: Any, alice: Any, alfa: Any, esav: Any, agent: Any, esav_policies: Any
) -> None:
    with time_machine.travel(paris(2026, 3, 16, 9, 0), tick=False) as traveller:
        ticket = file_ticket(alice, alfa, esav)
        traveller.move_to(paris(2026, 3, 16, 9, 20))
        workflow.take_charge(ticket, agent)
        traveller.move_to(paris(2026, 3, 16, 10, 0))
        workflow.request_info(ticket, agent, "Quel port ?")
        traveller.move_to(paris(2026, 3, 16, 11, 0))
        workflow.resume(ticket, agent)
        traveller.move_to(paris(2026, 3, 16, 12, 0))
        page = desk.get(reverse("desk:ticket", args=[ticket.reference])).content.decode()
    assert "SLA clocks" in page
    assert "Met in 20 min" in page  # take charge
    assert "Resolution: 8 h 00 min left" in page  # 10 h minus 09:00-10:00 and 11:00-12:00
    assert "From 16/03/2026 10:00 to 16/03/2026 11:00" in page


def test_operator_sees_the_expected_resolution_date_or_that_the_clock_waits_for_them(
    client: Any, alice: Any, alfa: Any, esav: Any, agent: Any, esav_policies: Any
) -> None:
    client.force_login(alice)
    client.cookies["django_language"] = "en"
    with time_machine.travel(paris(2026, 3, 13, 17, 30), tick=False):
        ticket = file_ticket(alice, alfa, esav)
        url = reverse("portal:ticket", args=[ticket.reference])
        page = client.get(url).content.decode()
        assert "Expected resolution" in page and "Saturday 14/03/2026 17:30" in page
        workflow.take_charge(ticket, agent)
        workflow.request_info(ticket, agent, "Quel port ?")
        page = client.get(url).content.decode()
    assert "Paused while waiting for your answer" in page
    assert "14/03/2026 17:30" not in page
