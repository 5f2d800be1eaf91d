"""The SLA in /api/v1 (``sla``) and in the TMF621 facade (``expectedResolutionDate``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from esoutien.api.tokens import create_token
from esoutien.tickets import workflow
from tests.factories import file_ticket
from tests.sla.conftest import paris

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    return Client(headers={"Authorization": f"Bearer {create_token(user, 'tests')[1]}"})


def test_api_ticket_carries_its_sla_clocks_in_paris_time_with_offset(
    alice: Any, alfa: Any, esav: Any, agent: Any, esav_policies: Any
) -> None:
    api = _client(alice)
    with time_machine.travel(paris(2026, 3, 13, 17, 30), tick=False) as traveller:
        ticket = file_ticket(alice, alfa, esav)
        body = api.get(f"/api/v1/tickets/{ticket.reference}").json()
        assert body["sla"] == {
            "take_charge_due": "2026-03-14T08:30:00+01:00",
            "resolution_due": "2026-03-14T17:30:00+01:00",
            "taken_in_charge_at": None,
            "resolved_at": None,
            "paused": False,
            "breached": False,
        }

        # Past the take-charge deadline: breached at once, before any periodic scan.
        traveller.move_to(paris(2026, 3, 14, 8, 45))
        assert api.get(f"/api/v1/tickets/{ticket.reference}").json()["sla"]["breached"] is True

        workflow.take_charge(ticket, agent)
        workflow.request_info(ticket, agent, "Quel port ?")
        sla = api.get(f"/api/v1/tickets/{ticket.reference}").json()["sla"]
        assert sla["taken_in_charge_at"] == "2026-03-14T08:45:00+01:00"
        assert sla["paused"] is True and sla["breached"] is True


def test_tmf_expected_resolution_date_is_the_resolution_deadline(
    alice: Any, alfa: Any, esav: Any, esav_policies: Any
) -> None:
    api = _client(alice)
    with time_machine.travel(paris(2026, 3, 13, 17, 30), tick=False):
        ticket = file_ticket(alice, alfa, esav)
        tmf = api.get(f"/tmf-api/troubleTicket/v4/troubleTicket/{ticket.reference}").json()
        native = api.get(f"/api/v1/tickets/{ticket.reference}").json()
    expected = datetime.fromisoformat(tmf["expectedResolutionDate"])
    assert expected == paris(2026, 3, 14, 17, 30)
    assert expected == datetime.fromisoformat(native["sla"]["resolution_due"])


def test_tickets_no_policy_covers_have_a_null_sla(
    alice: Any, alfa: Any, ftte: Any, esav_policies: Any
) -> None:
    api = _client(alice)
    ticket = file_ticket(alice, alfa, ftte)
    assert api.get(f"/api/v1/tickets/{ticket.reference}").json()["sla"] is None
    tmf = api.get(f"/tmf-api/troubleTicket/v4/troubleTicket/{ticket.reference}").json()
    assert tmf["expectedResolutionDate"] is None
