"""The fallback hotline: a ticket only while e-soutien is not operational, a courteous answer
otherwise, and the message kept in both cases (issue 7)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from esoutien.catalogue.selectors import subscribed_eservices
from esoutien.mail.inbound import dispatch
from esoutien.mail.models import InboundStatus, OutboundEmail
from esoutien.operations.models import MaintenanceWindow
from esoutien.status import state
from esoutien.status.models import HealthCheckRecord
from esoutien.tickets.hotline import PLACEHOLDER_CODE, severity_from_text
from esoutien.tickets.models import Attachment, EventKind, Severity, Source, Ticket
from tests.factories import OperatorFactory, UserFactory
from tests.status.conftest import deliver, hotline_mail

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
MORNING = datetime(2026, 3, 10, 11, 0, tzinfo=PARIS)


def _outage(supervisor: Any) -> None:
    state.set_service_state(supervisor, "down", "Le portail est indisponible.", "Portal down.")


def _replies(address: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind="autoreply_hotline_normal", to=address))


# --- Taken during an outage ---------------------------------------------------------------------


def test_hotline_mail_during_a_declared_incident_becomes_a_ticket(
    alice: Any, alfa: Any, supervisor: Any
) -> None:
    _outage(supervisor)
    raw = hotline_mail(subject="URGENT portail bloqué", attachment=("trace.txt", b"HTTP 502\n"))

    row = deliver(raw)

    assert row.status == InboundStatus.ROUTED
    ticket = Ticket.objects.get(reference=row.thread_key)
    assert ticket.source == Source.HOTLINE
    assert ticket.operator == alfa
    assert ticket.eservice.code == PLACEHOLDER_CODE and ticket.eservice.is_placeholder
    assert ticket.severity == Severity.CRITICAL
    assert ticket.contact_email == "alice@alfa.example"
    assert ticket.created_by == alice
    assert "ne répond plus" in ticket.description
    assert Attachment.objects.filter(ticket=ticket, filename="trace.txt").exists()
    ack = OutboundEmail.objects.get(kind="acknowledgement", thread_key=ticket.reference)
    assert ack.recipients == ["alice@alfa.example"]
    assert ticket.reference in ack.subject + ack.text_body
    assert bytes(row.raw) == raw  # the message itself stays stored
    assert _replies("alice@alfa.example") == []


def test_hotline_mail_during_a_maintenance_window_becomes_a_ticket(alice: Any, alfa: Any) -> None:
    MaintenanceWindow.objects.create(
        uid="maintenance-test@e-soutien",
        title_fr="Migration de la base",
        starts_at=MORNING - timedelta(hours=1),
        ends_at=MORNING + timedelta(hours=1),
        affects_portal=True,
    )
    with time_machine.travel(MORNING, tick=False):
        row = deliver(hotline_mail(subject="Problème majeur sur les commandes"))

    assert row.status == InboundStatus.ROUTED
    ticket = Ticket.objects.get(reference=row.thread_key)
    assert (ticket.source, ticket.operator, ticket.severity) == (
        Source.HOTLINE,
        alfa,
        Severity.MAJOR,
    )
    # After the window, the same address is back to the rule for normal operation.
    with time_machine.travel(MORNING + timedelta(hours=2), tick=False):
        later = deliver(hotline_mail(subject="Encore un souci"))
    assert (later.status, later.reason) == (InboundStatus.QUARANTINED, "hotline_normal")


def test_a_window_on_an_e_service_only_does_not_open_the_hotline(alice: Any, esav: Any) -> None:
    window = MaintenanceWindow.objects.create(
        uid="esav-only@e-soutien",
        title_fr="e-SAV",
        starts_at=MORNING - timedelta(hours=1),
        ends_at=MORNING + timedelta(hours=1),
        affects_portal=False,
    )
    window.eservices.add(esav)
    with time_machine.travel(MORNING, tick=False):
        row = deliver(hotline_mail())
    assert row.reason == "hotline_normal"


def test_failing_health_checks_open_the_hotline_after_n_minutes(alice: Any) -> None:
    start = MORNING - timedelta(minutes=10)
    for minute in range(11):
        HealthCheckRecord.objects.create(
            checked_at=start + timedelta(minutes=minute),
            ok=minute < 7,  # failing from 10:57
            details={"smtp": {"ok": minute < 7, "detail": "refused"}},
        )
    with time_machine.travel(MORNING - timedelta(seconds=30), tick=False):
        too_early = deliver(hotline_mail(subject="Premier message"))  # failing 2.5 minutes
    assert too_early.reason == "hotline_normal"
    for minute in range(11, 14):
        HealthCheckRecord.objects.create(
            checked_at=start + timedelta(minutes=minute), ok=False, details={}
        )
    with time_machine.travel(MORNING + timedelta(minutes=3, seconds=10), tick=False):
        row = deliver(hotline_mail(subject="Deuxième message"))  # failing 6 minutes
    assert row.status == InboundStatus.ROUTED


def test_mail_sent_during_an_outage_but_stored_after_it_still_counts(
    alice: Any, supervisor: Any
) -> None:
    """While our database was down the sender's server kept the message; its Date says when."""
    with time_machine.travel(MORNING, tick=False):
        _outage(supervisor)
    with time_machine.travel(MORNING + timedelta(hours=1), tick=False):
        state.set_service_state(supervisor, "operational")
    with time_machine.travel(MORNING + timedelta(hours=2), tick=False):
        sent_during = deliver(hotline_mail(date=MORNING + timedelta(minutes=30)))
        sent_after = deliver(hotline_mail(date=MORNING + timedelta(minutes=90)))
    assert sent_during.status == InboundStatus.ROUTED
    assert sent_after.reason == "hotline_normal"


