"""The desk's "Courrier en quarantaine": what staff may see and do with held mail."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from esoutien.accounts import access
from esoutien.audit.recorder import record
from esoutien.core import clock
from esoutien.core.errors import InvalidInput, NotFound
from esoutien.mail.inbound.message import ParsedEmail, RouteResult
from esoutien.mail.models import InboundEmail, InboundStatus
from esoutien.tickets.inbound import (
    add_to_ticket,
    message_text,
    uploads_from,
    verify_sender,
)
from esoutien.tickets.models import Ticket, TicketEvent


def parse_stored(inbound: InboundEmail) -> ParsedEmail | None:
    """The stored message parsed again (the parser is pure and never raises)."""
    from esoutien.mail.inbound.parse import parse_message

    envelope: str | None = inbound.envelope_sender
    if not envelope and inbound.transport not in ("smtp", "lmtp"):
        envelope = None  # unknown (pipe, IMAP), not the null return path
    return parse_message(bytes(inbound.raw), envelope_sender=envelope)


def quarantine_scope(user: Any) -> Q:
    """The stored messages ``user`` may see (decided in accounts.access)."""
    return access.inbound_mail_scope(user, Ticket.objects.all())


def quarantined(user: Any, *, reason: str = "") -> QuerySet[InboundEmail]:
    """The quarantine list (newest first), without the raw bytes."""
    qs = InboundEmail.objects.filter(quarantine_scope(user), status=InboundStatus.QUARANTINED)
    if reason:
        qs = qs.filter(reason=reason)
    return qs.defer("raw").order_by("-received_at", "-id")


def quarantine_count(user: Any) -> int:
    return quarantined(user).count()


def get_stored(user: Any, inbound_id: int) -> InboundEmail:
    """One stored message ``user`` may see (any status); NotFound otherwise."""
    found = InboundEmail.objects.filter(quarantine_scope(user), pk=inbound_id).first()
    if found is None:
        raise NotFound(_("No such message."))
    return found


def _lock_quarantined(inbound: InboundEmail) -> InboundEmail:
    locked = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
    if locked.status != InboundStatus.QUARANTINED:
        raise InvalidInput(_("This message is no longer in quarantine."))
    return locked


def attach(
    inbound: InboundEmail, ticket: Ticket, actor: Any, *, request: HttpRequest | None = None
) -> TicketEvent:
    """Staff put a quarantined message on ``ticket`` (which they may see): a complement in the
    sender's name, with the same effects as a routed answer. Recorded in the audit log."""
    if not access.is_desk_user(actor) or not access.may_see_ticket(actor, ticket):
        raise NotFound(_("No ticket with this reference."))
    parsed = parse_stored(inbound)
    if parsed is None:
        raise InvalidInput(_("The message cannot be read now; try again later."))
    files, refused = uploads_from(parsed.attachments)
    text = message_text(parsed)
    if not text and not files:
        raise InvalidInput(_("This message has no text and no attachment to add to a ticket."))
    sender = parsed.sender or inbound.sender or inbound.envelope_sender
    verified, user = verify_sender(ticket, sender)
    with transaction.atomic():
        locked = _lock_quarantined(inbound)
        event, _created = add_to_ticket(
            locked,
            ticket,
            sender,
            text,
            files,
            refused,
            user=user if verified else None,
            data={"attached_by": actor.pk, "quarantine_reason": locked.reason},
        )
        previous = locked.reason
        locked.status = InboundStatus.ROUTED
        locked.reason = "attached"
        locked.thread_key = ticket.reference
        locked.processed_at = clock.now()
        locked.save(update_fields=["status", "reason", "thread_key", "processed_at"])
        record(
            "quarantine_attached",
            request=request,
            actor=actor,
            target=ticket.reference,
            data={"inbound_email_id": locked.pk, "sender": sender, "reason": previous},
        )
    inbound.refresh_from_db()
    return event


def discard(
    inbound: InboundEmail, actor: Any, *, note: str = "", request: HttpRequest | None = None
) -> None:
    """Staff decided the message needs nothing: it stays stored, out of the list. Audited."""
    with transaction.atomic():
        locked = _lock_quarantined(inbound)
        locked.status = InboundStatus.DISCARDED
        locked.processed_at = clock.now()
        locked.save(update_fields=["status", "processed_at"])
        record(
            "quarantine_discarded",
            request=request,
            actor=actor,
            target=f"inbound:{locked.pk}",
            data={
                "inbound_email_id": locked.pk,
                "sender": locked.sender,
                "reason": locked.reason,
                "note": (note or "").strip()[:500],
            },
        )
    inbound.refresh_from_db()


def release(
    inbound: InboundEmail, actor: Any, *, request: HttpRequest | None = None
) -> RouteResult:
    """Run the pipeline again on a quarantined message (e.g. after its sender was given an
    account), through the mail layer's dispatcher so the verdict is saved the one way.
    Audited."""
    with transaction.atomic():
        _lock_quarantined(inbound)
    _reroute(inbound)
    inbound.refresh_from_db()
    record(
        "quarantine_released",
        request=request,
        actor=actor,
        target=f"inbound:{inbound.pk}",
        data={
            "inbound_email_id": inbound.pk,
            "status": inbound.status,
            "reason": inbound.reason,
            "ticket": inbound.thread_key,
        },
    )
    return RouteResult(inbound.status, inbound.reason, inbound.thread_key)


def _reroute(inbound: InboundEmail) -> None:
    from esoutien.mail.inbound import dispatch

    dispatch.process(inbound.pk, allowed=(InboundStatus.QUARANTINED,))
