"""The provider desk over HTTP: an agent works a ticket from the queue to the report."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.urls import reverse

from esoutien.mail.models import OutboundEmail
from esoutien.tickets.models import EventKind, Ticket
from esoutien.tickets.states import Status
from tests.factories import AgentFactory, EServiceFactory, file_ticket
from tests.support import queries_to_render

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client: Any, agent: Any) -> Any:
    client.force_login(agent)
    return client


@pytest.fixture
def ticket(alice: Any, alfa: Any, esav: Any) -> Ticket:
    return file_ticket(alice, alfa, esav, subject="Lien FTTE coupé")


def _do(client: Any, ticket: Ticket, action: str, **data: Any) -> Any:
    return client.post(
        reverse("desk:ticket_action", args=[ticket.reference, action]), data, follow=True
    )


def test_queue_shows_the_tickets_of_the_agents_eservices(
    agent_client: Any, ticket: Ticket, bob: Any, brav: Any, esav: Any
) -> None:
    other = EServiceFactory(code="fci", name="FCI")
    page = agent_client.get(reverse("desk:queue")).content.decode()
    assert ticket.reference in page
    outsider = AgentFactory(eservices=[other])
    agent_client.force_login(outsider)
    assert ticket.reference not in agent_client.get(reverse("desk:queue")).content.decode()
    assert agent_client.get(reverse("desk:ticket", args=[ticket.reference])).status_code == 404


def test_queue_query_count_does_not_grow_with_tickets(
    agent_client: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    file_ticket(alice, alfa, esav)
    few = queries_to_render(agent_client, reverse("desk:queue"))
    for _ in range(15):
        file_ticket(alice, alfa, esav)
    assert queries_to_render(agent_client, reverse("desk:queue")) == few


def test_agent_works_a_ticket_to_resolution(
    agent_client: Any, agent: Any, ticket: Ticket, client: Any, alice: Any, fake_pdf: bytes
) -> None:
    _do(agent_client, ticket, "take")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.assignee == agent

    _do(agent_client, ticket, "request_info", body="Pouvez-vous redémarrer le boîtier ?")
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    question = OutboundEmail.objects.get(thread_key=ticket.reference, kind="info_request")
    assert "redémarrer le boîtier" in question.text_body

    _do(agent_client, ticket, "note", body="Vérifier la carte OLT 3")
    _do(agent_client, ticket, "resume")
    response = _do(
        agent_client,
        ticket,
        "resolve",
        cause="Carte OLT défectueuse",
        actions_taken="Remplacement de la carte",
        summary="Service rétabli",
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    report_mail = OutboundEmail.objects.get(thread_key=ticket.reference, kind="resolution")
    assert report_mail.attachments and report_mail.attachments[0]["filename"].endswith(".pdf")

    # The operator sees the resolution and downloads the PDF, but never the internal note.
    client.force_login(alice)
    page = client.get(reverse("portal:ticket", args=[ticket.reference])).content.decode()
    assert "Service rétabli" in page
    assert "carte OLT 3" not in page
    pdf = ticket.reports.get().pdf
    download = client.get(reverse("portal:attachment", args=[ticket.reference, pdf.pk]))
    assert b"".join(download.streaming_content) == fake_pdf


def test_resolve_without_report_is_refused(agent_client: Any, ticket: Ticket) -> None:
    _do(agent_client, ticket, "take")
    response = _do(agent_client, ticket, "resolve", cause="", actions_taken="", summary="")
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert response.status_code == 200
    assert not ticket.reports.exists()


def test_illegal_desk_action_is_explained_and_changes_nothing(
    agent_client: Any, ticket: Ticket
) -> None:
    response = _do(agent_client, ticket, "close")
    ticket.refresh_from_db()
    assert ticket.status == Status.ACKNOWLEDGED
    page = html.unescape(response.content.decode())
    assert "n'est pas possible" in page


def test_public_reply_mails_the_contact_and_internal_note_does_not(
    agent_client: Any, ticket: Ticket
) -> None:
    _do(agent_client, ticket, "take")
    before = OutboundEmail.objects.count()
    _do(agent_client, ticket, "note", body="interne")
    assert OutboundEmail.objects.count() == before
    _do(agent_client, ticket, "reply", body="Nous analysons les traces.")
    reply = OutboundEmail.objects.get(kind="public_reply")
    assert reply.recipients == [ticket.contact_email]
    assert ticket.events.filter(kind=EventKind.NOTE, public=False).exists()


def test_assign_and_delivery_state_on_the_ticket_page(
    agent_client: Any, ticket: Ticket, supervisor: Any
) -> None:
    _do(agent_client, ticket, "assign", assignee=supervisor.pk)
    ticket.refresh_from_db()
    assert ticket.assignee == supervisor
    page = agent_client.get(reverse("desk:ticket", args=[ticket.reference])).content.decode()
    assert "acknowledgement" in page  # the queued acknowledgement is listed with its state


def test_staff_files_on_behalf_of_an_operator(
    agent_client: Any, alfa: Any, esav: Any, brav: Any, ftte: Any
) -> None:
    data = {
        "operator": brav.pk,
        "eservice": ftte.pk,
        "kind": "request",
        "severity": "minor",
        "subject": "Appel téléphonique",
        "description": "Signalé par téléphone",
        "contact_email": "noc@brav.example",
    }
    response = agent_client.post(reverse("desk:ticket_new"), data)
    assert response.status_code == 200  # BRAV does not subscribe to FTTE: refused
    assert not Ticket.objects.exists()
    response = agent_client.post(reverse("desk:ticket_new"), {**data, "eservice": esav.pk})
    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("desk:ticket", args=[ticket.reference])
    assert ticket.operator == brav


def test_failed_mail_can_be_retried_from_the_desk(agent_client: Any, ticket: Ticket) -> None:
    email = OutboundEmail.objects.get(thread_key=ticket.reference)
    OutboundEmail.objects.filter(pk=email.pk).update(status="failed", attempts=12)
    agent_client.post(reverse("desk:outbox_retry", args=[email.pk]))
    email.refresh_from_db()
    assert email.status == "queued"
