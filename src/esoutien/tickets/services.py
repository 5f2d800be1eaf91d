"""Writes on tickets other than status changes (those are in workflow.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from esoutien.accounts import access
from esoutien.accounts.models import Operator
from esoutien.catalogue.models import EService
from esoutien.catalogue.selectors import is_subscribed
from esoutien.core import clock
from esoutien.core.errors import Forbidden, InvalidInput, NotFound, NotSubscribed
from esoutien.tickets import notifications, sla, workflow
from esoutien.tickets.models import (
    EventKind,
    Kind,
    Severity,
    Source,
    Ticket,
    TicketEvent,
)
from esoutien.tickets.references import allocate_reference
from esoutien.tickets.states import FINAL_STATUSES, Status
from esoutien.tickets.uploads import check_uploads, files_removed_on_failure, store_attachment


@dataclass
class TicketDraft:
    """What a filer provides; validated by ``ticket_create`` whatever the entry point."""

    eservice: EService | None
    kind: str
    severity: str
    subject: str
    description: str
    contact_email: str
    contact_name: str = ""
    contact_phone: str = ""
    operator_reference: str = ""
    line_reference: str = ""
    site_address: str = ""
    files: Sequence[UploadedFile] = field(default_factory=list)
    source: str = Source.PORTAL


def ticket_create(actor: Any, operator: Operator, draft: TicketDraft) -> Ticket:
    """File a ticket for ``operator``; refuses e-services the operator does not subscribe to."""
    if not access.may_file_for_operator(actor, operator.pk):
        raise Forbidden(_("You may not file a ticket for this operator."))
    if not operator.is_active:
        raise InvalidInput(
            _("This operator is not active."),
            errors={"operator": [_("This operator is not active.")]},
        )
    now = clock.now()
    errors: dict[str, list[str]] = {}
    today = timezone.localdate(now)  # subscriptions are French calendar days
    if draft.eservice is None or not is_subscribed(operator.pk, draft.eservice.pk, today):
        errors["eservice"] = [
            _("Your operator does not subscribe to this e-service: no ticket can be filed for it.")
        ]
    if draft.kind not in Kind.values:
        errors["kind"] = [_("Choose the kind of ticket.")]
    if draft.severity not in Severity.values:
        errors["severity"] = [_("Choose a severity.")]
    ticket = Ticket(
        operator=operator,
        eservice=draft.eservice,
        kind=draft.kind,
        severity=draft.severity,
        subject=(draft.subject or "").strip(),
        description=(draft.description or "").strip(),
        operator_reference=(draft.operator_reference or "").strip(),
        line_reference=(draft.line_reference or "").strip().upper(),
        site_address=(draft.site_address or "").strip(),
        contact_name=(draft.contact_name or "").strip(),
        contact_email=(draft.contact_email or "").strip().lower(),
        contact_phone=(draft.contact_phone or "").strip(),
        status=Status.ACKNOWLEDGED,
        source=draft.source,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
        updated_at=now,
        reference="ES-0000-000000",  # placeholder for validation; allocated below
    )
    try:
        ticket.full_clean(exclude=["operator", "eservice", "status", "created_by", "assignee"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    try:
        check_uploads(draft.files)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        error_class = NotSubscribed if "eservice" in errors else InvalidInput
        raise error_class(_("The ticket was not filed: please correct the errors."), errors=errors)
    with files_removed_on_failure() as stored, transaction.atomic():
        ticket.reference = allocate_reference(now)
        sla.start_clocks(ticket)  # snapshot the policy's targets, set the deadlines
        ticket.save()
        event = TicketEvent.objects.create(
            ticket=ticket,
            created_at=now,
            actor=ticket.created_by,
            kind=EventKind.CREATED,
            to_status=Status.ACKNOWLEDGED,
            public=True,
        )
        for upload in draft.files:
            store_attachment(
                ticket,
                event,
                upload,
                upload.name or "file",
                ticket.created_by,
                public=True,
                stored_names=stored,
            )
        notifications.acknowledgement(ticket)
    return ticket


def _touch(ticket: Ticket) -> None:
    ticket.updated_at = clock.now()
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=ticket.updated_at)


def comment_add(
    actor: Any,
    ticket: Ticket,
    body: str,
    files: Sequence[UploadedFile] = (),
    *,
    internal: bool = False,
    actor_label: str = "",
) -> TicketEvent:
    """A message on the ticket: an operator's complement, an agent's public reply or note.

    An operator's message on a ticket waiting for information puts it back in progress.
    """
    party = workflow.party_of(actor) if actor is not None else None
    if actor is not None and not access.may_see_ticket(actor, ticket):
        raise NotFound(_("No ticket with this reference."))
    text = (body or "").strip()
    errors: dict[str, list[str]] = {}
    if not text and not files:
        errors["body"] = [_("Write a message or attach a file.")]
    if internal and party is not workflow.Party.DESK:
        raise Forbidden(_("Only the provider's staff write internal notes."))
    try:
        check_uploads(files)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors=errors)
    with files_removed_on_failure() as stored, transaction.atomic():
        # The status decides what the message does: read it under the row lock, so a
        # concurrent transition cannot make receive_info fail and lose the message.
        status = (
            Ticket.objects.select_for_update().values_list("status", flat=True).get(pk=ticket.pk)
        )
        if status in FINAL_STATUSES:
            raise InvalidInput(
                _(
                    "This ticket is %(status)s: it can no longer receive messages. File a new "
                    "ticket if the problem persists."
                )
                % {"status": Status(status).label.lower()}
            )
        event = TicketEvent.objects.create(
            ticket=ticket,
            created_at=clock.now(),
            actor=actor,
            actor_label=actor_label,
            kind=EventKind.NOTE if internal else EventKind.COMMENT,
            public=not internal,
            body=text,
        )
        for upload in files:
            store_attachment(
                ticket,
                event,
                upload,
                upload.name or "file",
                actor,
                public=not internal,
                stored_names=stored,
            )
        _touch(ticket)
        notifications.comment_published(ticket, event)
        if party is workflow.Party.OPERATOR and status == Status.PENDING:
            workflow.receive_info(ticket, actor)
        elif party is workflow.Party.DESK and not internal:
            notifications.public_reply(ticket, event)
    return event


def status_inquiry(actor: Any, ticket: Ticket, body: str = "") -> TicketEvent:
    """The operator asks for news ("Retour sur ticket ouvert" → demande d'information)."""
    if not access.may_see_ticket(actor, ticket) or not access.is_operator_user(actor):
        raise NotFound(_("No ticket with this reference."))
    if not ticket.is_open:
        raise InvalidInput(_("This ticket is no longer open."))
    with transaction.atomic():
        event = TicketEvent.objects.create(
            ticket=ticket,
            created_at=clock.now(),
            actor=actor,
            kind=EventKind.INQUIRY,
            public=True,
            body=(body or "").strip(),
        )
        _touch(ticket)
    return event


def assign(actor: Any, ticket: Ticket, assignee: Any | None) -> TicketEvent:
    if not access.is_desk_user(actor) or not access.may_see_ticket(actor, ticket):
        raise Forbidden(_("You may not assign this ticket."))
    if assignee is not None and not access.is_desk_user(assignee):
        raise InvalidInput(
            _("Tickets are assigned to the provider's staff only."),
            errors={"assignee": [_("Choose an agent.")]},
        )
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        locked.assignee = assignee
        locked.updated_at = clock.now()
        locked.save(update_fields=["assignee", "updated_at"])
        ticket.assignee = assignee
        ticket.updated_at = locked.updated_at
        return TicketEvent.objects.create(
            ticket=ticket,
            created_at=locked.updated_at,
            actor=actor,
            kind=EventKind.ASSIGNMENT,
            public=False,
            body=str(assignee) if assignee else "",
            data={"assignee_id": getattr(assignee, "pk", None)},
        )


def email_reply_add(
    ticket: Ticket,
    sender: str,
    text: str,
    files: Sequence[UploadedFile] = (),
    *,
    user: Any = None,
    inbound_email_id: int | None = None,
    refused_attachments: Sequence[str] = (),
    data: dict[str, Any] | None = None,
    ticket_locked: bool = False,
    known_new: bool = False,
) -> tuple[TicketEvent, bool]:
    """A message that came by e-mail from ``sender`` (tickets.inbound): a public complement.

    ``user`` is the sender's account when the caller verified it is an active user of the
    ticket's operator (the event is theirs); otherwise the event has no actor and the address
    as its label. On a pending ticket the message is the awaited answer
    (``data["answers_info_request"]``): the ticket goes back in progress
    (workflow.receive_info). On a resolved ticket, within the contest period, it
    is added with ``data["needs_attention"]`` for the agent, the status unchanged. A final
    ticket, or a resolved one past the contest period, refuses it (InvalidInput).

    Idempotent on ``inbound_email_id`` (kept in the event's data): the same stored message
    adds one event ever; a replay returns the existing event and False. Attachments the
    caller could not accept (``refused_attachments``, one description each) are listed in an
    internal note. The mail router, on a message's first processing, passes
    ``ticket_locked`` (it read ``ticket`` FOR UPDATE in the current transaction) and
    ``known_new`` (the message cannot be on the ticket yet), saving two queries a message.
    """
    text = (text or "").strip()
    if not text and not files:
        raise InvalidInput(_("Write a message or attach a file."))
    check_uploads(files)
    label = "" if user is not None else sender
    with files_removed_on_failure() as stored, transaction.atomic():
        # Under the row lock: a concurrent replay of the same message waits here, then sees
        # the first one's event.
        locked = ticket if ticket_locked else Ticket.objects.select_for_update().get(pk=ticket.pk)
        if inbound_email_id is not None and not known_new:
            existing = list(
                TicketEvent.objects.filter(
                    ticket_id=ticket.pk, data__inbound_email_id=inbound_email_id
                ).order_by()[:1]
            )
            if existing:
                return existing[0], False
        deadline = workflow.contest_deadline(locked)
        if locked.status in FINAL_STATUSES or (
            locked.status == Status.RESOLVED and deadline is not None and clock.now() > deadline
        ):
            raise InvalidInput(
                _("This ticket is closed: it can no longer receive messages. File a new ticket.")
            )
        event_data: dict[str, Any] = {**(data or {}), "source": "email", "sender": sender}
        if inbound_email_id is not None:
            event_data["inbound_email_id"] = inbound_email_id
        if locked.status == Status.RESOLVED:
            event_data["needs_attention"] = True
        if locked.status == Status.PENDING:
            event_data["answers_info_request"] = True
        if refused_attachments:
            event_data["refused_attachments"] = list(refused_attachments)
        now = clock.now()
        event = TicketEvent.objects.create(
            ticket=ticket,
            created_at=now,
            actor=user,
            actor_label=label,
            kind=EventKind.COMMENT,
            public=True,
            body=text,
            data=event_data,
        )
        for upload in files:
            store_attachment(
                ticket, event, upload, upload.name or "file", user, public=True, stored_names=stored
            )
        if refused_attachments:
            TicketEvent.objects.create(
                ticket=ticket,
                created_at=now,
                kind=EventKind.NOTE,
                actor_label="e-soutien",
                public=False,
                body=_(
                    "Attachments of the e-mail from %(sender)s not added to the ticket (the "
                    "original message is kept with the received mail):"
                )
                % {"sender": sender}
                + "\n"
                + "\n".join(f"- {item}" for item in refused_attachments),
                data={"refused_attachments_of": inbound_email_id},
            )
        _touch(ticket)
        notifications.comment_published(ticket, event)
        if locked.status == Status.PENDING:
            workflow.receive_info(ticket, user, actor_label=label)
    return event, True
