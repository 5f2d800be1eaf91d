"""The ticket life cycle: every transition from every status by every party.

Allowed moves change the status and leave a timeline event; every other move is refused
with a domain error and changes nothing at all (status, timeline, outbox, files).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from esoutien.core.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from esoutien.mail.models import OutboundEmail
from esoutien.tickets import selectors, services, workflow
from esoutien.tickets.models import (
    Attachment,
    EventKind,
    ResolutionReport,
    Ticket,
    TicketEvent,
)
from esoutien.tickets.states import TRANSITIONS, Party, Status
from tests.factories import AgentFactory, EServiceFactory, file_ticket, set_status

pytestmark = pytest.mark.django_db

# One driver per transition name: how the product fires it (with valid input).
DRIVERS: dict[str, Callable[[Ticket, Any], Any]] = {
    "take": lambda t, a: workflow.take_charge(t, a),
    "request_info": lambda t, a: workflow.request_info(t, a, "Quel est le numéro de commande ?"),
    "receive_info": lambda t, a: workflow.receive_info(t, a),
    "hold": lambda t, a: workflow.hold(t, a, "Intervention chez le sous-traitant"),
    "resume": lambda t, a: workflow.resume(t, a),
    "resolve": lambda t, a: workflow.resolve(
        t, a, cause="Carte défectueuse", actions_taken="Carte remplacée", summary="Rétabli"
    ),
    "reject": lambda t, a: workflow.reject(t, a, "Hors périmètre du contrat"),
    "cancel": lambda t, a: workflow.cancel(t, a, "Problème résolu de notre côté"),
    "accept": lambda t, a: workflow.accept_resolution(t, a),
    "contest": lambda t, a: workflow.contest_resolution(t, a, "Le défaut est revenu"),
    "reopen": lambda t, a: workflow.reopen(t, a, "Le client signale une rechute"),
    "close": lambda t, a: workflow.close(t, a),
}

# The e-mail each transition sends to the ticket's contact (kind of the outbox row), if any.
MAIL_OF = {
    "request_info": "info_request",
    "resolve": "resolution",
    "reject": "rejection",
    "cancel": "cancellation",
}


S, P = Status, Party
OPEN = {S.ACKNOWLEDGED, S.IN_PROGRESS, S.PENDING, S.HELD}

# The life cycle of DESIGN.md §3, written out independently of states.py so that a change to
# the table is a deliberate, reviewed change of this test too: name -> (sources, parties, target)
LIFE_CYCLE: dict[str, tuple[set[str], set[Party], str]] = {
    "take": ({S.ACKNOWLEDGED}, {P.DESK}, S.IN_PROGRESS),
    "request_info": ({S.IN_PROGRESS}, {P.DESK}, S.PENDING),
    "receive_info": ({S.PENDING}, {P.OPERATOR, P.SYSTEM}, S.IN_PROGRESS),
    "hold": ({S.IN_PROGRESS}, {P.DESK}, S.HELD),
    "resume": ({S.HELD, S.PENDING}, {P.DESK}, S.IN_PROGRESS),
    "resolve": ({S.IN_PROGRESS}, {P.DESK}, S.RESOLVED),
    "reject": ({S.ACKNOWLEDGED}, {P.DESK}, S.REJECTED),
    "cancel": (OPEN, {P.OPERATOR, P.DESK}, S.CANCELLED),
    "accept": ({S.RESOLVED}, {P.OPERATOR}, S.CLOSED),
    "contest": ({S.RESOLVED}, {P.OPERATOR}, S.IN_PROGRESS),
    "reopen": ({S.RESOLVED}, {P.DESK}, S.IN_PROGRESS),
    "close": ({S.RESOLVED}, {P.DESK, P.SYSTEM}, S.CLOSED),
}


def test_transition_table_is_the_designed_life_cycle() -> None:
    assert set(DRIVERS) == set(TRANSITIONS) == set(LIFE_CYCLE)
    for name, (sources, parties, target) in LIFE_CYCLE.items():
        transition = TRANSITIONS[name]
        assert (set(transition.sources), set(transition.parties), transition.target) == (
            sources,
            parties,
            target,
        ), name


def test_final_statuses_have_no_way_out() -> None:
    for transition in TRANSITIONS.values():
        assert not transition.sources & {S.CLOSED, S.REJECTED, S.CANCELLED}, transition.name


def _snapshot(ticket: Ticket) -> dict[str, Any]:
    row = Ticket.objects.values().get(pk=ticket.pk)
    return {
        "ticket": row,
        "events": list(TicketEvent.objects.filter(ticket=ticket).values_list("pk", flat=True)),
        "outbox": list(OutboundEmail.objects.values_list("pk", flat=True)),
        "attachments": list(Attachment.objects.values_list("pk", flat=True)),
        "reports": list(ResolutionReport.objects.values_list("pk", flat=True)),
    }


@pytest.fixture
def actors(alice: Any, agent: Any) -> dict[Party, Any]:
    return {Party.OPERATOR: alice, Party.DESK: agent, Party.SYSTEM: None}


CASES = [
    pytest.param(name, status, party, id=f"{name}-from-{status}-by-{party}")
    for name in LIFE_CYCLE
    for status in Status.values
    for party in Party
]


@pytest.mark.parametrize(("name", "status", "party"), CASES)
def test_transition_table(
    name: str,
    status: str,
    party: Party,
    alice: Any,
    alfa: Any,
    esav: Any,
    actors: dict[Party, Any],
    fake_pdf: bytes,
) -> None:
    ticket = set_status(file_ticket(alice, alfa, esav), status)
    actor = actors[party]
    sources, parties, target = LIFE_CYCLE[name]
    before = _snapshot(ticket)

    if status in sources and party in parties:
        DRIVERS[name](ticket, actor)

        stored = Ticket.objects.get(pk=ticket.pk)
        assert stored.status == target
        assert ticket.status == target, "the caller's instance is refreshed"
        new_events = TicketEvent.objects.filter(ticket=ticket).exclude(pk__in=before["events"])
        status_events = [e for e in new_events if e.kind == EventKind.STATUS]
        assert len(status_events) == 1
        event = status_events[0]
        assert (event.transition, event.from_status, event.to_status) == (
            name,
            status,
            target,
        )
        assert event.actor == actor
        new_mail = list(
            OutboundEmail.objects.exclude(pk__in=before["outbox"]).values_list("kind", flat=True)
        )
        assert new_mail == ([MAIL_OF[name]] if name in MAIL_OF else [])
    else:
        expected = IllegalTransition if party in parties else Forbidden
        with pytest.raises(expected):
            DRIVERS[name](ticket, actor)
        assert _snapshot(ticket) == before
        assert ticket.status == status


def test_take_assigns_the_agent_and_stamps_taken_at(alice: Any, alfa: Any, esav: Any, agent: Any):
    ticket = file_ticket(alice, alfa, esav)
    assert ticket.taken_at is None
    workflow.take_charge(ticket, agent)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.taken_at is not None


def test_final_statuses_stamp_closed_at(alice: Any, alfa: Any, esav: Any, agent: Any) -> None:
    ticket = file_ticket(alice, alfa, esav)
    workflow.reject(ticket, agent, "Doublon de ES-2026-000001")
    ticket.refresh_from_db()
    assert ticket.status == Status.REJECTED
    assert ticket.closed_at is not None
    assert ticket.is_final


@pytest.mark.parametrize("question", ["", "   \n  "])
def test_request_info_needs_a_question(
    question: str, alice: Any, alfa: Any, esav: Any, agent: Any
) -> None:
    ticket = set_status(file_ticket(alice, alfa, esav), Status.IN_PROGRESS)
    before = _snapshot(ticket)
    with pytest.raises(InvalidInput) as excinfo:
        workflow.request_info(ticket, agent, question)
    assert "body" in excinfo.value.errors
    assert _snapshot(ticket) == before


def _resolve_restored_in_two_hours(t: Ticket, a: Any) -> Any:
    return workflow.resolve(
        t,
        a,
        cause="x",
        actions_taken="y",
        summary="z",
        restored_at=timezone.now() + timedelta(hours=2),
    )


@pytest.mark.parametrize(
    ("status", "driver", "field"),
    [
        (Status.IN_PROGRESS, lambda t, a: workflow.hold(t, a, " "), "body"),
        (Status.ACKNOWLEDGED, lambda t, a: workflow.reject(t, a, ""), "body"),
        (Status.RESOLVED, lambda t, a: workflow.reopen(t, a, ""), "body"),
        (
            Status.IN_PROGRESS,
            lambda t, a: workflow.resolve(t, a, cause="", actions_taken="x", summary="y"),
            "cause",
        ),
        (Status.IN_PROGRESS, _resolve_restored_in_two_hours, "restored_at"),
    ],
    ids=[
        "hold-without-reason",
        "reject-without-reason",
        "reopen-without-reason",
        "resolve-without-cause",
        "resolve-restored-in-the-future",
    ],
)
def test_desk_actions_refuse_missing_input(
    status: str,
    driver: Callable[[Ticket, Any], Any],
    field: str,
    alice: Any,
    alfa: Any,
    esav: Any,
    agent: Any,
    fake_pdf: bytes,
) -> None:
    ticket = set_status(file_ticket(alice, alfa, esav), status)
    before = _snapshot(ticket)
    with pytest.raises(InvalidInput) as excinfo:
        driver(ticket, agent)
    assert field in excinfo.value.errors
    assert _snapshot(ticket) == before


def test_contest_needs_a_reason(alice: Any, alfa: Any, esav: Any) -> None:
    ticket = set_status(file_ticket(alice, alfa, esav), Status.RESOLVED)
    before = _snapshot(ticket)
    with pytest.raises(InvalidInput):
        workflow.contest_resolution(ticket, alice, "  ")
    assert _snapshot(ticket) == before


@pytest.fixture
def resolved_on_march_2(
    alice: Any, alfa: Any, esav: Any, agent: Any, fake_pdf: bytes
) -> Iterator[tuple[Ticket, Any]]:
    """A ticket resolved on 2 March 2026 at 09:00, and the time traveller to move on."""
    with time_machine.travel("2026-03-02 09:00 +0100", tick=False) as traveller:
        ticket = file_ticket(alice, alfa, esav)
        workflow.take_charge(ticket, agent)
        workflow.resolve(ticket, agent, cause="c", actions_taken="a", summary="s")
        yield ticket, traveller


def test_contest_is_possible_for_seven_days_only(
    alice: Any, resolved_on_march_2: tuple[Ticket, Any]
) -> None:
    ticket, traveller = resolved_on_march_2

    traveller.shift(timedelta(days=7, minutes=1))
    ticket = Ticket.objects.get(pk=ticket.pk)
    before = _snapshot(ticket)
    with pytest.raises(IllegalTransition):
        workflow.contest_resolution(ticket, alice, "Toujours en panne")
    assert _snapshot(ticket) == before


def test_contest_within_seven_days_reopens_the_ticket(
    alice: Any, resolved_on_march_2: tuple[Ticket, Any]
) -> None:
    ticket, traveller = resolved_on_march_2

    traveller.shift(timedelta(days=6, hours=23))
    ticket = Ticket.objects.get(pk=ticket.pk)
    workflow.contest_resolution(ticket, alice, "Toujours en panne")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    event = ticket.events.filter(transition="contest").get()
    assert event.body == "Toujours en panne"
    assert event.actor == alice


def test_contest_deadline_is_read_from_the_database_not_a_stale_instance(
    alice: Any, alfa: Any, esav: Any, agent: Any, fake_pdf: bytes
) -> None:
    """The operator's page was loaded before the resolution; the deadline still applies."""
    with time_machine.travel("2026-03-02 09:00 +0100", tick=False) as traveller:
        ticket = file_ticket(alice, alfa, esav)
        workflow.take_charge(ticket, agent)
        stale = Ticket.objects.get(pk=ticket.pk)  # in progress, no resolved_at
        workflow.resolve(ticket, agent, cause="c", actions_taken="a", summary="s")

        traveller.shift(timedelta(days=8))
        with pytest.raises(IllegalTransition):
            workflow.contest_resolution(stale, alice, "Toujours en panne")
        assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


