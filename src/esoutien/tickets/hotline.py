"""Tickets from the fallback hotline: filing, the desk's requalification and attribution.

The hotline router (status/hotline.py) decides whether a message to the hotline address is
taken (e-soutien was not operational when it arrived); this module files it. A hotline ticket
is a malfunction of the operator the sender belongs to, on the placeholder e-service "À
qualifier" (never offered to operators: inactive, ``is_placeholder``) until staff set the real
one, with the severity the text says (critical by default: the hotline is for outages). The
contact gets the usual acknowledgement with the reference.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from esoutien.accounts import access
from esoutien.accounts.models import OPERATOR_ROLES, Operator
from esoutien.audit.recorder import record
from esoutien.catalogue.models import EService
from esoutien.catalogue.selectors import is_subscribed
from esoutien.core import clock
from esoutien.core.errors import InvalidInput, NotFound
from esoutien.mail.models import InboundEmail, InboundStatus
from esoutien.tickets import notifications, sla
from esoutien.tickets.models import EventKind, Kind, Severity, Source, Ticket, TicketEvent
from esoutien.tickets.references import allocate_reference
from esoutien.tickets.states import Status
from esoutien.tickets.uploads import check_uploads, files_removed_on_failure, store_attachment

PLACEHOLDER_CODE = "a-qualifier"

# Words of the subject or text that say how bad it is (accents and case ignored); the first
# group found wins, in this order. Nothing found: critical.
_SEVERITY_WORDS = (
    (Severity.CRITICAL, r"critique|critical|bloquant\w*|blocking|urgen\w*|panne totale"),
    (Severity.MAJOR, r"majeur\w*|major"),
    (Severity.MINOR, r"mineur\w*|minor"),
)


def placeholder_eservice() -> EService:
    """The "to qualify" e-service of hotline tickets (created on first use)."""
    eservice, _created = EService.objects.get_or_create(
        code=PLACEHOLDER_CODE,
        defaults={"name": "À qualifier", "is_placeholder": True, "is_active": False},
    )
    return eservice


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def severity_from_text(*texts: str) -> str:
    plain = _plain(" ".join(texts))
    for severity, words in _SEVERITY_WORDS:
        if re.search(rf"\b(?:{words})\b", plain):
            return severity.value
    return Severity.CRITICAL.value


def _domain(address: str) -> str:
    return (address or "").strip().lower().rpartition("@")[2]


def operator_for_sender(address: str) -> tuple[Operator | None, Any]:
    """(operator, user): the active operator user with this address, else the one active
    operator whose notification contacts or users share its domain; (None, None) when none
    or several do (staff attribute it)."""
    address = (address or "").strip().lower()
    domain = _domain(address)
    if not domain or "@" not in address:
        return None, None
    users = get_user_model().objects.filter(
        email__iexact=address,
        is_active=True,
        role__in=sorted(OPERATOR_ROLES),
        operator__is_active=True,
    )
    user = users.select_related("operator").first()
    if user is not None:
        return user.operator, user
    candidates = set(
        get_user_model()
        .objects.filter(
            email__iendswith=f"@{domain}",
            is_active=True,
            role__in=sorted(OPERATOR_ROLES),
            operator__is_active=True,
        )
        .values_list("operator_id", flat=True)
    )
    for operator in Operator.objects.filter(
        is_active=True, notification_emails__icontains=f"@{domain}"
    ):
        if any(_domain(a) == domain for a in operator.notification_addresses):
            candidates.add(operator.pk)
    if len(candidates) != 1:
        return None, None
    return Operator.objects.get(pk=candidates.pop()), None


def ticket_for_inbound(inbound_id: int) -> Ticket | None:
    """The hotline ticket already filed from this stored message (replays add nothing)."""
    event = (
        TicketEvent.objects.filter(kind=EventKind.CREATED, data__inbound_email_id=inbound_id)
        .select_related("ticket")
        .order_by("id")
        .first()
    )
    return event.ticket if event is not None else None


@dataclass
class HotlineMessage:
    sender: str
    text: str
    subject: str = ""
    sender_name: str = ""
    files: Sequence[UploadedFile] = field(default_factory=list)
    refused: Sequence[str] = ()  # attachments not accepted, one description each
    inbound_email_id: int | None = None


def hotline_ticket_create(
    operator: Operator,
    message: HotlineMessage,
    *,
    user: Any = None,
    attributed_by: Any = None,
) -> tuple[Ticket, bool]:
    """File ``message`` for ``operator``; (ticket, created). Idempotent on the stored message."""
    if message.inbound_email_id is not None:
        existing = ticket_for_inbound(message.inbound_email_id)
        if existing is not None:
            return existing, False
    sender = (message.sender or "").strip().lower()
    try:
        validate_email(sender)
    except ValidationError as exc:
        text = _("The sender's address is not valid.")
        raise InvalidInput(text, errors={"contact_email": [text]}) from exc
    check_uploads(message.files)
    text = (message.text or "").strip()
    if not text and not message.files:
        raise InvalidInput(_("This message has no text and no attachment."))
    with translation.override("fr"):  # the ticket's words, for French-speaking staff
        subject = (message.subject or "").strip() or _("Message to the hotline")
        description = text or _("(no text: see the attachments)")
    now = clock.now()
    data: dict[str, Any] = {"source": "hotline", "sender": sender}
    if message.inbound_email_id is not None:
        data["inbound_email_id"] = message.inbound_email_id
    if attributed_by is not None:
        data["attributed_by"] = attributed_by.pk
    with files_removed_on_failure() as stored, transaction.atomic():
        ticket = Ticket(
            reference=allocate_reference(now),
            operator=operator,
            eservice=placeholder_eservice(),
            kind=Kind.INCIDENT,
            severity=severity_from_text(message.subject, text),
            subject=subject[:200],
            description=description,
            contact_name=(message.sender_name or "").strip()[:200],
            contact_email=sender,
            source=Source.HOTLINE,
            status=Status.ACKNOWLEDGED,
            created_by=user,
            created_at=now,
            updated_at=now,
        )
        sla.start_clocks(ticket)  # none on the placeholder; requalifying starts them
        ticket.save()
        event = TicketEvent.objects.create(
            ticket=ticket,
            created_at=now,
            actor=user,
            actor_label="" if user is not None else sender,
            kind=EventKind.CREATED,
            to_status=Status.ACKNOWLEDGED,
            public=True,
            data=data,
        )
        for upload in message.files:
            store_attachment(
                ticket, event, upload, upload.name or "file", user, public=True, stored_names=stored
            )
        if message.refused:
            TicketEvent.objects.create(
                ticket=ticket,
                created_at=now,
                kind=EventKind.NOTE,
                actor_label="e-soutien",
                public=False,
                body=_("Attachments of the hotline e-mail not added to the ticket:")
                + "\n"
                + "\n".join(f"- {item}" for item in message.refused),
                data={"refused_attachments_of": message.inbound_email_id},
            )
        notifications.acknowledgement(ticket)
    return ticket, True


def hotline_requalify(actor: Any, ticket: Ticket, eservice: EService | None) -> TicketEvent:
    """Staff set the real e-service of a hotline ticket (an internal event records it)."""
    if not access.is_desk_user(actor) or not access.may_see_ticket(actor, ticket):
        raise NotFound(_("No ticket with this reference."))
    if ticket.source != Source.HOTLINE:
        raise InvalidInput(_("Only tickets from the hotline are requalified."))
    if eservice is None or eservice.is_placeholder or not eservice.is_active:
        message = _("Choose an active e-service.")
        raise InvalidInput(message, errors={"eservice": [message]})
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("eservice").get(pk=ticket.pk)
        if locked.is_final:
            raise InvalidInput(_("This ticket is closed: its e-service no longer changes."))
        previous = locked.eservice
        if previous.pk == eservice.pk:
            raise InvalidInput(_("The ticket is already on this e-service."))
        now = clock.now()
        locked.eservice, locked.updated_at = eservice, now
        locked.save(update_fields=["eservice", "updated_at"])
        ticket.eservice, ticket.updated_at = eservice, now
        sla.recompute(ticket.pk, now)  # the new e-service's policy, counted from the filing
        subscribed = is_subscribed(ticket.operator_id, eservice.pk, timezone.localdate(now))
        return TicketEvent.objects.create(
            ticket=ticket,
            created_at=now,
            actor=actor,
            kind=EventKind.NOTE,
            public=False,
            body=_("E-service set to %(new)s (was %(old)s).")
            % {"new": eservice.name, "old": previous.name},
            data={
                "requalified": {"from": previous.code, "to": eservice.code},
                "operator_subscribes": subscribed,
            },
        )


def hotline_ticket_from_quarantine(
    actor: Any, inbound: InboundEmail, operator: Operator, *, request: HttpRequest | None = None
) -> Ticket:
    """Staff file a held hotline message for ``operator`` (a sender no rule could attribute,
    or a message they judge urgent after all). Audited."""
    from esoutien.tickets.inbound import message_text, uploads_from
    from esoutien.tickets.quarantine import parse_stored

    if not access.is_desk_user(actor):
        raise NotFound(_("No such message."))
    if not operator.is_active:
        raise InvalidInput(_("This operator is not active."))
    parsed = parse_stored(inbound)
    if parsed is None:
        raise InvalidInput(_("The message cannot be read now; try again later."))
    files, refused = uploads_from(parsed.attachments)
    sender = parsed.sender or inbound.sender
    user = (
        get_user_model()
        .objects.filter(email__iexact=sender, is_active=True, operator_id=operator.pk)
        .first()
    )
    with transaction.atomic():
        locked = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
        if locked.status != InboundStatus.QUARANTINED:
            raise InvalidInput(_("This message is no longer in quarantine."))
        ticket, _created = hotline_ticket_create(
            operator,
            HotlineMessage(
                sender=sender,
                sender_name=parsed.sender_name,
                subject=parsed.subject,
                text=message_text(parsed),
                files=files,
                refused=refused,
                inbound_email_id=locked.pk,
            ),
            user=user,
            attributed_by=actor,
        )
        previous = locked.reason
        locked.status = InboundStatus.ROUTED
        locked.reason = "hotline_attributed"
        locked.thread_key = ticket.reference
        locked.processed_at = clock.now()
        locked.save(update_fields=["status", "reason", "thread_key", "processed_at"])
        record(
            "hotline_attributed",
            request=request,
            actor=actor,
            target=ticket.reference,
            data={"inbound_email_id": locked.pk, "operator": operator.code, "reason": previous},
        )
    inbound.refresh_from_db()
    return ticket
