"""Ticket status transitions: the only code that writes ``Ticket.status``.

Each public function locks the ticket, checks the transition table (states.py), saves with
``update_fields``, appends a TicketEvent and writes outbox rows, all in one transaction.
"""

from __future__ import annotations

from copy import copy
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from esoutien.accounts import access
from esoutien.core import clock
from esoutien.core.errors import Forbidden, IllegalTransition, InvalidInput, NotFound
from esoutien.tickets import notifications, report_pdf, sla
from esoutien.tickets.models import (
    AttachmentKind,
    EventKind,
    ResolutionReport,
    Ticket,
    TicketEvent,
)
from esoutien.tickets.states import TRANSITIONS, Party, Status
from esoutien.tickets.uploads import files_removed_on_failure, store_attachment


def party_of(actor: Any) -> Party:
    if actor is None:
        return Party.SYSTEM
    if access.is_desk_user(actor):
        return Party.DESK
    if access.is_operator_user(actor):
        return Party.OPERATOR
    raise Forbidden(_("You may not change this ticket."))


def _require_text(value: str, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(message, errors={field: [message]})
    return text


def _check_allowed(name: str, party: Party, status: str) -> None:
    transition = TRANSITIONS[name]
    if party not in transition.parties:
        raise Forbidden(_("You may not do this on a ticket."))
    if status not in transition.sources:
        raise IllegalTransition(
            _("“%(action)s” is not possible while the ticket is “%(status)s”.")
            % {"action": transition.label, "status": Status(status).label},
            transition=name,
            status=status,
        )


def _apply(
    ticket: Ticket,
    name: str,
    actor: Any,
    *,
    body: str = "",
    public: bool = True,
    data: dict[str, Any] | None = None,
    actor_label: str = "",
) -> TicketEvent:
    """Fire transition ``name`` on ``ticket`` (refreshed in place). Call inside atomic()."""
    transition = TRANSITIONS[name]
    party = party_of(actor)
    if actor is not None and not access.may_see_ticket(actor, ticket):
        raise NotFound(_("No ticket with this reference."))
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    _check_allowed(name, party, locked.status)
    now = clock.now()
    previous = locked.status
    locked.status = transition.target
    locked.updated_at = now
    fields = ["status", "updated_at"]
    if transition.target == Status.IN_PROGRESS and locked.taken_at is None:
        locked.taken_at = now
        fields.append("taken_at")
    if transition.target == Status.RESOLVED:
        locked.resolved_at = now
        fields.append("resolved_at")
    if transition.target in (Status.CLOSED, Status.REJECTED, Status.CANCELLED):
        locked.closed_at = now
        fields.append("closed_at")
    if name == "take" and locked.assignee_id is None and party is Party.DESK:
        locked.assignee = actor
        fields.append("assignee")
    # SLA clocks (tickets/sla.py): recomputed from the timeline plus this change, same save.
    fields += sla.refresh(locked, now, pending=(now, transition.target))
    locked.save(update_fields=fields)
    event = TicketEvent.objects.create(
        ticket=locked,
        created_at=now,
        actor=actor,
        actor_label=actor_label,
        kind=EventKind.STATUS,
        transition=name,
        from_status=previous,
        to_status=transition.target,
        public=public,
        body=body,
        data=data or {},
    )
    # Refresh the caller's instance so it never holds a stale status.
    refreshed = ("status", "updated_at", "taken_at", "resolved_at", "closed_at", "assignee_id")
    for field in refreshed + sla.STORED_FIELDS:
        setattr(ticket, field, getattr(locked, field))
    notifications.status_changed(ticket, event)
    return event


@transaction.atomic
def take_charge(ticket: Ticket, actor: Any) -> TicketEvent:
    return _apply(ticket, "take", actor)


@transaction.atomic
def request_info(ticket: Ticket, actor: Any, question: str) -> TicketEvent:
    question = _require_text(question, "body", _("Write the question to the operator."))
    event = _apply(ticket, "request_info", actor, body=question)
    notifications.info_request(ticket, event)
    return event


@transaction.atomic
def receive_info(ticket: Ticket, actor: Any, *, actor_label: str = "") -> TicketEvent:
    """The operator answered (portal, API or e-mail): the ticket goes back to work."""
    return _apply(ticket, "receive_info", actor, actor_label=actor_label)


@transaction.atomic
def hold(ticket: Ticket, actor: Any, reason: str) -> TicketEvent:
    reason = _require_text(reason, "body", _("Say why the ticket is put on hold."))
    return _apply(ticket, "hold", actor, body=reason)


@transaction.atomic
def resume(ticket: Ticket, actor: Any) -> TicketEvent:
    return _apply(ticket, "resume", actor)


def resolve(
    ticket: Ticket,
    actor: Any,
    *,
    cause: str,
    actions_taken: str,
    summary: str,
    restored_at: datetime | None = None,
) -> ResolutionReport:
    errors: dict[str, list[str]] = {}
    for field, value, message in (
        ("cause", cause, _("Describe the cause.")),
        ("actions_taken", actions_taken, _("Describe the actions taken.")),
        ("summary", summary, _("Summarise the resolution.")),
    ):
        if not (value or "").strip():
            errors[field] = [message]
    now = clock.now()
    restored = restored_at or now
    if restored > now + timedelta(minutes=5):
        errors["restored_at"] = [_("The restoration time cannot be in the future.")]
    elif restored < ticket.created_at - timedelta(days=1):
        errors["restored_at"] = [_("The restoration time cannot precede the ticket.")]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors=errors)
    # Fail fast, before the expensive render; _apply checks again under the row lock.
    if actor is not None and not access.may_see_ticket(actor, ticket):
        raise NotFound(_("No ticket with this reference."))
    _check_allowed("resolve", party_of(actor), ticket.status)
    report = ResolutionReport(
        ticket=ticket,
        cause=cause.strip(),
        actions_taken=actions_taken.strip(),
        summary=summary.strip(),
        restored_at=restored,
        author=actor,
        created_at=now,
    )
    # WeasyPrint takes about a second: render before the transaction, so the ticket's row
    # lock (and SQLite's write lock) is not held meanwhile. The PDF shows the ticket as
    # resolved now; _apply below re-checks the transition under the lock.
    language = notifications.language_for(ticket)
    as_resolved = copy(ticket)
    as_resolved.resolved_at = now
    report.ticket = as_resolved
    pdf = ContentFile(report_pdf.render_report_pdf(report, language=language))
    report.ticket = ticket
    stem = "compte-rendu" if language == "fr" else "resolution-report"
    with files_removed_on_failure() as stored, transaction.atomic():
        event = _apply(ticket, "resolve", actor, body=report.summary)
        report.save()
        report.pdf = store_attachment(
            ticket,
            event,
            pdf,
            f"{stem}-{ticket.reference}.pdf",
            actor,
            public=True,
            stored_names=stored,
            kind=AttachmentKind.REPORT,
        )
        report.save(update_fields=["pdf"])
        notifications.resolution(ticket, report)
    return report