def test_close_expired_resolutions_closes_only_resolutions_older_than_seven_days(
    alice: Any, alfa: Any, esav: Any
) -> None:
    now = timezone.now()
    old = set_status(
        file_ticket(alice, alfa, esav),
        Status.RESOLVED,
        resolved_at=now - timedelta(days=7, minutes=5),
    )
    recent = set_status(
        file_ticket(alice, alfa, esav),
        Status.RESOLVED,
        resolved_at=now - timedelta(days=6, hours=23),
    )
    still_open = set_status(
        file_ticket(alice, alfa, esav), Status.IN_PROGRESS, resolved_at=now - timedelta(days=30)
    )

    assert workflow.close_expired_resolutions() == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    still_open.refresh_from_db()
    assert old.status == Status.CLOSED
    assert old.closed_at is not None
    event = old.events.get(transition="close")
    assert event.actor is None
    assert event.actor_label == "e-soutien"
    assert (event.from_status, event.to_status) == (Status.RESOLVED, Status.CLOSED)
    assert recent.status == Status.RESOLVED
    assert still_open.status == Status.IN_PROGRESS
    assert workflow.close_expired_resolutions() == 0, "running again closes nothing more"


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("cancel", Status.ACKNOWLEDGED),
        ("accept", Status.RESOLVED),
        ("contest", Status.RESOLVED),
        ("receive_info", Status.PENDING),
    ],
)
def test_another_operators_user_cannot_act(
    name: str, status: str, alice: Any, bob: Any, alfa: Any, esav: Any
) -> None:
    """A foreign ticket is indistinguishable from a missing one, and nothing changes."""
    ticket = set_status(file_ticket(alice, alfa, esav), status)
    before = _snapshot(ticket)
    with pytest.raises(NotFound):
        DRIVERS[name](ticket, bob)
    assert _snapshot(ticket) == before


