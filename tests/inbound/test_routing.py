"""Routing a received e-mail onto its ticket (tickets/inbound.route): every rule and effect.

Messages are built by hand (ParsedEmail + an InboundEmail row), so these tests do not depend
on the parser; the desk's quarantine pages (which parse the stored bytes again) are in
test_routing_desk.py.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from esoutien.mail.inbound.message import ParsedAttachment, ParsedEmail, RouteResult
from esoutien.mail.models import InboundEmail, OutboundEmail
from esoutien.mail.outbound import build_message
from esoutien.mail.tokens import reply_address
from esoutien.tickets import inbound, workflow
from esoutien.tickets.models import Attachment, EventKind, Ticket, TicketEvent
from esoutien.tickets.states import Status
from tests.factories import UserFactory, file_ticket, set_status

pytestmark = pytest.mark.django_db

CONTACT = "noc@alfa.example"
ANSWER = "Bonjour,\n\nLe boîtier a été redémarré à 14 h, le lien est revenu."


# --- Building messages -------------------------------------------------------------------------


def parsed_email(**fields: Any) -> ParsedEmail:
    values: dict[str, Any] = {
        "message_id": f"<{hashlib.sha1(repr(sorted(fields.items())).encode()).hexdigest()}@mua>",
        "sender": CONTACT,
        "sender_name": "NOC Alfa",
        "recipients": (settings.ESOUTIEN_SUPPORT_ADDRESS,),
        "reply_to": "",
        "subject": "Re: votre demande",
        "date": timezone.now(),
        "in_reply_to": (),
        "references": (),
        "text": ANSWER + "\n\nLe 14/04/2026 à 10:00, e-soutien a écrit :\n> Question",
        "reply_text": ANSWER,
    }
    values.update(fields)
    return ParsedEmail(**values)


def raw_bytes(parsed: ParsedEmail) -> bytes:
    """Bytes matching ``parsed`` (so the desk can parse the row again)."""
    message = EmailMessage()
    message["From"] = f"{parsed.sender_name} <{parsed.sender}>" if parsed.sender else ""
    message["To"] = ", ".join(parsed.recipients)
    message["Subject"] = parsed.subject
    if parsed.message_id:
        message["Message-ID"] = parsed.message_id
    if parsed.in_reply_to:
        message["In-Reply-To"] = " ".join(parsed.in_reply_to)
    if parsed.references:
        message["References"] = " ".join(parsed.references)
    if parsed.is_auto_reply:
        message["Auto-Submitted"] = "auto-replied"
    message.set_content(parsed.text)
    for part in parsed.attachments:
        maintype, _, subtype = part.content_type.partition("/")
        message.add_attachment(
            part.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=part.filename,
        )
    return bytes(message)


def stored(
    parsed: ParsedEmail,
    *,
    envelope_recipients: tuple[str, ...] | None = None,
    envelope_sender: str | None = None,
    transport: str = "smtp",
) -> InboundEmail:
    raw = raw_bytes(parsed)
    return InboundEmail.objects.create(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        message_id=parsed.message_id,
        envelope_sender=parsed.sender if envelope_sender is None else envelope_sender,
        envelope_recipients="\n".join(
            parsed.recipients if envelope_recipients is None else envelope_recipients
        ),
        transport=transport,
        sender=parsed.sender,
        subject=parsed.subject,
    )


def deliver(parsed: ParsedEmail, **kwargs: Any) -> tuple[InboundEmail, RouteResult]:
    """Store and route like the dispatcher: the verdict is saved on the row."""
    row = stored(parsed, **kwargs)
    result = inbound.route(row, parsed)
    InboundEmail.objects.filter(pk=row.pk).update(
        status=result.status, reason=result.reason, thread_key=result.thread_key
    )
    row.refresh_from_db()
    return row, result


def reply_to(ticket: Ticket) -> str:
    return reply_address(ticket.reference)


# --- The cast ----------------------------------------------------------------------------------


@pytest.fixture
def ticket(alice: Any, alfa: Any, esav: Any) -> Ticket:
    return file_ticket(alice, alfa, esav, contact_email=CONTACT, subject="Lien coupé à Niort")


@pytest.fixture
def pending(ticket: Ticket, agent: Any) -> Ticket:
    """Taken by the agent, then waiting for the operator's answer (info request e-mailed)."""
    workflow.take_charge(ticket, agent)
    workflow.request_info(ticket, agent, "Pouvez-vous redémarrer le boîtier ?")
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    return ticket


