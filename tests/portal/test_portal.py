"""The operator portal over HTTP: what an operator's user sees and can do."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from esoutien.mail.models import OutboundEmail
from esoutien.tickets.models import Attachment, EventKind, Ticket, TicketEvent
from esoutien.tickets.states import Status
from tests.factories import UserFactory, file_ticket, set_status
from tests.support import queries_to_render

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(client: Any, alice: Any) -> Any:
    client.force_login(alice)
    return client


def test_login_by_email_lands_on_the_dashboard(client: Any, alfa: Any) -> None:
    UserFactory(email="carla@alfa.example", operator=alfa, password="Un-mot-de-passe-solide-42")
    response = client.post(
        reverse("account_login"),
        {"login": "Carla@Alfa.example", "password": "Un-mot-de-passe-solide-42"},
    )
    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).request["PATH_INFO"] == reverse(
        "portal:dashboard"
    )


def test_wrong_password_is_refused_with_a_message(client: Any, alice: Any) -> None:
    response = client.post(reverse("account_login"), {"login": alice.email, "password": "nope"})
    assert response.status_code == 200
    assert "mot de passe" in response.content.decode()


def test_dashboard_lists_own_operator_tickets_only(
    alice_client: Any, alice: Any, alfa: Any, bob: Any, brav: Any, esav: Any
) -> None:
    mine = file_ticket(alice, alfa, esav, subject="Panne chez Alfa")
    theirs = file_ticket(bob, brav, esav, subject="Panne chez Bravo")
    page = alice_client.get(reverse("portal:dashboard")).content.decode()
    assert mine.reference in page and "Panne chez Alfa" in page
    assert theirs.reference not in page and "Panne chez Bravo" not in page


def test_dashboard_filters_by_status_and_text(
    alice_client: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    first = file_ticket(alice, alfa, esav, subject="Lien coupé à Nantes")
    second = file_ticket(alice, alfa, esav, subject="Débit faible à Cholet")
    set_status(second, Status.PENDING)
    page = alice_client.get(reverse("portal:dashboard"), {"status": "pending"}).content.decode()
    assert second.reference in page and first.reference not in page
    page = alice_client.get(reverse("portal:dashboard"), {"q": "nantes"}).content.decode()
    assert first.reference in page and second.reference not in page
    page = alice_client.get(reverse("portal:dashboard"), {"q": first.reference}).content.decode()
    assert first.reference in page and second.reference not in page


def test_dashboard_query_count_does_not_grow_with_tickets(
    alice_client: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    file_ticket(alice, alfa, esav)
    few = queries_to_render(alice_client, reverse("portal:dashboard"))
    for _ in range(15):
        file_ticket(alice, alfa, esav)
    assert queries_to_render(alice_client, reverse("portal:dashboard")) == few


def test_new_ticket_form_offers_only_subscribed_eservices(
    client: Any, bob: Any, esav: Any, ftte: Any
) -> None:
    client.force_login(bob)
    page = client.get(reverse("portal:ticket_new")).content.decode()
    assert "e-SAV" in page
    assert "Éligibilité FTTE" not in page


def _ticket_form(eservice: Any, **extra: Any) -> dict[str, Any]:
    data = {
        "eservice": eservice.pk,
        "kind": "incident",
        "severity": "major",
        "subject": "Perte de synchronisation",
        "description": "Le lien ne synchronise plus depuis 8 h.",
        "contact_email": "noc@alfa.example",
        "line_reference": "fi-1234-5678",
    }
    data.update(extra)
    return data


def test_filing_shows_the_reference_and_queues_the_acknowledgement(
    alice_client: Any, esav: Any
) -> None:
    upload = SimpleUploadedFile("trace.txt", b"ping timeout", content_type="text/plain")
    response = alice_client.post(
        reverse("portal:ticket_new"), {**_ticket_form(esav), "attachments": [upload]}, follow=True
    )
    ticket = Ticket.objects.get()
    page = response.content.decode()
    assert ticket.reference in page
    assert ticket.line_reference == "FI-1234-5678"
    assert "trace.txt" in page
    ack = OutboundEmail.objects.get(thread_key=ticket.reference)
    assert f"[{ticket.reference}]" in ack.subject
    assert ack.recipients == ["noc@alfa.example"]


def test_filing_for_an_unsubscribed_eservice_is_refused_and_saves_nothing(
    client: Any, bob: Any, esav: Any, ftte: Any
) -> None:
    client.force_login(bob)
    response = client.post(reverse("portal:ticket_new"), _ticket_form(ftte))
    assert response.status_code == 200
    assert "ne souscrit pas" in html.unescape(response.content.decode())
    assert not Ticket.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_invalid_line_reference_gets_a_field_message(alice_client: Any, esav: Any) -> None:
    response = alice_client.post(
        reverse("portal:ticket_new"), _ticket_form(esav, line_reference="12345")
    )
    assert response.status_code == 200
    assert "OO-XXXX-XXXX" in response.content.decode()
    assert not Ticket.objects.exists()


def test_forbidden_attachment_type_is_refused_before_anything_is_stored(
    alice_client: Any, esav: Any, attachment_dir: Any
) -> None:
    upload = SimpleUploadedFile("virus.exe", b"MZ....", content_type="application/octet-stream")
    response = alice_client.post(
        reverse("portal:ticket_new"), {**_ticket_form(esav), "attachments": [upload]}
    )
    assert response.status_code == 200
    assert "virus.exe" in response.content.decode()
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()
    assert not attachment_dir.exists() or not any(attachment_dir.rglob("*.exe"))


@pytest.fixture
def foreign(bob: Any, brav: Any, esav: Any) -> Ticket:
    ticket = file_ticket(
        bob, brav, esav, files=[SimpleUploadedFile("b.txt", b"b", content_type="text/plain")]
    )
    return ticket


def test_every_portal_url_hides_a_foreign_ticket(alice_client: Any, foreign: Ticket) -> None:
    ref = foreign.reference
    attachment = foreign.attachments.get()
    events_before = TicketEvent.objects.filter(ticket=foreign).count()
    urls = [
        ("get", reverse("portal:ticket", args=[ref])),
        ("post", reverse("portal:ticket_comment", args=[ref])),
        ("post", reverse("portal:ticket_cancel", args=[ref])),
        ("post", reverse("portal:ticket_accept", args=[ref])),
        ("post", reverse("portal:ticket_contest", args=[ref])),
        ("get", reverse("portal:attachment", args=[ref, attachment.pk])),
    ]
    for method, url in urls:
        response = getattr(alice_client, method)(url, {"body": "intrusion"})
        assert response.status_code == 404, url
    foreign.refresh_from_db()
    assert foreign.status == Status.ACKNOWLEDGED
    assert TicketEvent.objects.filter(ticket=foreign).count() == events_before


def test_followup_gives_the_same_answer_for_foreign_and_unknown_numbers(
    alice_client: Any, foreign: Ticket
) -> None:
    url = reverse("portal:followup")
    data = {"mode": "complement", "body": "complément"}
    foreign_page = alice_client.post(url, {**data, "reference": foreign.reference}).content
    unknown_page = alice_client.post(url, {**data, "reference": "ES-2020-999999"}).content
    for page in (foreign_page.decode(), unknown_page.decode()):
        assert "Aucun ticket ouvert avec ce numéro" in html.unescape(page)
    assert not TicketEvent.objects.filter(ticket=foreign, kind=EventKind.COMMENT).exists()


@pytest.mark.parametrize("typed", ["{ref}", "{lower}", " {spaced} ", "{number}", "{padded}"])
def test_followup_accepts_the_number_as_operators_type_it(
    alice_client: Any, alice: Any, alfa: Any, esav: Any, typed: str
) -> None:
    ticket = file_ticket(alice, alfa, esav)
    number = int(ticket.reference.rsplit("-", 1)[1])
    text = typed.format(
        ref=ticket.reference,
        lower=ticket.reference.lower(),
        spaced=ticket.reference.replace("-", " "),
        number=number,
        padded=f"{number:06d}",
    )
    response = alice_client.post(
        reverse("portal:followup"), {"reference": text, "mode": "complement", "body": "Info"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:ticket", args=[ticket.reference])
    assert ticket.events.filter(kind=EventKind.COMMENT, body="Info").exists()


def test_followup_complement_on_a_pending_ticket_puts_it_back_in_progress(
    alice_client: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    ticket = set_status(file_ticket(alice, alfa, esav), Status.PENDING)
    upload = SimpleUploadedFile("capture.png", b"\x89PNG....", content_type="image/png")
    alice_client.post(
        reverse("portal:followup"),
        {
            "reference": ticket.reference,
            "mode": "complement",
            "body": "Voici la capture",
            "attachments": [upload],
        },
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.attachments.filter(filename="capture.png").exists()


def test_followup_status_inquiry_is_recorded(
    alice_client: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    ticket = file_ticket(alice, alfa, esav)
    response = alice_client.post(
        reverse("portal:followup"), {"reference": ticket.reference, "mode": "inquiry"}, follow=True
    )
    assert response.status_code == 200
    assert ticket.events.filter(kind=EventKind.INQUIRY).count() == 1


def test_followup_on_a_closed_ticket_explains_why_nothing_happens(
    alice_client: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    ticket = set_status(file_ticket(alice, alfa, esav), Status.CLOSED)
    response = alice_client.post(
        reverse("portal:followup"),
        {"reference": ticket.reference, "mode": "complement", "body": "encore"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert ticket.reference in page
    assert "nouveau ticket" in html.unescape(page)
    assert not ticket.events.filter(kind=EventKind.COMMENT).exists()


def test_operator_cancels_own_open_ticket(
    alice_client: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    ticket = file_ticket(alice, alfa, esav)
    alice_client.post(reverse("portal:ticket_cancel", args=[ticket.reference]), {"body": "doublon"})
    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED
    assert OutboundEmail.objects.filter(thread_key=ticket.reference, kind="cancellation").exists()


def test_operator_accepts_a_resolution(alice_client: Any, alice: Any, alfa: Any, esav: Any) -> None:
    ticket = set_status(file_ticket(alice, alfa, esav), Status.RESOLVED)
    alice_client.post(reverse("portal:ticket_accept", args=[ticket.reference]))
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_illegal_action_shows_a_message_and_changes_nothing(
    alice_client: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    ticket = file_ticket(alice, alfa, esav)
    response = alice_client.post(
        reverse("portal:ticket_accept", args=[ticket.reference]), follow=True
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.ACKNOWLEDGED
    assert "n'est pas possible" in html.unescape(response.content.decode())


def test_attachment_download_is_forced_and_not_sniffed(
    alice_client: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    upload = SimpleUploadedFile(
        "notes.txt", b"<script>alert(1)</script>", content_type="text/plain"
    )
    ticket = file_ticket(alice, alfa, esav, files=[upload])
    attachment = ticket.attachments.get()
    response = alice_client.get(
        reverse("portal:attachment", args=[ticket.reference, attachment.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"<script>alert(1)</script>"


def test_desk_pages_are_closed_to_operators(alice_client: Any) -> None:
    assert alice_client.get(reverse("desk:queue")).status_code == 403


def test_anonymous_visitors_are_sent_to_login(client: Any) -> None:
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_french_by_default_and_english_for_users_who_prefer_it(
    client: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    client.force_login(alice)
    page = html.unescape(client.get(reverse("portal:followup")).content.decode())
    assert "Retour sur ticket ouvert" in page
    alice.language = "en"
    alice.save(update_fields=["language"])
    client.cookies.clear()
    client.force_login(alice)
    page = client.get(reverse("portal:followup")).content.decode()
    assert "Follow-up on an open ticket" in page
    # Mails follow the contact's preference too.
    ticket = file_ticket(alice, alfa, esav)
    ack = OutboundEmail.objects.get(thread_key=ticket.reference)
    assert ack.language == "en" and "Acknowledgement" in ack.subject


def test_pages_are_french_whatever_the_browser_prefers(client: Any) -> None:
    page = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Se connecter" in html.unescape(page.content.decode())
