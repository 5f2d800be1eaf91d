"""The desk's "Courrier en quarantaine" over HTTP: list, detail, attach, release, discard.

The pages parse the stored bytes again (mail/inbound/parse.py), so the rows hold real
messages; routing itself is covered in test_routing.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from esoutien.audit.models import AuditEvent
from esoutien.mail.models import InboundEmail, InboundStatus, OutboundEmail
from esoutien.tickets import workflow
from esoutien.tickets.models import EventKind, Ticket
from esoutien.tickets.states import Status
from tests.factories import AgentFactory, EServiceFactory, UserFactory, file_ticket
from tests.inbound.test_routing import CONTACT, deliver, parsed_email, reply_to
from tests.support import queries_to_render

pytestmark = pytest.mark.django_db

pytest.importorskip("esoutien.mail.inbound.parse")

SPOOFER = "mallory@evil.example"


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    # Pages render {% static %}; tests do not run collectstatic, so no manifest exists.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.ESOUTIEN_BASE_URL = "http://testserver"
    if not getattr(settings, "ESOUTIEN_INBOUND_ROUTERS", None):  # the mail layer's setting
        settings.ESOUTIEN_INBOUND_ROUTERS = {
            "support": "esoutien.tickets.inbound.route",
            "hotline": "esoutien.tickets.inbound.route_hotline",
        }


@pytest.fixture
def ticket(alice: Any, alfa: Any, esav: Any) -> Ticket:
    return file_ticket(alice, alfa, esav, contact_email=CONTACT, subject="Lien coupé à Niort")


@pytest.fixture
def pending(ticket: Ticket, agent: Any) -> Ticket:
    workflow.take_charge(ticket, agent)
    workflow.request_info(ticket, agent, "Pouvez-vous redémarrer le boîtier ?")
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def spoofed(pending: Ticket) -> InboundEmail:
    """A right reply address from a foreign sender: quarantined, naming the e-SAV ticket."""
    row, result = deliver(
        parsed_email(
            sender=SPOOFER,
            recipients=(reply_to(pending),),
            subject=f"Re: [{pending.reference}] Information requested",
        )
    )
    assert result.reason == "unverified_sender"
    return row


@pytest.fixture
def stray(db: None) -> InboundEmail:
    """A new request mailed to the support address: quarantined, naming no ticket."""
    row, result = deliver(
        parsed_email(
            sender="nouveau@client.example",
            subject="Panne à Luçon",
            text="Le lien est coupé depuis ce matin.",
            reply_text="Le lien est coupé depuis ce matin.",
        )
    )
    assert result.reason == "not_a_reply"
    return row


@pytest.fixture
def agent_client(client: Any, agent: Any) -> Any:
    client.force_login(agent)
    return client


def _act(client: Any, row: InboundEmail, action: str, **data: Any) -> Any:
    return client.post(reverse("desk:quarantine_action", args=[row.pk, action]), data, follow=True)


def _page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return str(response.content.decode())


# --- The list and the detail -------------------------------------------------------------------


def test_list_shows_sender_subject_reason_and_a_preview(
    agent_client: Any, spoofed: InboundEmail, stray: InboundEmail
) -> None:
    page = _page(agent_client, reverse("desk:quarantine"))
    assert SPOOFER in page and "nouveau@client.example" in page
    assert "Panne à Luçon" in page
    assert "Le lien est coupé depuis ce matin." in page  # parsed again for the preview
    assert "le boîtier a été redémarré" in page.lower()
    assert reverse("desk:quarantine_detail", args=[stray.pk]) in page


def test_list_filters_by_reason(
    agent_client: Any, spoofed: InboundEmail, stray: InboundEmail
) -> None:
    page = _page(agent_client, reverse("desk:quarantine") + "?reason=not_a_reply")
    assert "nouveau@client.example" in page and SPOOFER not in page
    page = _page(agent_client, reverse("desk:quarantine") + "?reason=nonsense")
    assert "nouveau@client.example" in page and SPOOFER in page  # unknown reason: all


def test_list_is_paginated_and_its_query_count_does_not_grow(
    agent_client: Any, settings: Any, stray: InboundEmail
) -> None:
    settings.ESOUTIEN_PAGE_SIZE = 3
    few = queries_to_render(agent_client, reverse("desk:quarantine"))
    for n in range(6):
        deliver(parsed_email(sender=f"client{n}@client.example", subject=f"Demande {n}"))
    assert queries_to_render(agent_client, reverse("desk:quarantine")) == few
    page = _page(agent_client, reverse("desk:quarantine") + "?page=3")
    assert "Panne à Luçon" in page  # the oldest, on the last page
    assert "Page 3" in page or "Page 3" in page.replace("&nbsp;", " ")


def test_handled_messages_leave_the_list(agent_client: Any, stray: InboundEmail) -> None:
    InboundEmail.objects.filter(pk=stray.pk).update(status=InboundStatus.DISCARDED)
    assert "Panne à Luçon" not in _page(agent_client, reverse("desk:quarantine"))


def test_detail_shows_the_message(agent_client: Any, spoofed: InboundEmail) -> None:
    page = _page(agent_client, reverse("desk:quarantine_detail", args=[spoofed.pk]))
    assert SPOOFER in page and "Le boîtier a été redémarré" in page
    assert reverse("desk:quarantine_action", args=[spoofed.pk, "attach"]) in page


def test_the_desk_menu_links_the_quarantine_with_a_count(
    agent_client: Any, stray: InboundEmail, spoofed: InboundEmail
) -> None:
    page = _page(agent_client, reverse("desk:queue"))
    assert reverse("desk:quarantine") in page
    assert '<span class="badge badge-internal">2<' in page


# --- Who sees what -----------------------------------------------------------------------------


def test_operator_users_are_refused(client: Any, alice: Any, stray: InboundEmail) -> None:
    client.force_login(alice)
    assert client.get(reverse("desk:quarantine")).status_code == 403
    assert client.get(reverse("desk:quarantine_detail", args=[stray.pk])).status_code == 403
    assert _act(client, stray, "discard").status_code == 403
    assert InboundEmail.objects.get(pk=stray.pk).status == InboundStatus.QUARANTINED


def test_an_agent_not_covering_the_eservice_sees_only_what_names_no_ticket(
    client: Any, spoofed: InboundEmail, stray: InboundEmail, pending: Ticket
) -> None:
    outsider = AgentFactory(eservices=[EServiceFactory(code="fci", name="FCI")])
    client.force_login(outsider)
    page = _page(client, reverse("desk:quarantine"))
    assert "nouveau@client.example" in page and SPOOFER not in page
    assert client.get(reverse("desk:quarantine_detail", args=[spoofed.pk])).status_code == 404
    assert _act(client, spoofed, "discard").status_code == 404
    # Nor can the outsider attach a stray message to a ticket it cannot see.
    before = pending.events.count()
    page = _act(client, stray, "attach", reference=pending.reference).content.decode()
    assert "No ticket with this reference" in page or "Aucun ticket" in page
    assert pending.events.count() == before
    assert InboundEmail.objects.get(pk=stray.pk).status == InboundStatus.QUARANTINED
    assert not AuditEvent.objects.filter(action="quarantine_attached").exists()


def test_a_supervisor_sees_everything(
    client: Any, supervisor: Any, spoofed: InboundEmail, stray: InboundEmail
) -> None:
    client.force_login(supervisor)
    page = _page(client, reverse("desk:quarantine"))
    assert SPOOFER in page and "nouveau@client.example" in page


def test_a_missing_message_is_a_404(agent_client: Any) -> None:
    assert agent_client.get(reverse("desk:quarantine_detail", args=[999999])).status_code == 404


# --- Actions -----------------------------------------------------------------------------------


def test_attach_adds_the_message_in_the_senders_name_and_is_audited(
    agent_client: Any, agent: Any, stray: InboundEmail, pending: Ticket
) -> None:
    typed = pending.reference.split("-")[-1].lstrip("0")  # the bare number is enough
    response = _act(agent_client, stray, "attach", reference=typed)
    assert response.redirect_chain[-1][0] == reverse("desk:ticket", args=[pending.reference])
    pending.refresh_from_db()
    assert pending.status == Status.IN_PROGRESS  # it answered the question
    message = pending.events.get(kind=EventKind.COMMENT)
    assert message.body == "Le lien est coupé depuis ce matin."
    assert message.actor is None and message.actor_label == "nouveau@client.example"
    assert message.data["inbound_email_id"] == stray.pk
    assert message.data["attached_by"] == agent.pk
    stray.refresh_from_db()
    assert (stray.status, stray.thread_key) == (InboundStatus.ROUTED, pending.reference)
    audit = AuditEvent.objects.get(action="quarantine_attached")
    assert audit.actor == agent and audit.target == pending.reference
    assert audit.data["inbound_email_id"] == stray.pk
    # Done once: the message has left the quarantine.
    _act(agent_client, stray, "attach", reference=pending.reference)
    assert pending.events.filter(kind=EventKind.COMMENT).count() == 1


def test_attach_to_an_unknown_reference_changes_nothing(
    agent_client: Any, stray: InboundEmail
) -> None:
    _act(agent_client, stray, "attach", reference="ES-2019-999999")
    assert InboundEmail.objects.get(pk=stray.pk).status == InboundStatus.QUARANTINED


def test_attach_to_a_closed_ticket_is_refused(
    agent_client: Any, stray: InboundEmail, ticket: Ticket
) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    page = _act(agent_client, stray, "attach", reference=ticket.reference).content.decode()
    assert InboundEmail.objects.get(pk=stray.pk).status == InboundStatus.QUARANTINED
    assert not ticket.events.filter(kind=EventKind.COMMENT).exists()
    assert "message-error" in page


def test_release_after_the_sender_got_an_account(
    agent_client: Any, agent: Any, spoofed: InboundEmail, pending: Ticket, alfa: Any
) -> None:
    _act(agent_client, spoofed, "release")
    assert InboundEmail.objects.get(pk=spoofed.pk).reason == "unverified_sender"
    assert pending.events.filter(kind=EventKind.COMMENT).count() == 0

    mallory = UserFactory(email=SPOOFER, operator=alfa)  # it was a colleague after all
    _act(agent_client, spoofed, "release")
    spoofed.refresh_from_db()
    assert (spoofed.status, spoofed.reason) == (InboundStatus.ROUTED, "")
    pending.refresh_from_db()
    assert pending.status == Status.IN_PROGRESS
    assert pending.events.get(kind=EventKind.COMMENT).actor == mallory
    assert AuditEvent.objects.filter(action="quarantine_released", actor=agent).count() == 2


def test_discard_keeps_the_message_and_audits(
    agent_client: Any, agent: Any, stray: InboundEmail
) -> None:
    response = _act(agent_client, stray, "discard", note="Démarchage")
    assert response.redirect_chain[-1][0] == reverse("desk:quarantine")
    stray.refresh_from_db()
    assert stray.status == InboundStatus.DISCARDED and stray.raw
    audit = AuditEvent.objects.get(action="quarantine_discarded")
    assert audit.actor == agent and audit.data["note"] == "Démarchage"
    # A handled message takes no more actions.
    _act(agent_client, stray, "release")
    assert InboundEmail.objects.get(pk=stray.pk).status == InboundStatus.DISCARDED


def test_an_unknown_action_is_a_404(agent_client: Any, stray: InboundEmail) -> None:
    url = reverse("desk:quarantine_action", args=[stray.pk, "explode"])
    assert agent_client.post(url).status_code == 404


def test_actions_need_a_post(agent_client: Any, stray: InboundEmail) -> None:
    url = reverse("desk:quarantine_action", args=[stray.pk, "discard"])
    assert agent_client.get(url).status_code == 405
    assert OutboundEmail.objects.filter(kind="autoreply_not_a_reply").count() == 1