def test_another_operators_user_cannot_comment_nor_see(
    alice: Any, bob: Any, alfa: Any, esav: Any
) -> None:
    ticket = set_status(file_ticket(alice, alfa, esav), Status.PENDING)
    before = _snapshot(ticket)
    with pytest.raises(NotFound):
        services.comment_add(bob, ticket, "Voici l'information")
    with pytest.raises(NotFound):
        selectors.get_ticket(bob, ticket.reference)
    with pytest.raises(NotFound):
        selectors.find_ticket_by_typed_number(bob, ticket.reference)
    assert not selectors.visible_tickets(bob).filter(pk=ticket.pk).exists()
    assert _snapshot(ticket) == before


def test_operator_comment_on_pending_ticket_puts_it_back_in_progress(
    alice: Any, alfa: Any, esav: Any, agent: Any
) -> None:
    ticket = file_ticket(alice, alfa, esav)
    workflow.take_charge(ticket, agent)
    workflow.request_info(ticket, agent, "Quel est le numéro de commande ?")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.PENDING

    services.comment_add(alice, ticket, "Commande 12345")

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    comment, change = list(ticket.events.order_by("-id")[:2])[::-1]
    assert (comment.kind, comment.body, comment.actor) == (
        EventKind.COMMENT,
        "Commande 12345",
        alice,
    )
    assert (change.transition, change.from_status, change.to_status) == (
        "receive_info",
        Status.PENDING,
        Status.IN_PROGRESS,
    )