def comments(ticket: Ticket) -> list[TicketEvent]:
    return list(ticket.events.filter(kind=EventKind.COMMENT).order_by("id"))


def autoreplies(to: str | None = None) -> list[OutboundEmail]:
    rows = OutboundEmail.objects.filter(kind__startswith="autoreply").order_by("id")
    if to:
        rows = rows.filter(to=to)
    return list(rows)


def snapshot(ticket: Ticket) -> tuple[Any, ...]:
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (fresh.status, fresh.updated_at, fresh.events.count(), fresh.attachments.count())


# --- Finding the ticket ------------------------------------------------------------------------


def test_answer_through_the_signed_reply_address_puts_the_ticket_back_in_progress(
    pending: Ticket, agent: Any
) -> None:
    row, result = deliver(parsed_email(recipients=(reply_to(pending),)))

    assert result == RouteResult("routed", thread_key=pending.reference)
    pending.refresh_from_db()
    assert pending.status == Status.IN_PROGRESS
    [answer] = comments(pending)
    assert answer.body == ANSWER  # the new part only, not the quoted question
    assert answer.public and answer.actor is None and answer.actor_label == CONTACT
    assert answer.data["inbound_email_id"] == row.pk
    received = pending.events.get(transition="receive_info")
    assert received.actor is None and received.actor_label == CONTACT
    notice = OutboundEmail.objects.get(kind="inbound_message")
    assert notice.recipients == [agent.email]
    assert pending.reference in notice.subject and "redémarré" in notice.text_body
    assert not notice.reply_to  # agents work on the desk, not by e-mail


def test_the_operator_users_answer_is_theirs(pending: Ticket, alfa: Any) -> None:
    member = UserFactory(email="Claire.Dupont@alfa.example", operator=alfa, full_name="Claire")
    deliver(parsed_email(sender="claire.dupont@alfa.example", recipients=(reply_to(pending),)))

    pending.refresh_from_db()
    assert pending.status == Status.IN_PROGRESS
    [answer] = comments(pending)
    assert answer.actor == member and answer.actor_label == ""
    assert pending.events.get(transition="receive_info").actor == member


def test_token_survives_an_mta_that_upper_cases_the_address(pending: Ticket) -> None:
    address = reply_to(pending).upper()
    _, result = deliver(
        parsed_email(recipients=("support@e-soutien.localhost",)), envelope_recipients=(address,)
    )
    assert result.status == "routed" and result.thread_key == pending.reference


def test_in_reply_to_one_of_our_mails_finds_the_ticket(pending: Ticket) -> None:
    question = OutboundEmail.objects.get(thread_key=pending.reference, kind="info_request")
    _, result = deliver(parsed_email(subject="Re: question", in_reply_to=(question.message_id,)))
    assert result == RouteResult("routed", thread_key=pending.reference)
    assert Ticket.objects.get(pk=pending.pk).status == Status.IN_PROGRESS


def test_references_alone_find_the_ticket(pending: Ticket) -> None:
    ack = OutboundEmail.objects.get(thread_key=pending.reference, kind="acknowledgement")
    _, result = deliver(
        parsed_email(subject="Re: question", references=("<unknown@elsewhere>", ack.message_id))
    )
    assert result.thread_key == pending.reference


def test_the_reference_in_the_subject_is_the_last_resort(pending: Ticket) -> None:
    subject = f"RE: [{pending.reference.lower()}] Information requested"
    _, result = deliver(parsed_email(subject=subject))
    assert result == RouteResult("routed", thread_key=pending.reference)


def test_the_token_wins_over_the_subject(pending: Ticket, alice: Any, alfa: Any, esav: Any) -> None:
    other = file_ticket(alice, alfa, esav, contact_email=CONTACT)
    _, result = deliver(
        parsed_email(recipients=(reply_to(pending),), subject=f"Re: [{other.reference}]")
    )
    assert result.thread_key == pending.reference
    assert comments(other) == []


