"""Who gets which e-mail about a ticket. Messages are written to the outbox by mail/outbound."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from esoutien.mail.outbound import MailAttachment, queue_email
from esoutien.tickets.models import ResolutionReport, Ticket, TicketEvent


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
    _send(ticket, "acknowledgement", {})


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


def rejection(ticket: Ticket, event: TicketEvent) -> None:
    _send(ticket, "rejection", {"event": event})


def cancellation(ticket: Ticket, event: TicketEvent) -> None:
    _send(ticket, "cancellation", {"event": event})