def test_operator_comment_on_ticket_in_progress_changes_no_status(
    alice: Any, alfa: Any, esav: Any
) -> None:
    ticket = set_status(file_ticket(alice, alfa, esav), Status.IN_PROGRESS)
    services.comment_add(alice, ticket, "Complément")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert not ticket.events.filter(kind=EventKind.STATUS).exists()


@pytest.mark.parametrize("status", [Status.CLOSED, Status.REJECTED, Status.CANCELLED])
def test_final_ticket_takes_no_more_messages(status: str, alice: Any, alfa: Any, esav: Any) -> None:
    ticket = set_status(file_ticket(alice, alfa, esav), status)
    before = _snapshot(ticket)
    with pytest.raises(InvalidInput):
        services.comment_add(alice, ticket, "Encore un souci")
    assert _snapshot(ticket) == before


def test_agent_whose_team_does_not_cover_the_eservice_cannot_see_or_act(
    alice: Any, alfa: Any, esav: Any, agent: Any, supervisor: Any
) -> None:
    other_agent = AgentFactory(eservices=[EServiceFactory(code="fci", name="FCI")])
    ticket = file_ticket(alice, alfa, esav)
    before = _snapshot(ticket)

    assert not selectors.visible_tickets(other_agent).filter(pk=ticket.pk).exists()
    with pytest.raises(NotFound):
        selectors.get_ticket(other_agent, ticket.reference)
    with pytest.raises(NotFound):
        workflow.take_charge(ticket, other_agent)
    with pytest.raises(NotFound):
        workflow.reject(ticket, other_agent, "Pas pour nous")
    with pytest.raises(NotFound):
        services.comment_add(other_agent, ticket, "Réponse")
    assert _snapshot(ticket) == before

    # The team covering e-SAV and supervisors do see it.
    assert selectors.get_ticket(agent, ticket.reference) == ticket
    assert selectors.get_ticket(supervisor, ticket.reference) == ticket


def test_agent_without_any_team_sees_nothing(alice: Any, alfa: Any, esav: Any) -> None:
    loner = AgentFactory(eservices=None)
    ticket = file_ticket(alice, alfa, esav)
    assert not selectors.visible_tickets(loner).exists()
    with pytest.raises(NotFound):
        workflow.take_charge(ticket, loner)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.ACKNOWLEDGED


def test_inactive_user_cannot_act(alice: Any, alfa: Any, esav: Any, agent: Any) -> None:
    ticket = file_ticket(alice, alfa, esav)
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    before = _snapshot(ticket)
    with pytest.raises(Forbidden):
        workflow.take_charge(ticket, agent)
    assert _snapshot(ticket) == before


def test_stale_instance_cannot_apply_a_transition_twice(
    alice: Any, alfa: Any, esav: Any, agent: Any
) -> None:
    """Two agents on the same page: the second click is refused, not applied twice."""
    ticket = file_ticket(alice, alfa, esav)
    first_view = Ticket.objects.get(pk=ticket.pk)
    second_view = Ticket.objects.get(pk=ticket.pk)
    workflow.take_charge(first_view, agent)
    with pytest.raises(IllegalTransition):
        workflow.take_charge(second_view, agent)
    assert ticket.events.filter(transition="take").count() == 1