def test_a_forged_token_is_worth_nothing(pending: Ticket) -> None:
    local, _, domain = settings.ESOUTIEN_SUPPORT_ADDRESS.partition("@")
    forged = f"{local}+{pending.reference.lower()}.aaaaaaaaaaaaaaaa@{domain}"
    before = snapshot(pending)
    _, result = deliver(parsed_email(recipients=(forged,)))
    assert result == RouteResult("quarantined", "no_ticket")
    assert snapshot(pending) == before
    assert autoreplies() == []  # it claims to be a reply: no "use the portal" answer


def test_unknown_in_reply_to_is_a_reply_to_no_ticket(ticket: Ticket) -> None:
    _, result = deliver(parsed_email(in_reply_to=("<lost@somewhere>",)))
    assert result == RouteResult("quarantined", "no_ticket")


def test_a_reference_of_no_ticket_is_a_reply_to_no_ticket(ticket: Ticket) -> None:
    _, result = deliver(parsed_email(subject="Re: [ES-2019-999999] panne"))
    assert result == RouteResult("quarantined", "no_ticket")


# --- Verifying the sender ----------------------------------------------------------------------


def test_spoofed_answer_right_token_foreign_sender_is_quarantined_and_changes_nothing(
    pending: Ticket,
) -> None:
    before = snapshot(pending)
    row, result = deliver(
        parsed_email(sender="mallory@evil.example", recipients=(reply_to(pending),))
    )
    assert result == RouteResult("quarantined", "unverified_sender", pending.reference)
    assert (row.status, row.reason) == ("quarantined", "unverified_sender")
    assert snapshot(pending) == before
    assert not OutboundEmail.objects.filter(kind__in=["inbound_message"]).exists()
    assert autoreplies() == []  # never answer a possibly forged sender


def test_a_user_of_another_operator_is_not_the_tickets_sender(pending: Ticket, bob: Any) -> None:
    before = snapshot(pending)
    _, result = deliver(parsed_email(sender=bob.email, subject=f"Re: [{pending.reference}]"))
    assert result.reason == "unverified_sender"
    assert snapshot(pending) == before


def test_token_of_another_operators_ticket(pending: Ticket, bob: Any, brav: Any, esav: Any) -> None:
    """Alfa's contact answers with the reply address of a Bravo ticket: refused."""
    foreign = file_ticket(bob, brav, esav)
    before = snapshot(foreign)
    _, result = deliver(parsed_email(recipients=(reply_to(foreign),)))
    assert result == RouteResult("quarantined", "unverified_sender", foreign.reference)
    assert snapshot(foreign) == before
    assert Ticket.objects.get(pk=pending.pk).status == Status.PENDING


def test_an_inactive_user_is_not_verified(pending: Ticket, alfa: Any) -> None:
    UserFactory(email="gone@alfa.example", operator=alfa, is_active=False)
    _, result = deliver(parsed_email(sender="gone@alfa.example", recipients=(reply_to(pending),)))
    assert result.reason == "unverified_sender"


def test_the_contact_address_is_compared_without_case(
    alice: Any, alfa: Any, esav: Any, agent: Any
) -> None:
    ticket = file_ticket(alice, alfa, esav, contact_email="NOC.Mixed@Alfa.Example")
    _, result = deliver(parsed_email(sender="noc.mixed@alfa.example", subject=ticket.reference))
    assert result.status == "routed"


# --- Effects by status -------------------------------------------------------------------------


def test_on_an_open_ticket_it_is_a_complement(ticket: Ticket, agent: Any) -> None:
    workflow.take_charge(ticket, agent)
    _, result = deliver(parsed_email(subject=f"Complément [{ticket.reference}]"))
    assert result.status == "routed"
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert [c.body for c in comments(ticket)] == [ANSWER]
    assert not ticket.events.filter(transition="receive_info").exists()
    assert not OutboundEmail.objects.filter(kind="inbound_message").exists()


