"""The hotline address's router (named in ``ESOUTIEN_INBOUND_ROUTERS["hotline"]``).

The message is already stored by the gateway (never lost). It is taken only if e-soutien was
not operational when it arrived (a declared incident, a maintenance window affecting
e-soutien, health checks failing long enough: status/state.py). "When it arrived" is the time
the gateway stored it, or the sender's ``Date`` when that is up to ``DATE_TOLERANCE``
earlier: while our database or listener is down, the sender's server keeps the message and
delivers it after the recovery, and it must still count as sent during the outage.

* taken → a ticket (tickets/hotline.py) for the operator the sender belongs to; a sender no
  rule attributes is quarantined ``hotline_unknown_sender`` for staff to attribute;
* not taken → the sender gets one courteous answer (rate-limited, never to automatic mail)
  saying the hotline is for outages and the portal is available, and the message is kept in
  the quarantine as ``hotline_normal`` ("hotline hors incident").
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from esoutien.core.errors import InvalidInput
from esoutien.mail.inbound.message import ParsedEmail, RouteResult
from esoutien.mail.models import InboundEmail
from esoutien.mail.outbound import queue_email
from esoutien.status.state import is_operational
from esoutien.tickets import hotline as hotline_tickets
from esoutien.tickets import inbound as inbound_rules

ROUTED = "routed"
QUARANTINED = "quarantined"
IGNORED = "ignored"

DATE_TOLERANCE = timedelta(hours=24)


def moments_of(inbound: InboundEmail, parsed: ParsedEmail) -> list[datetime]:
    """When the message arrived: stored time, and the sender's plausible earlier Date."""
    moments = [inbound.received_at]
    sent = parsed.date
    if (
        sent is not None
        and sent.tzinfo is not None
        and inbound.received_at - DATE_TOLERANCE <= sent < inbound.received_at
    ):
        moments.append(sent)
    return moments


def accepted(inbound: InboundEmail, parsed: ParsedEmail) -> bool:
    return any(not is_operational(moment) for moment in moments_of(inbound, parsed))


def route_hotline(inbound: InboundEmail, parsed: ParsedEmail) -> RouteResult:
    if parsed.loop:
        return RouteResult(IGNORED, "loop")
    if parsed.is_bounce:
        return RouteResult(IGNORED, "bounce")
    if inbound_rules.is_unreadable(parsed):
        return RouteResult(QUARANTINED, "parse_error")
    existing = hotline_tickets.ticket_for_inbound(inbound.pk)
    if existing is not None:
        return RouteResult(ROUTED, thread_key=existing.reference)
    if not accepted(inbound, parsed):
        reply_outside_incident(inbound, parsed)
        return RouteResult(QUARANTINED, "hotline_normal")
    if parsed.is_auto_reply:
        return RouteResult(QUARANTINED, "auto_reply")
    operator, user = hotline_tickets.operator_for_sender(parsed.sender)
    if operator is None:
        return RouteResult(QUARANTINED, "hotline_unknown_sender")
    files, refused = inbound_rules.uploads_from(parsed.attachments)
    text = inbound_rules.message_text(parsed)
    if not text and not files:
        return RouteResult(QUARANTINED, "empty")
    try:
        ticket, _created = hotline_tickets.hotline_ticket_create(
            operator,
            hotline_tickets.HotlineMessage(
                sender=parsed.sender,
                sender_name=parsed.sender_name,
                subject=parsed.subject,
                text=text,
                files=files,
                refused=refused,
                inbound_email_id=inbound.pk,
            ),
            user=user,
        )
    except (InvalidInput, ValidationError):
        return RouteResult(QUARANTINED, "hotline_unknown_sender")
    return RouteResult(ROUTED, thread_key=ticket.reference)


def reply_outside_incident(inbound: InboundEmail, parsed: ParsedEmail) -> None:
    """One courteous answer, with the same loop protection and hourly limit as every
    automatic answer of the gateway (tickets/inbound.py), once per stored message."""
    if not inbound_rules.may_autoreply(inbound, parsed):
        return
    address = parsed.sender.strip().lower()
    if inbound_rules.autoreplies_sent(address) >= settings.ESOUTIEN_INBOUND_AUTOREPLY_PER_HOUR:
        return
    user = get_user_model().objects.filter(email__iexact=address, is_active=True).first()
    base = settings.ESOUTIEN_BASE_URL
    queue_email(
        kind="autoreply_hotline_normal",
        to=[address],
        template="status/hotline_normal",
        context={
            "subject": parsed.subject,
            "portal_url": f"{base}/",
            "status_url": f"{base}{reverse('status:page')}",
            "hotline_address": settings.ESOUTIEN_HOTLINE_ADDRESS,
        },
        language=getattr(user, "language", "") or "fr",
        with_reply_address=False,
        dedupe_key=f"inbound-{inbound.pk}-autoreply",
    )
