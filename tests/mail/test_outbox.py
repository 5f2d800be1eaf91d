"""The outbox delivers every e-mail exactly once, through a real SMTP server, whatever happens.

Tests call ``outbound.deliver_due()`` (what the periodic sweep runs) instead of relying on the
queue: the queue is only a trigger.
"""

from __future__ import annotations

import email
import email.policy
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from esoutien.mail import outbound
from esoutien.mail.models import OutboundEmail, OutboundStatus
from esoutien.mail.tokens import verify_reply_token
from esoutien.tickets import workflow
from esoutien.tickets.models import AttachmentKind, Ticket
from tests.factories import file_ticket
from tests.support import SmtpSink

pytestmark = pytest.mark.django_db


def _token_of(reply_to: str) -> str:
    return reply_to.rpartition("@")[0].partition("+")[2]


def header(message: Any, name: str) -> str | None:
    """A header's unfolded value (long Message-IDs are folded onto a continuation line)."""
    value = message[name]
    return None if value is None else " ".join(str(value).split())


def test_acknowledgement_is_delivered_over_smtp(
    smtp_sink: SmtpSink, alice: Any, alfa: Any, esav: Any, settings: Any
) -> None:
    ticket = file_ticket(alice, alfa, esav)
    stored = OutboundEmail.objects.get()

    assert outbound.deliver_due() == 1

    (envelope,) = smtp_sink.envelopes
    assert envelope.rcpt_tos == ["alice@alfa.example"]
    (message,) = smtp_sink.messages
    assert f"[{ticket.reference}]" in header(message, "Subject")
    assert header(message, "To") == "alice@alfa.example"
    assert header(message, "Message-ID") == stored.message_id
    assert header(message, "Auto-Submitted") == "auto-generated"
    assert header(message, "Reply-To") == stored.reply_to
    assert (
        verify_reply_token(_token_of(header(message, "Reply-To") or "")) == ticket.reference.lower()
    )
    assert header(message, "In-Reply-To") is None
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and ticket.reference in text.get_content()
    assert html is not None and ticket.reference in html.get_content()

    stored.refresh_from_db()
    assert (stored.status, stored.attempts, stored.last_error) == (OutboundStatus.SENT, 1, "")
    assert stored.sent_at is not None
    assert outbound.deliver_due() == 0
    assert len(smtp_sink.envelopes) == 1


def test_relay_down_then_up_delivers_exactly_once(
    smtp_sink: SmtpSink, alice: Any, alfa: Any, esav: Any
) -> None:
    smtp_sink.stop()  # nothing listens on the relay's port
    with time_machine.travel("2026-04-14 10:00 +0200") as traveller:
        ticket = file_ticket(alice, alfa, esav)
        assert Ticket.objects.filter(pk=ticket.pk).exists(), "filing does not depend on the relay"

        assert outbound.deliver_due() == 0

        row = OutboundEmail.objects.get()
        assert row.status == OutboundStatus.QUEUED
        assert row.attempts == 1
        assert row.last_error
        assert row.next_attempt_at > timezone.now()
        assert row.sent_at is None

        # Not due yet: a sweep now does not even try.
        assert outbound.deliver_due() == 0
        assert OutboundEmail.objects.get().attempts == 1

        smtp_sink.start()
        traveller.move_to(row.next_attempt_at + timedelta(seconds=1))
        assert outbound.deliver_due() == 1
        assert len(smtp_sink.envelopes) == 1
        row.refresh_from_db()
        assert (row.status, row.attempts, row.last_error) == (OutboundStatus.SENT, 2, "")

        traveller.shift(timedelta(hours=1))
        assert outbound.deliver_due() == 0
        assert len(smtp_sink.envelopes) == 1, "no duplicate"
        (message,) = smtp_sink.messages
        assert header(message, "Message-ID") == row.message_id


def test_retries_back_off_then_give_up_after_max_attempts(
    smtp_sink: SmtpSink, alice: Any, alfa: Any, esav: Any, settings: Any
) -> None:
    settings.ESOUTIEN_MAIL_MAX_ATTEMPTS = 4
    smtp_sink.stop()
    delays = []
    with time_machine.travel("2026-04-14 10:00 +0200") as traveller:
        file_ticket(alice, alfa, esav)
        for attempt in range(1, 5):
            assert outbound.deliver_due() == 0
            row = OutboundEmail.objects.get()
            assert row.attempts == attempt
            delays.append(row.next_attempt_at - timezone.now())
            traveller.move_to(row.next_attempt_at + timedelta(seconds=1))
        assert row.status == OutboundStatus.FAILED
        assert row.last_error

        # A failed message is not retried by the sweep, even with the relay back.
        smtp_sink.start()
        traveller.shift(timedelta(days=1))
        assert outbound.deliver_due() == 0
        assert smtp_sink.envelopes == []
        assert OutboundEmail.objects.get().attempts == 4

        # Until someone asks for it again.
        outbound.retry_now(row.pk)
        assert outbound.deliver_due() == 1
        assert len(smtp_sink.envelopes) == 1
    assert delays[:3] == sorted(delays[:3]), "each retry waits longer"
    assert delays[1] > delays[0]


