"""SLA clocks computed from the ticket's status history, kept on the ticket by the workflow."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
import time_machine

from esoutien.catalogue.business_hours import BusinessCalendar
from esoutien.tickets import services, sla, workflow
from esoutien.tickets.models import Severity, Ticket
from esoutien.tickets.states import Status
from tests.factories import file_ticket
from tests.sla.conftest import hours, paris

pytestmark = pytest.mark.django_db


def _resolve(ticket: Ticket, agent: Any) -> None:
    workflow.resolve(ticket, agent, cause="Port HS", actions_taken="Port changé", summary="OK")


def test_ticket_filed_friday_1730_on_esav_must_be_taken_in_charge_by_saturday_0830(
    alice: Any, alfa: Any, esav: Any, esav_policies: Any
) -> None:
    with time_machine.travel(paris(2026, 3, 13, 17, 30), tick=False):
        ticket = file_ticket(alice, alfa, esav, severity=Severity.MAJOR)
    ticket.refresh_from_db()
    assert ticket.sla_policy == esav_policies["any"]
    assert ticket.sla_take_charge_target == hours(1)
    assert ticket.sla_take_charge_due == paris(2026, 3, 14, 8, 30)
    # 30 minutes on Friday, 9 h 30 on Saturday.
    assert ticket.sla_resolution_due == paris(2026, 3, 14, 17, 30)
    assert ticket.sla_paused_since is None
    assert not ticket.sla_take_charge_breached and not ticket.sla_resolution_breached


def test_a_critical_ticket_gets_the_critical_policy(
    alice: Any, alfa: Any, esav: Any, esav_policies: Any
) -> None:
    with time_machine.travel(paris(2026, 3, 13, 17, 30), tick=False):
        ticket = file_ticket(alice, alfa, esav, severity=Severity.CRITICAL)
    assert ticket.sla_resolution_target == hours(4)
    assert ticket.sla_resolution_due == paris(2026, 3, 14, 11, 30)


def test_waiting_for_the_operator_pauses_the_resolution_clock_and_reopening_resumes_it(
    alice: Any, alfa: Any, esav: Any, agent: Any, esav_policies: Any, fake_pdf: bytes
) -> None:
    with time_machine.travel(paris(2026, 3, 16, 9, 0), tick=False) as traveller:
        ticket = file_ticket(alice, alfa, esav)
        # Monday 09:00 + 10 business hours: Monday 18:00 plus one hour on Tuesday.
        assert ticket.sla_resolution_due == paris(2026, 3, 17, 9, 0)

        traveller.move_to(paris(2026, 3, 16, 9, 30))
        workflow.take_charge(ticket, agent)
        assert ticket.sla_take_charge_seconds == 30 * 60
        assert not ticket.sla_take_charge_breached

        traveller.move_to(paris(2026, 3, 16, 10, 0))
        workflow.request_info(ticket, agent, "Quel est le numéro de la prise ?")
        assert ticket.sla_paused_since == paris(2026, 3, 16, 10, 0)

        traveller.move_to(paris(2026, 3, 16, 14, 0))
        services.comment_add(alice, ticket, "La prise est OO-1234-ABCD.")
        ticket.refresh_from_db()
        assert ticket.status == Status.IN_PROGRESS
        assert ticket.sla_paused_since is None
        # Four business hours paused: the deadline moves four hours later.
        assert ticket.sla_resolution_due == paris(2026, 3, 17, 13, 0)

        traveller.move_to(paris(2026, 3, 17, 12, 0))
        _resolve(ticket, agent)
        ticket.refresh_from_db()
        # Counted: Monday 09:00-10:00 and 14:00-18:00, Tuesday 08:00-12:00.
        assert ticket.sla_resolution_seconds == 9 * 3600
        assert not ticket.sla_resolution_breached
        state = sla.state_for(ticket, paris(2026, 3, 17, 12, 0))
        assert state is not None
        assert [(p.start, p.end) for p in state.paused] == [
            (paris(2026, 3, 16, 10, 0), paris(2026, 3, 16, 14, 0))
        ]

        # Reopened on Wednesday 10:00 with one business hour left: due at 11:00.
        traveller.move_to(paris(2026, 3, 18, 10, 0))
        workflow.reopen(ticket, agent, "Le lien retombe.")
        ticket.refresh_from_db()
        assert ticket.sla_resolution_seconds is None
        assert ticket.sla_resolution_due == paris(2026, 3, 18, 11, 0)

        traveller.move_to(paris(2026, 3, 18, 12, 0))
        _resolve(ticket, agent)
        ticket.refresh_from_db()
        assert ticket.sla_resolution_seconds == 11 * 3600
        assert ticket.sla_resolution_breached


def test_a_late_take_charge_is_breached_and_records_its_business_time(
    alice: Any, alfa: Any, esav: Any, agent: Any, esav_policies: Any
) -> None:
    with time_machine.travel(paris(2026, 3, 13, 17, 30), tick=False) as traveller:
        ticket = file_ticket(alice, alfa, esav)
        traveller.move_to(paris(2026, 3, 14, 9, 0))  # Saturday, after the 08:30 deadline
        workflow.take_charge(ticket, agent)
    ticket.refresh_from_db()
    assert ticket.sla_take_charge_breached
    assert ticket.sla_take_charge_seconds == int(hours(1.5).total_seconds())
    assert not ticket.sla_resolution_breached


def test_a_ticket_no_policy_covers_has_no_sla_and_works_as_before(
    alice: Any, alfa: Any, ftte: Any, agent: Any, esav_policies: Any, fake_pdf: bytes
) -> None:
    ticket = file_ticket(alice, alfa, ftte)
    workflow.take_charge(ticket, agent)
    _resolve(ticket, agent)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.sla_policy is None and ticket.sla_resolution_due is None
    assert ticket.sla_take_charge_seconds is None and not ticket.sla_resolution_breached
    assert sla.state_for(ticket, ticket.updated_at) is None


# --- The pure computation -----------------------------------------------------------------

# Monday to Friday, 08:00-12:00 and 13:30-18:00 (no holiday in the weeks used).
OFFICE = BusinessCalendar(
    weekly=tuple(
        (day, start, end)
        for day in range(5)
        for start, end in (
            (time(8), time(12)),
            (time(13, 30), time(18)),
        )
    )
)


def _compute(changes: list[tuple[Any, str]], now: Any, **kw: Any) -> sla.SlaState:
    return sla.compute(
        paris(2026, 3, 20, 11, 0),  # a Friday
        changes,
        take_charge_target=kw.get("take", hours(2)),
        resolution_target=kw.get("resolution", hours(8)),
        calendar=OFFICE,
        pause_statuses=kw.get("pauses", {"pending"}),
        now=now,
    )


def test_clock_counts_business_time_only_across_lunch_and_the_weekend() -> None:
    state = _compute([], now=paris(2026, 3, 23, 9, 0))  # the next Monday
    # Friday 11:00-12:00 and 13:30-18:00 (5 h 30), Monday 08:00-09:00.
    assert state.resolution.elapsed == hours(6.5)
    assert state.resolution.remaining == hours(1.5)
    assert state.resolution.due == paris(2026, 3, 23, 10, 30)
    assert state.take_charge.due == paris(2026, 3, 20, 14, 30)
    assert state.take_charge.breached and not state.resolution.breached
    assert state.resolution.fraction == pytest.approx(6.5 / 8)


def test_paused_clock_does_not_count_and_is_not_breached_meanwhile() -> None:
    changes = [
        (paris(2026, 3, 20, 11, 30), Status.IN_PROGRESS),
        (paris(2026, 3, 20, 14, 0), Status.PENDING),
    ]
    state = _compute(changes, now=paris(2026, 3, 27, 17, 0))  # a week later, still pending
    assert not state.resolution.running
    assert state.resolution.elapsed == hours(1.5)  # 11:00-12:00, 13:30-14:00
    assert not state.resolution.breached
    assert state.paused_since == paris(2026, 3, 20, 14, 0)
    assert state.take_charge.met_at == paris(2026, 3, 20, 11, 30)
    assert state.take_charge.achieved == hours(0.5)


def test_cancelling_before_take_charge_stops_both_clocks_unmet() -> None:
    state = _compute([(paris(2026, 3, 20, 11, 15), Status.CANCELLED)], now=paris(2026, 4, 1, 9))
    assert state.take_charge.stopped_at == paris(2026, 3, 20, 11, 15)
    assert state.take_charge.achieved is None and state.resolution.achieved is None
    assert not state.take_charge.breached and not state.resolution.breached


def test_closing_keeps_the_resolution_met_at_its_resolution_time() -> None:
    changes = [
        (paris(2026, 3, 20, 11, 10), Status.IN_PROGRESS),
        (paris(2026, 3, 20, 15, 0), Status.RESOLVED),
        (paris(2026, 3, 30, 9, 0), Status.CLOSED),
    ]
    state = _compute(changes, now=paris(2026, 4, 2, 9, 0))
    assert state.resolution.met_at == paris(2026, 3, 20, 15, 0)
    assert state.resolution.achieved == hours(2.5)
    assert not state.resolution.breached