def test_on_an_acknowledged_ticket_it_is_a_complement(ticket: Ticket) -> None:
    deliver(parsed_email(subject=ticket.reference))
    ticket.refresh_from_db()
    assert ticket.status == Status.ACKNOWLEDGED and len(comments(ticket)) == 1


def test_on_a_resolved_ticket_it_is_added_and_flagged_for_the_agent(
    ticket: Ticket, agent: Any
) -> None:
    workflow.take_charge(ticket, agent)
    set_status(ticket, Status.RESOLVED, resolved_at=timezone.now() - timedelta(days=2))
    _, result = deliver(parsed_email(subject=f"Re: [{ticket.reference}] résolu ?"))
    assert result.status == "routed"
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED  # contesting stays an explicit operator action
    [message] = comments(ticket)
    assert message.data["needs_attention"] is True
    notice = OutboundEmail.objects.get(kind="inbound_message")
    assert notice.recipients == [agent.email] and "ticket résolu" in notice.subject  # French agent


def test_on_a_resolved_ticket_past_the_contest_period_it_is_like_closed(ticket: Ticket) -> None:
    days = settings.ESOUTIEN_CONTEST_DAYS
    set_status(ticket, Status.RESOLVED, resolved_at=timezone.now() - timedelta(days=days + 1))
    _, result = deliver(parsed_email(subject=ticket.reference))
    assert result == RouteResult("ignored", "ticket_closed", ticket.reference)
    assert comments(ticket) == [] and len(autoreplies(CONTACT)) == 1


@pytest.mark.parametrize("status", [Status.CLOSED, Status.REJECTED, Status.CANCELLED])
def test_a_final_ticket_takes_nothing_and_the_sender_gets_one_autoreply(
    ticket: Ticket, status: str
) -> None:
    set_status(ticket, status)
    before = snapshot(ticket)
    parsed = parsed_email(recipients=(reply_to(ticket),))
    row, result = deliver(parsed)
    assert result == RouteResult("ignored", "ticket_closed", ticket.reference)
    assert snapshot(ticket) == before
    # Routed again (replay): still one auto-reply.
    inbound.route(row, parsed)
    [answer] = autoreplies()
    assert answer.recipients == [CONTACT] and answer.kind == "autoreply_ticket_closed"
    assert ticket.reference in answer.subject
    assert "/portal/tickets/new/" in answer.text_body
    assert not answer.reply_to  # answering it again cannot land anywhere
    assert build_message(answer).extra_headers["Auto-Submitted"] == "auto-replied"


def test_outbound_notifications_stay_auto_generated(pending: Ticket) -> None:
    question = OutboundEmail.objects.get(thread_key=pending.reference, kind="info_request")
    assert build_message(question).extra_headers["Auto-Submitted"] == "auto-generated"


# --- Attachments -------------------------------------------------------------------------------


def _part(
    name: str,
    content: bytes = b"%PDF-1.4 test",
    ctype: str = "application/pdf",
    inline: bool = False,
) -> ParsedAttachment:
    return ParsedAttachment(filename=name, content_type=ctype, content=content, inline=inline)


def test_attachments_are_attached_to_the_event(pending: Ticket, attachment_dir: Any) -> None:
    parts = (_part("mesures.pdf"), _part("capture écran.png", b"\x89PNG....", "image/png"))
    deliver(parsed_email(recipients=(reply_to(pending),), attachments=parts))
    [answer] = comments(pending)
    files = list(answer.attachments.order_by("id"))
    assert [f.filename for f in files] == ["mesures.pdf", "capture_écran.png"]
    assert all(f.public for f in files)
    assert files[0].file.read() == b"%PDF-1.4 test"


def test_refused_attachments_are_noted_and_the_answer_still_counts(pending: Ticket) -> None:
    parts = (
        _part("outil.exe", b"MZ...", "application/octet-stream"),
        _part("ok.pdf"),
        _part("vide.pdf", b""),
    )
    deliver(parsed_email(recipients=(reply_to(pending),), attachments=parts))
    pending.refresh_from_db()
    assert pending.status == Status.IN_PROGRESS
    [answer] = comments(pending)
    assert [a.filename for a in answer.attachments.all()] == ["ok.pdf"]
    refused = answer.data["refused_attachments"]
    assert any("outil.exe" in r for r in refused) and any("vide.pdf" in r for r in refused)
    note = pending.events.get(kind=EventKind.NOTE)
    assert not note.public and "outil.exe" in note.body