@transaction.atomic
def reject(ticket: Ticket, actor: Any, reason: str) -> TicketEvent:
    reason = _require_text(reason, "body", _("Give the reason for the rejection."))
    event = _apply(ticket, "reject", actor, body=reason)
    notifications.rejection(ticket, event)
    return event


@transaction.atomic
def cancel(ticket: Ticket, actor: Any, reason: str = "") -> TicketEvent:
    event = _apply(ticket, "cancel", actor, body=(reason or "").strip())
    notifications.cancellation(ticket, event)
    return event


@transaction.atomic
def accept_resolution(ticket: Ticket, actor: Any) -> TicketEvent:
    return _apply(ticket, "accept", actor)


def contest_deadline(ticket: Ticket) -> datetime | None:
    if ticket.resolved_at is None:
        return None
    return ticket.resolved_at + timedelta(days=settings.ESOUTIEN_CONTEST_DAYS)


@transaction.atomic
def contest_resolution(ticket: Ticket, actor: Any, reason: str) -> TicketEvent:
    reason = _require_text(reason, "body", _("Say why the resolution does not suit you."))
    # Read the resolution time under the row lock, not from a possibly stale instance.
    current = Ticket.objects.select_for_update().get(pk=ticket.pk)
    deadline = contest_deadline(current)
    if current.status == Status.RESOLVED and deadline and clock.now() > deadline:
        raise IllegalTransition(
            _("The resolution can be contested for %(days)d days; that period is over.")
            % {"days": settings.ESOUTIEN_CONTEST_DAYS}
        )
    return _apply(ticket, "contest", actor, body=reason)


@transaction.atomic
def reopen(ticket: Ticket, actor: Any, reason: str) -> TicketEvent:
    reason = _require_text(reason, "body", _("Say why the ticket is reopened."))
    return _apply(ticket, "reopen", actor, body=reason)


@transaction.atomic
def close(ticket: Ticket, actor: Any) -> TicketEvent:
    return _apply(ticket, "close", actor)


def close_expired_resolutions(limit: int = 500) -> int:
    """System close of resolved tickets whose contest period is over."""
    cutoff = clock.now() - timedelta(days=settings.ESOUTIEN_CONTEST_DAYS)
    due = Ticket.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff).order_by("pk")
    closed = 0
    for ticket in due[:limit]:
        try:
            with transaction.atomic():
                _apply(
                    ticket,
                    "close",
                    None,
                    actor_label="e-soutien",
                    data={"reason": "contest_period_over"},
                )
            closed += 1
        except IllegalTransition:
            continue  # changed meanwhile (contested or closed by someone)
    return closed
