"""The periodic SLA scan: 75 % warnings and breach notices, once each, through the outbox."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from esoutien.mail.models import OutboundEmail
from esoutien.tickets import sla_scan, tasks, workflow
from esoutien.tickets.models import EventKind, SlaAlert, Ticket
from tests.factories import AgentFactory, EServiceFactory, file_ticket
from tests.sla.conftest import paris

pytestmark = pytest.mark.django_db


def _scan() -> int:
    return int(tasks.sla_scan_task.call_local())


def _sla_mails() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind__startswith="sla_").order_by("pk"))


def _sla_notes(ticket: Ticket) -> list[Any]:
    return list(ticket.events.filter(kind=EventKind.NOTE, data__has_key="sla"))


def test_resolution_warning_goes_once_to_the_assignee_and_the_supervisors(
    alice: Any, alfa: Any, esav: Any, agent: Any, supervisor: Any, esav_policies: Any
) -> None:
    colleague = AgentFactory(eservices=[esav])  # same e-service, not assigned: not told
    with time_machine.travel(paris(2026, 3, 16, 9, 0), tick=False) as traveller:
        ticket = file_ticket(alice, alfa, esav)
        traveller.move_to(paris(2026, 3, 16, 9, 5))
        workflow.take_charge(ticket, agent)  # assigns the agent

        traveller.move_to(paris(2026, 3, 16, 16, 0))  # 7 h of 10: not yet
        assert _scan() == 0
        traveller.move_to(paris(2026, 3, 16, 16, 45))  # 7 h 45 of 10
        assert _scan() == 1
        assert _scan() == 0  # idempotent

    mails = _sla_mails()
    assert len(mails) == 1
    assert mails[0].kind == "sla_warning"
    assert set(mails[0].recipients) == {agent.email, supervisor.email}
    assert colleague.email not in mails[0].recipients
    assert ticket.reference in mails[0].subject and "75" in mails[0].subject
    notes = _sla_notes(ticket)
    assert len(notes) == 1 and not notes[0].public
    assert notes[0].data["sla"]["target"] == "resolution"
    assert notes[0].data["sla"]["threshold"] == "warning"
    ticket.refresh_from_db()
    assert not ticket.sla_resolution_breached


def test_unassigned_ticket_warns_the_eservice_team_then_flags_the_breach_once(
    alice: Any, alfa: Any, esav: Any, agent: Any, supervisor: Any, esav_policies: Any
) -> None:
    outsider = AgentFactory(eservices=[EServiceFactory(code="fci", name="FCI")])
    with time_machine.travel(paris(2026, 3, 16, 9, 0), tick=False) as traveller:
        ticket = file_ticket(alice, alfa, esav)
        traveller.move_to(paris(2026, 3, 16, 9, 50))  # 50 of 60 minutes
        assert _scan() == 1
        traveller.move_to(paris(2026, 3, 16, 10, 1))
        assert _scan() == 1
        assert _scan() == 0

    warning, breach = _sla_mails()
    assert (warning.kind, breach.kind) == ("sla_warning", "sla_breach")
    assert set(breach.recipients) == {agent.email, supervisor.email}
    assert outsider.email not in breach.recipients
    assert not breach.reply_to  # internal mail: no reply address onto the ticket
    ticket.refresh_from_db()
    assert ticket.sla_take_charge_breached and not ticket.sla_resolution_breached
    assert SlaAlert.objects.filter(ticket=ticket).count() == 2
    assert [n.data["sla"]["threshold"] for n in _sla_notes(ticket)] == ["warning", "breach"]


def test_a_paused_clock_is_neither_warned_nor_breached(
    alice: Any, alfa: Any, esav: Any, agent: Any, supervisor: Any, esav_policies: Any
) -> None:
    with time_machine.travel(paris(2026, 3, 16, 9, 0), tick=False) as traveller:
        ticket = file_ticket(alice, alfa, esav)
        traveller.move_to(paris(2026, 3, 16, 9, 5))
        workflow.take_charge(ticket, agent)
        workflow.request_info(ticket, agent, "Quel port ?")
        traveller.move_to(paris(2026, 3, 20, 17, 0))  # days later, still waiting
        assert sla_scan.scan(paris(2026, 3, 20, 17, 0)) == 0
    assert _sla_mails() == []
    ticket.refresh_from_db()
    assert not ticket.sla_resolution_breached


def test_scan_ignores_tickets_without_sla(alice: Any, alfa: Any, ftte: Any) -> None:
    with time_machine.travel(paris(2026, 3, 16, 9, 0), tick=False) as traveller:
        file_ticket(alice, alfa, ftte)
        traveller.move_to(paris(2026, 4, 16, 9, 0))
        assert _scan() == 0