def test_real_attachments_win_the_limited_places_over_inline_pictures(
    pending: Ticket, settings: Any
) -> None:
    settings.ESOUTIEN_ATTACHMENT_MAX_FILES = 2
    logos = tuple(_part(f"image00{i}.png", b"png", "image/png", inline=True) for i in range(3))
    parts = (*logos, _part("rapport.pdf"))
    deliver(parsed_email(recipients=(reply_to(pending),), attachments=parts))
    [answer] = comments(pending)
    assert sorted(a.filename for a in answer.attachments.all()) == ["image000.png", "rapport.pdf"]
    assert len(answer.data["refused_attachments"]) == 2


def test_an_answer_made_of_an_attachment_only(pending: Ticket) -> None:
    _, result = deliver(
        parsed_email(
            recipients=(reply_to(pending),),
            text="",
            reply_text="",
            attachments=(_part("photo.jpg", b"jpg", "image/jpeg"),),
        )
    )
    assert result.status == "routed"
    assert Attachment.objects.filter(ticket=pending, filename="photo.jpg").exists()


def test_an_empty_answer_is_quarantined(pending: Ticket) -> None:
    before = snapshot(pending)
    _, result = deliver(parsed_email(recipients=(reply_to(pending),), text=" \n", reply_text=""))
    assert result == RouteResult("quarantined", "empty", pending.reference)
    assert snapshot(pending) == before


def test_reply_text_falls_back_to_the_whole_text(pending: Ticket) -> None:
    deliver(parsed_email(recipients=(reply_to(pending),), reply_text="", text="Tout va bien."))
    assert comments(pending)[0].body == "Tout va bien."


# --- Replays -----------------------------------------------------------------------------------


def test_routing_the_same_stored_message_twice_adds_one_event(pending: Ticket) -> None:
    parsed = parsed_email(recipients=(reply_to(pending),), attachments=(_part("mesures.pdf"),))
    row, first = deliver(parsed)
    events = pending.events.count()
    second = inbound.route(row, parsed)
    assert second == first == RouteResult("routed", thread_key=pending.reference)
    assert pending.events.count() == events
    assert len(comments(pending)) == 1 and pending.attachments.count() == 1
    assert OutboundEmail.objects.filter(kind="inbound_message").count() == 1


def test_a_replay_after_the_ticket_closed_changes_nothing(pending: Ticket) -> None:
    parsed = parsed_email(recipients=(reply_to(pending),))
    row, _ = deliver(parsed)
    set_status(pending, Status.CLOSED)
    assert inbound.route(row, parsed).status == "routed"
    assert autoreplies() == [] and len(comments(pending)) == 1


# --- Quarantine reasons ------------------------------------------------------------------------


def test_a_new_request_by_mail_gets_one_helpful_autoreply(db: None) -> None:
    parsed = parsed_email(
        sender="nouveau@client.example",
        subject="Panne à Luçon",
        text="Bonjour, le lien est coupé.",
        reply_text="Bonjour, le lien est coupé.",
    )
    row, result = deliver(parsed)
    assert result == RouteResult("quarantined", "not_a_reply")
    inbound.route(row, parsed)  # replayed: still one answer
    [answer] = autoreplies()
    assert answer.kind == "autoreply_not_a_reply" and answer.recipients == [
        "nouveau@client.example"
    ]
    assert f"{settings.ESOUTIEN_BASE_URL}/portal/tickets/new/" in answer.text_body
    assert "Panne à Luçon" in answer.subject
    assert not answer.thread_key and not answer.reply_to


def test_autoreplies_are_limited_per_sender_and_hour(db: None, settings: Any) -> None:
    settings.ESOUTIEN_INBOUND_AUTOREPLY_PER_HOUR = 3
    with time_machine.travel("2026-04-14 10:00 +0200", tick=False) as traveller:
        for n in range(5):
            deliver(parsed_email(sender="bavard@client.example", subject=f"Demande {n}"))
        assert len(autoreplies("bavard@client.example")) == 3
        deliver(parsed_email(sender="autre@client.example", subject="Demande"))
        assert len(autoreplies("autre@client.example")) == 1
        traveller.shift(timedelta(minutes=61))
        deliver(parsed_email(sender="bavard@client.example", subject="Demande 6"))
        assert len(autoreplies("bavard@client.example")) == 4


