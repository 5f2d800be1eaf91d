"""Who gets which e-mail and webhook about a ticket.

E-mails are written to the outbox by mail/outbound; webhook deliveries (the operator's own
endpoints, docs/webhooks.md) by webhooks/outbox. Both in the transaction of the change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from esoutien.mail.outbound import MailAttachment, queue_email
from esoutien.tickets.models import ResolutionReport, Ticket, TicketEvent
from esoutien.webhooks.models import EventType
from esoutien.webhooks.outbox import queue_event


def language_for(ticket: Ticket) -> str:
    """The contact's own preference when they have an account, else the filer's, else French."""
    user = (
        get_user_model().objects.filter(email__iexact=ticket.contact_email, is_active=True).first()
    )
    if user is None:
        user = ticket.created_by
    return getattr(user, "language", None) or "fr"


def _send(ticket: Ticket, kind: str, context: dict[str, Any], **kwargs: Any) -> None:
    queue_email(
        kind=kind,
        to=[ticket.contact_email],
        template=f"tickets/{kind}",
        context={"ticket": ticket, **context},
        language=language_for(ticket),
        thread_key=ticket.reference,
        **kwargs,
    )


def acknowledgement(ticket: Ticket) -> None:
    # The resolution deadline of the SLA (tickets/sla.py), shown in Paris time; None: no SLA.
    _send(ticket, "acknowledgement", {"expected_resolution": ticket.sla_resolution_due})
    _webhook(ticket, EventType.TICKET_CREATED, ticket.created_at)


def info_request(ticket: Ticket, event: TicketEvent) -> None:
    _send(ticket, "info_request", {"event": event})


def public_reply(ticket: Ticket, event: TicketEvent) -> None:
    _send(ticket, "public_reply", {"event": event})


def resolution(ticket: Ticket, report: ResolutionReport) -> None:
    attachments = []
    if report.pdf is not None:
        attachments.append(
            MailAttachment(report.pdf.file.name, report.pdf.filename, "application/pdf")
        )
    days = settings.ESOUTIEN_CONTEST_DAYS
    deadline = ticket.resolved_at + timedelta(days=days) if ticket.resolved_at else None
    _send(
        ticket,
        "resolution",
        {"report": report, "contest_days": days, "contest_deadline": deadline},
        attachments=attachments,
    )
    _webhook(
        ticket,
        EventType.TICKET_RESOLVED,
        ticket.resolved_at or report.created_at,
        lambda: {
            "resolution": {
                "cause": report.cause,
                "actions_taken": report.actions_taken,
                "summary": report.summary,
                "restored_at": _iso(report.restored_at),
                "report_url": _absolute(reverse("api-1:ticket_report", args=[ticket.reference])),
            }
        },
    )


def rejection(ticket: Ticket, event: TicketEvent) -> None:
    _send(ticket, "rejection", {"event": event})


def cancellation(ticket: Ticket, event: TicketEvent) -> None:
    _send(ticket, "cancellation", {"event": event})


# --- Webhooks: the operator's own systems ------------------------------------------------


def status_changed(ticket: Ticket, event: TicketEvent) -> None:
    """Every status change (workflow._apply); ``ticket`` already has the new status."""
    _webhook(
        ticket,
        EventType.TICKET_STATUS_CHANGED,
        event.created_at,
        lambda: {
            "status_change": {
                "transition": event.transition,
                "from": event.from_status,
                "to": event.to_status,
                "message": event.body if event.public else "",
                "author": _author(event),
                "event_id": event.pk,
            }
        },
    )


def comment_published(ticket: Ticket, event: TicketEvent) -> None:
    """A message the operator sees: its own complement or the support's public reply."""
    if not event.public:
        return  # internal notes never leave the desk
    _webhook(
        ticket,
        EventType.TICKET_COMMENTED,
        event.created_at,
        lambda: {
            "comment": {
                "body": event.body,
                "author": _author(event),
                "event_id": event.pk,
                "attachments": [
                    {
                        "filename": a.filename,
                        "content_type": a.content_type,
                        "size": a.size,
                        "url": _absolute(
                            reverse("api-1:attachment_download", args=[ticket.reference, a.pk])
                        ),
                    }
                    for a in event.attachments.filter(public=True).order_by("pk")
                ],
            }
        },
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _absolute(path: str) -> str:
    return f"{settings.ESOUTIEN_BASE_URL}{path}"


def _author(event: TicketEvent) -> str:
    """As the operator sees it: the support team stays anonymous (like the portal)."""
    actor = event.actor
    if actor is None:
        return event.actor_label or "e-soutien"
    if actor.is_provider_staff:
        return "support"
    return str(actor.get_full_name())


def _webhook(
    ticket: Ticket,
    event_type: str,
    occurred_at: datetime,
    details: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """Queue ``event_type`` for the operator's endpoints (the payload is built only if some
    endpoint wants it)."""

    def payload() -> dict[str, Any]:
        reference = ticket.reference
        return {
            "event": event_type,
            "occurred_at": _iso(occurred_at),
            "operator": ticket.operator.code,
            "ticket": {
                "reference": reference,
                "status": ticket.status,
                "eservice": ticket.eservice.code,
                "kind": ticket.kind,
                "severity": ticket.severity,
                "subject": ticket.subject,
                "operator_reference": ticket.operator_reference,
                "url": _absolute(reverse("portal:ticket", args=[reference])),
                "api_url": _absolute(reverse("api-1:ticket_detail", args=[reference])),
            },
            **(details() if details else {}),
        }

    queue_event(ticket.operator_id, str(event_type), payload)