# --- Refused in normal operation ------------------------------------------------------------


def test_hotline_mail_in_normal_operation_gets_one_courteous_answer_and_is_kept(
    client: Client, alice: Any, supervisor: Any
) -> None:
    raw = hotline_mail()
    row = deliver(raw)

    assert (row.status, row.reason) == (InboundStatus.QUARANTINED, "hotline_normal")
    assert bytes(row.raw) == raw
    assert not Ticket.objects.filter(source=Source.HOTLINE).exists()
    [reply] = _replies("alice@alfa.example")
    assert "http://testserver/" in reply.text_body  # the portal is available
    assert "http://testserver/statut" in reply.text_body
    # Routing it again (replay) sends nothing more.
    dispatch.process(row.pk, allowed=(InboundStatus.QUARANTINED,))
    assert len(_replies("alice@alfa.example")) == 1
    # Staff find it in the quarantine, under its own reason.
    client.force_login(supervisor)
    page = client.get(reverse("desk:quarantine"), {"reason": "hotline_normal"})
    assert page.status_code == 200
    assert row.subject in page.content.decode()


def test_courteous_answers_are_rate_limited_and_never_sent_to_automatic_mail(
    alice: Any, settings: Any
) -> None:
    settings.ESOUTIEN_INBOUND_AUTOREPLY_PER_HOUR = 2
    for n in range(4):
        deliver(hotline_mail(subject=f"Message {n}"))
    assert len(_replies("alice@alfa.example")) == 2
    robot = deliver(
        hotline_mail(sender="bob@brav.example", headers={"Auto-Submitted": "auto-replied"}),
        envelope_sender="bob@brav.example",
    )
    assert robot.reason == "hotline_normal"
    assert _replies("bob@brav.example") == []


# --- Finding the operator -------------------------------------------------------------------


def test_an_unknown_address_of_an_operators_domain_is_attributed_to_it(
    alice: Any, alfa: Any, supervisor: Any
) -> None:
    _outage(supervisor)
    row = deliver(hotline_mail(sender="astreinte@alfa.example"), envelope_sender="x@alfa.example")
    ticket = Ticket.objects.get(reference=row.thread_key)
    assert ticket.operator == alfa
    assert ticket.created_by is None
    assert ticket.contact_email == "astreinte@alfa.example"


def test_notification_contacts_name_the_operator_domain(supervisor: Any) -> None:
    operator = OperatorFactory(code="CHAR", notification_emails="noc@charlie.example\n")
    _outage(supervisor)
    row = deliver(hotline_mail(sender="nuit@charlie.example"), envelope_sender="")
    assert Ticket.objects.get(reference=row.thread_key).operator == operator