@pytest.mark.parametrize(
    ("fields", "envelope"),
    [
        ({"is_auto_reply": True}, None),
        ({"is_list": True}, None),
        ({"sender": "MAILER-DAEMON@client.example"}, None),
        ({"sender": "postmaster@client.example"}, None),
        ({"sender": "no-reply@client.example"}, None),
        ({"sender": "support@e-soutien.localhost"}, None),
        ({"sender": "support+abc@e-soutien.localhost"}, None),
        ({"sender": "hotline@e-soutien.localhost"}, None),
        ({"sender": ""}, None),
        ({}, ""),  # the null return path over SMTP: a bounce or another robot
        ({}, "<>"),
        ({}, "mailer-daemon@relay.example"),
    ],
)
def test_no_autoreply_that_could_loop(db: None, fields: dict[str, Any], envelope: Any) -> None:
    parsed = parsed_email(subject="Bonjour", **fields)
    _, result = deliver(parsed, envelope_sender=envelope)
    assert result.status in ("quarantined", "ignored")
    assert autoreplies() == []


def test_our_own_mail_coming_back_is_ignored(pending: Ticket) -> None:
    before = snapshot(pending)
    _, result = deliver(parsed_email(recipients=(reply_to(pending),), loop=True))
    assert result == RouteResult("ignored", "loop")
    assert snapshot(pending) == before and autoreplies() == []


def test_a_bounce_is_left_to_the_dispatcher(pending: Ticket) -> None:
    _, result = deliver(parsed_email(recipients=(reply_to(pending),), is_bounce=True))
    assert result == RouteResult("ignored", "bounce")
    assert comments(pending) == []


def test_an_out_of_office_is_never_taken_for_the_answer(pending: Ticket) -> None:
    before = snapshot(pending)
    _, result = deliver(
        parsed_email(
            recipients=(reply_to(pending),),
            is_auto_reply=True,
            reply_text="Je suis absent jusqu'au 20 avril.",
        )
    )
    assert result == RouteResult("quarantined", "auto_reply", pending.reference)
    assert snapshot(pending) == before and autoreplies() == []


def test_an_unreadable_message_is_quarantined(pending: Ticket) -> None:
    parsed = parsed_email(
        sender="",
        text="",
        reply_text="",
        errors=("no From header",),
        recipients=(reply_to(pending),),
    )
    _, result = deliver(parsed)
    assert result == RouteResult("quarantined", "parse_error")
    assert autoreplies() == []


def test_a_fatal_parse_error_is_quarantined_whatever_was_read(pending: Ticket) -> None:
    parsed = parsed_email(recipients=(reply_to(pending),), errors=("fatal: ValueError: x",))
    before = snapshot(pending)
    assert deliver(parsed)[1] == RouteResult("quarantined", "parse_error")
    assert snapshot(pending) == before


def test_minor_parse_errors_do_not_stop_an_answer(pending: Ticket) -> None:
    parsed = parsed_email(recipients=(reply_to(pending),), errors=("unknown charset x-foo",))
    assert deliver(parsed)[1].status == "routed"


def test_the_hotline_router_keeps_everything_in_quarantine(db: None) -> None:
    parsed = parsed_email(recipients=(settings.ESOUTIEN_HOTLINE_ADDRESS,))
    row = stored(parsed)
    assert inbound.route_hotline(row, parsed) == RouteResult("quarantined", "hotline")
    assert autoreplies() == []


def test_router_functions_match_the_dispatchers_contract() -> None:
    routers = settings.ESOUTIEN_INBOUND_ROUTERS
    values = routers.values() if isinstance(routers, dict) else [r[-1] for r in routers]
    assert "esoutien.tickets.inbound.route" in values
    assert "esoutien.status.hotline.route_hotline" in values  # the status app's (issue 7)