def test_second_mail_of_a_ticket_is_threaded_on_the_first(
    smtp_sink: SmtpSink, alice: Any, alfa: Any, esav: Any, agent: Any
) -> None:
    ticket = file_ticket(alice, alfa, esav)
    workflow.take_charge(ticket, agent)
    workflow.request_info(ticket, agent, "Pouvez-vous nous donner le numéro de commande ?")

    assert outbound.deliver_due() == 2

    ack, question = smtp_sink.messages
    assert (
        "Pouvez-vous nous donner le numéro de commande ?"
        in question.get_body(preferencelist=("plain",)).get_content()
    )
    assert f"[{ticket.reference}]" in header(question, "Subject")
    assert header(question, "In-Reply-To") == header(ack, "Message-ID")
    assert header(ack, "Message-ID") in (header(question, "References") or "").split()
    assert header(question, "Message-ID") != header(ack, "Message-ID")
    assert (
        verify_reply_token(_token_of(header(question, "Reply-To") or ""))
        == ticket.reference.lower()
    )


def test_stale_sending_claim_is_released_and_delivered(
    smtp_sink: SmtpSink, alice: Any, alfa: Any, esav: Any
) -> None:
    """A worker died while sending: after 10 minutes the sweep sends the message."""
    file_ticket(alice, alfa, esav)
    now = timezone.now()
    OutboundEmail.objects.update(
        status=OutboundStatus.SENDING, claimed_at=now - timedelta(minutes=11)
    )

    assert outbound.deliver_due() == 1
    assert len(smtp_sink.envelopes) == 1
    assert OutboundEmail.objects.get().status == OutboundStatus.SENT


def test_fresh_sending_claim_is_left_to_its_worker(
    smtp_sink: SmtpSink, alice: Any, alfa: Any, esav: Any
) -> None:
    file_ticket(alice, alfa, esav)
    OutboundEmail.objects.update(
        status=OutboundStatus.SENDING, claimed_at=timezone.now() - timedelta(minutes=2)
    )

    assert outbound.deliver_due() == 0
    assert smtp_sink.envelopes == []
    assert OutboundEmail.objects.get().status == OutboundStatus.SENDING


def test_deliver_of_a_sent_message_does_nothing(
    smtp_sink: SmtpSink, alice: Any, alfa: Any, esav: Any
) -> None:
    """The queue's trigger may arrive after the sweep already sent the message."""
    file_ticket(alice, alfa, esav)
    row = OutboundEmail.objects.get()
    assert outbound.deliver(row.pk) is True
    assert outbound.deliver(row.pk) is False
    assert len(smtp_sink.envelopes) == 1


def test_delivery_trigger_after_commit_sends_the_acknowledgement(
    django_capture_on_commit_callbacks: Any, alice: Any, alfa: Any, esav: Any, mailoutbox: Any
) -> None:
    """Filing asks the queue (immediate in tests) to send once the transaction commits."""
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket(alice, alfa, esav)
    (sent,) = mailoutbox
    assert ticket.reference in sent.subject
    assert OutboundEmail.objects.get().status == OutboundStatus.SENT


def test_resolution_report_pdf_is_rendered_and_attached(
    smtp_sink: SmtpSink, alice: Any, alfa: Any, esav: Any, agent: Any
) -> None:
    """The one test that runs the real WeasyPrint renderer."""
    from pypdf import PdfReader

    ticket = file_ticket(alice, alfa, esav)
    workflow.take_charge(ticket, agent)
    report = workflow.resolve(
        ticket,
        agent,
        cause="Carte OLT défectueuse au NRO de Nantes",
        actions_taken="Remplacement de la carte et resynchronisation",
        summary="Service rétabli après remplacement de la carte",
    )

    assert report.pdf is not None
    assert report.pdf.kind == AttachmentKind.REPORT
    with report.pdf.file.open("rb") as fh:
        pdf_bytes = fh.read()
    assert pdf_bytes.startswith(b"%PDF")
    assert report.pdf.size == len(pdf_bytes)

    assert outbound.deliver_due() == 2
    resolution = smtp_sink.messages[-1]
    assert f"[{ticket.reference}]" in header(resolution, "Subject")
    (attached,) = [part for part in resolution.iter_attachments()]
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_filename() == f"compte-rendu-{ticket.reference}.pdf"
    content = attached.get_content()
    assert content == pdf_bytes
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert ticket.reference in text
    assert "Carte OLT défectueuse" in text


def test_default_backend_writes_one_eml_file_per_message(
    settings: Any, tmp_path: Path, alice: Any, alfa: Any, esav: Any
) -> None:
    settings.EMAIL_BACKEND = "esoutien.mail.backends.EmlDirectoryBackend"
    settings.ESOUTIEN_MAIL_DIR = tmp_path / "eml"
    tickets = [file_ticket(alice, alfa, esav) for _ in range(2)]

    assert outbound.deliver_due() == 2

    files = sorted((tmp_path / "eml").iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]
    parsed = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert sorted(header(m, "Message-ID") or "" for m in parsed) == sorted(
        OutboundEmail.objects.values_list("message_id", flat=True)
    )
    subjects = " ".join(header(m, "Subject") or "" for m in parsed)
    for ticket in tickets:
        assert ticket.reference in subjects
    assert b"\r\n" in files[0].read_bytes()
