"""Model → API representation (no rules here: what may be seen is decided by selectors)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from esoutien.accounts import access
from esoutien.core import clock
from esoutien.tickets import sla
from esoutien.tickets.models import Attachment, Ticket, TicketEvent
from esoutien.tickets.states import Status


def ticket_out(ticket: Ticket, user: Any, request: Any) -> dict[str, Any]:
    ref = ticket.reference
    report = None
    if ticket.resolved_at is not None:
        report = request.build_absolute_uri(reverse("api-1:ticket_report", args=[ref]))
    return {
        "reference": ref,
        "href": request.build_absolute_uri(reverse("api-1:ticket_detail", args=[ref])),
        "status": ticket.status,
        "status_label": str(Status(ticket.status).label),
        "operator": ticket.operator.code,
        "eservice": ticket.eservice.code,
        "kind": ticket.kind,
        "severity": ticket.severity,
        "subject": ticket.subject,
        "description": ticket.description,
        "operator_reference": ticket.operator_reference,
        "line_reference": ticket.line_reference,
        "site_address": ticket.site_address,
        "contact": {
            "name": ticket.contact_name,
            "email": ticket.contact_email,
            "phone": ticket.contact_phone,
        },
        "assignee": (
            ticket.assignee.email
            if ticket.assignee_id and access.can_see_internal(user) and ticket.assignee
            else None
        ),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "taken_at": ticket.taken_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "report_url": report,
        "sla": sla_out(ticket),
    }


def _paris(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment, timezone.get_default_timezone()) if moment else None


def sla_out(ticket: Ticket) -> dict[str, Any] | None:
    """The stored SLA clocks (tickets/sla.py); None for a ticket no policy covers."""
    if not sla.has_sla(ticket):
        return None
    return {
        "take_charge_due": _paris(ticket.sla_take_charge_due),
        "resolution_due": _paris(ticket.sla_resolution_due),
        "taken_in_charge_at": _paris(ticket.taken_at),
        "resolved_at": _paris(ticket.resolved_at),
        "paused": ticket.sla_paused_since is not None,
        "breached": sla.breached_now(ticket, clock.now()),
    }


def event_out(event: TicketEvent, user: Any) -> dict[str, Any]:
    staff_view = access.can_see_internal(user)
    if event.actor is None:
        author = event.actor_label or "e-soutien"
    elif event.actor.is_provider_staff and not staff_view:
        author = "support"
    else:
        author = event.actor.get_full_name()
    return {
        "id": event.pk,
        "created_at": event.created_at,
        "kind": event.kind,
        "transition": event.transition,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "public": event.public,
        "body": event.body,
        "author": author,
        "attachments": [a.pk for a in event.attachments.all() if a.public or staff_view],
    }


def attachment_out(attachment: Attachment, request: Any) -> dict[str, Any]:
    url = reverse("api-1:attachment_download", args=[attachment.ticket.reference, attachment.pk])
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "created_at": attachment.created_at,
        "url": request.build_absolute_uri(url),
    }