def test_a_sender_no_rule_attributes_is_held_for_staff_who_file_it(
    client: Client, alfa: Any, supervisor: Any
) -> None:
    OperatorFactory(code="DELT", notification_emails="noc@shared.example")
    OperatorFactory(code="ECHO", notification_emails="noc@shared.example")
    _outage(supervisor)
    row = deliver(
        hotline_mail(sender="someone@shared.example"), envelope_sender="someone@shared.example"
    )
    assert (row.status, row.reason) == (InboundStatus.QUARANTINED, "hotline_unknown_sender")
    assert not Ticket.objects.exists()

    client.force_login(supervisor)
    page = client.get(reverse("desk:quarantine_detail", args=[row.pk]))
    assert 'id="hotline-ticket-form"' in page.content.decode()
    response = client.post(
        reverse("desk:quarantine_hotline_ticket", args=[row.pk]), {"operator": "ALFA"}
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("desk:ticket", args=[ticket.reference])
    assert (ticket.operator, ticket.source) == (alfa, Source.HOTLINE)
    row.refresh_from_db()
    assert (row.status, row.thread_key) == (InboundStatus.ROUTED, ticket.reference)
    assert OutboundEmail.objects.filter(kind="acknowledgement", to="someone@shared.example")


def test_replaying_a_taken_message_files_nothing_more(alice: Any, supervisor: Any) -> None:
    _outage(supervisor)
    row = deliver(hotline_mail())
    dispatch.process(row.pk, allowed=(InboundStatus.ROUTED,))  # forced replay
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        ("Incident critique sur le portail", Severity.CRITICAL),
        ("Tout est BLOQUANT depuis ce matin", Severity.CRITICAL),
        ("Problème majeur, mais partiel", Severity.MAJOR),
        ("Anomalie mineure d'affichage", Severity.MINOR),
        ("Le portail ne répond plus", Severity.CRITICAL),
    ],
)
def test_severity_comes_from_the_text_critical_by_default(text: str, severity: str) -> None:
    assert severity_from_text(text) == severity


# --- Requalifying (desk) --------------------------------------------------------------------


def test_desk_sets_the_e_service_of_a_hotline_ticket(
    client: Client, alice: Any, esav: Any, supervisor: Any, agent: Any
) -> None:
    _outage(supervisor)
    ticket = Ticket.objects.get(reference=deliver(hotline_mail()).thread_key)
    # Agents work their teams' e-services: the ticket "to qualify" is not theirs yet.
    client.force_login(agent)
    url = reverse("desk:ticket_requalify", args=[ticket.reference])
    assert client.post(url, {"eservice": "esav"}).status_code == 404

    client.force_login(supervisor)
    page = client.get(reverse("desk:ticket", args=[ticket.reference]))
    assert 'id="requalify-form"' in page.content.decode()
    assert client.post(url, {"eservice": PLACEHOLDER_CODE}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.eservice.code == PLACEHOLDER_CODE  # refused: not a real e-service
    client.post(url, {"eservice": "esav"})
    ticket.refresh_from_db()
    assert ticket.eservice == esav
    event = ticket.events.get(kind=EventKind.NOTE, data__requalified__to="esav")
    assert event.actor == supervisor and not event.public
    client.force_login(agent)  # now in the agent's e-services
    assert client.get(reverse("desk:ticket", args=[ticket.reference])).status_code == 200


def test_the_placeholder_is_never_offered_to_operators(alice: Any, alfa: Any) -> None:
    from esoutien.tickets.hotline import placeholder_eservice

    placeholder_eservice()
    codes = {e.code for e in subscribed_eservices(alfa.pk, MORNING.date())}
    assert PLACEHOLDER_CODE not in codes
    client = Client()
    client.force_login(alice)
    page = client.get(reverse("portal:ticket_new"))
    assert "À qualifier" not in page.content.decode()


def test_a_disabled_operator_user_is_not_enough_to_attribute(supervisor: Any) -> None:
    UserFactory(email="ancien@zulu.example", is_active=False, operator=OperatorFactory(code="ZULU"))
    _outage(supervisor)
    row = deliver(hotline_mail(sender="ancien@zulu.example"), envelope_sender="ancien@zulu.example")
    assert row.reason == "hotline_unknown_sender"
