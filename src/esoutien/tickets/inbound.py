"""Routes a parsed e-mail onto a ticket, and the desk's actions on quarantined mail.

The mail layer (mail/inbound: transports → store → parse → dispatch) knows no tickets; its
dispatcher calls the routers named in ``settings.ESOUTIEN_INBOUND_ROUTERS``: ``route`` for the
support address, ``route_hotline`` for the hotline address. A router answers a RouteResult;
the dispatcher saves it on the InboundEmail row (status, reason, thread_key).

Rules (issue 5, docs/mail-gateway.md):

* **Finding the ticket**, in order: the signed token of a ``support+<token>@`` recipient
  (mail/tokens.py; case-insensitive), In-Reply-To/References against the Message-IDs of our
  outbound mails, the reference ``ES-YYYY-NNNNNN`` in the subject. The first that names an
  existing ticket wins: a later one never overrides it.
* **Verifying the sender** (the From address, case-insensitive): the ticket's contact address
  or an active user of the ticket's operator. Anyone else → quarantined
  ``unverified_sender`` and the ticket is untouched (no auto-reply either: the sender may be
  forged).
* **Effects**: see ``services.email_reply_add`` (pending → answer + back in progress, other
  open → complement, resolved within the contest period → complement flagged
  ``needs_attention``). The assignee gets an e-mail for an answer and for a message on a
  resolved ticket. A final ticket (or a resolved one past the contest period) takes nothing:
  the sender gets an auto-reply explaining how to file a new ticket (status "ignored",
  reason ``ticket_closed``, the message stays stored).
* **Attachments**: each is checked against the upload rules (tickets/uploads.check_uploads).
  The accepted ones are attached to the event; refused ones (type, size, empty, beyond the
  count limit, real attachments first) are listed in the event's data and an internal note,
  and the answer still reaches the ticket — refusing a whole answer for a signature logo
  would stall the ticket. The raw message stays stored with the received mail.
* **Quarantine, never drop** (the desk's "Courrier en quarantaine"): ``parse_error`` (as
  the dispatcher names a fatal parse; here also errors with no sender or no content),
  ``no_ticket`` (it looks like a reply but names no ticket), ``not_a_reply`` (a message to
  the plain support address that names no ticket: its sender gets one auto-reply pointing to
  the portal), ``unverified_sender``, ``auto_reply`` (an out-of-office or other automatic
  message about a ticket: never taken as the operator's answer, kept for a person to look at),
  ``empty`` (no text and no acceptable attachment), ``hotline`` (see route_hotline).
  Bounces and our own looped mails are "ignored" (the dispatcher handles bounces).
* **Loops**: no auto-reply to auto-replies, bounces, lists, our own mail (loop header or one
  of our addresses), MAILER-DAEMON/postmaster/no-reply senders or an empty return path; at
  most ``ESOUTIEN_INBOUND_AUTOREPLY_PER_HOUR`` auto-replies per address per hour (kind
  "autoreply*" rows of the outbox), each sent with ``Auto-Submitted: auto-replied``.
* **Idempotence**: the event keeps the InboundEmail id in its data; routing the same stored
  message again (replay, two transports) finds it and adds nothing; auto-replies are
  de-duplicated per stored message (outbox dedupe key).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from esoutien.accounts import access
from esoutien.core import clock
from esoutien.core.errors import InvalidInput
from esoutien.mail.inbound.message import ParsedAttachment, ParsedEmail, RouteResult
from esoutien.mail.models import InboundEmail, OutboundEmail
from esoutien.mail.outbound import queue_email
from esoutien.mail.tokens import verify_reply_token
from esoutien.tickets import services, workflow
from esoutien.tickets.models import Ticket, TicketEvent
from esoutien.tickets.states import FINAL_STATUSES, Status
from esoutien.tickets.uploads import check_uploads

ROUTED = "routed"
QUARANTINED = "quarantined"
IGNORED = "ignored"

# Stable reason codes (saved on InboundEmail.reason) and how the desk names them.
REASONS: dict[str, Any] = {
    "unverified_sender": gettext_lazy("Sender not allowed on the ticket"),
    "no_ticket": gettext_lazy("Reply to no known ticket"),
    "not_a_reply": gettext_lazy("Not a reply (new requests are filed in the portal)"),
    "parse_error": gettext_lazy("Unreadable message"),
    "auto_reply": gettext_lazy("Automatic reply"),
    "empty": gettext_lazy("Empty message"),
    "hotline": gettext_lazy("Hotline message"),
    # The hotline router (status/hotline.py)
    "hotline_normal": gettext_lazy("Hotline outside an incident"),
    "hotline_unknown_sender": gettext_lazy("Hotline: operator to attribute"),
    "too_large": gettext_lazy("Message too large"),
}

SUBJECT_REFERENCE = re.compile(r"(?<![A-Z0-9])ES-(\d{4})-(\d{6})(?![0-9])", re.IGNORECASE)
# Local parts that are never a person: no automatic answer goes to them (RFC 3834 §2).
_ROBOT_LOCALS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|listserv|majordomo"
    r"|owner-.*|.*-request|.*-bounces?)$",
    re.IGNORECASE,
)


# --- Routers (called by the mail layer's dispatcher) -------------------------------------------


def route(inbound: InboundEmail, parsed: ParsedEmail) -> RouteResult:
    """The support address's router: put the message on its ticket, or say why not."""
    if parsed.loop:
        return RouteResult(IGNORED, "loop")
    if parsed.is_bounce:
        return RouteResult(IGNORED, "bounce")
    if _unreadable(parsed):
        return RouteResult(QUARANTINED, "parse_error")
    ticket = find_ticket(inbound, parsed)
    if ticket is None:
        if looks_like_reply(inbound, parsed):
            return RouteResult(QUARANTINED, "no_ticket")
        _autoreply(inbound, parsed, "not_a_reply", {})
        return RouteResult(QUARANTINED, "not_a_reply")
    reference = ticket.reference
    # A first attempt cannot have added anything yet (the dispatcher holds the row's lock
    # and commits the event with the row's new status), so only replays look.
    if (inbound.attempts > 1 or inbound.thread_key) and _already_added(inbound, ticket):
        return RouteResult(ROUTED, thread_key=reference)
    verified, user = verify_sender(ticket, parsed.sender)
    if not verified:
        return RouteResult(QUARANTINED, "unverified_sender", thread_key=reference)
    if parsed.is_auto_reply:
        return RouteResult(QUARANTINED, "auto_reply", thread_key=reference)
    if not _accepts_messages(ticket):
        return _ticket_closed(inbound, parsed, ticket)
    files, refused = uploads_from(parsed.attachments)
    text = message_text(parsed)
    if not text and not files:
        return RouteResult(QUARANTINED, "empty", thread_key=reference)
    try:
        add_to_ticket(
            inbound, ticket, parsed.sender, text, files, refused, user=user, first_attempt=True
        )
    except InvalidInput:
        return _ticket_closed(inbound, parsed, ticket)  # closed meanwhile (under the lock)
    return RouteResult(ROUTED, thread_key=reference)


def _ticket_closed(inbound: InboundEmail, parsed: ParsedEmail, ticket: Ticket) -> RouteResult:
    """Nothing is added; the sender learns how to file a new ticket."""
    reference = ticket.reference
    _autoreply(inbound, parsed, "ticket_closed", {"closed_ticket": ticket}, thread_key=reference)
    return RouteResult(IGNORED, "ticket_closed", thread_key=reference)


def route_hotline(inbound: InboundEmail, parsed: ParsedEmail) -> RouteResult:
    """A stand-in hotline router that holds every message (tests and deployments without
    the status app); the product's router is ``esoutien.status.hotline.route_hotline``.

    Every message is quarantined with the reason "hotline", where the desk reads it and can
    attach it to a ticket, or `mail-replay --quarantined` hands it to the real router later.
    """
    return RouteResult(QUARANTINED, "hotline")


# --- Finding the ticket ------------------------------------------------------------------------


def _support_parts() -> tuple[str, str]:
    local, _, domain = settings.ESOUTIEN_SUPPORT_ADDRESS.lower().rpartition("@")
    return local, domain


def _split_addresses(text: str) -> list[str]:
    return [a.strip().strip("<>").lower() for a in re.split(r"[\s,;]+", text or "") if "@" in a]


def recipient_tokens(inbound: InboundEmail, parsed: ParsedEmail) -> list[str]:
    """The ``<token>`` of every ``support+<token>@`` recipient, envelope first."""
    local, domain = _support_parts()
    tokens: list[str] = []
    for address in [*_split_addresses(inbound.envelope_recipients), *parsed.recipients]:
        box, _, host = address.lower().rpartition("@")
        base, plus, token = box.partition("+")
        if plus and base == local and host == domain and token and token not in tokens:
            tokens.append(token)
    return tokens


def _ticket(reference: str) -> Ticket | None:
    rows = Ticket.objects.filter(reference=reference.upper()).order_by()
    if transaction.get_connection().in_atomic_block:
        # Routing runs in the dispatcher's transaction: lock the ticket now, once, rather
        # than read it here and again under a lock when the message is added.
        rows = rows.select_for_update()
    found = list(rows[:1])
    return found[0] if found else None


def find_ticket(inbound: InboundEmail, parsed: ParsedEmail) -> Ticket | None:
    """The ticket the message answers: signed reply address, then threading, then subject."""
    for token in recipient_tokens(inbound, parsed):
        key = verify_reply_token(token)
        if key and (ticket := _ticket(key)) is not None:
            return ticket
    # The message it answers first, then the thread from the newest to the oldest.
    message_ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    message_ids = [m for m in dict.fromkeys(message_ids) if m][:50]
    if message_ids:
        keys = dict(
            OutboundEmail.objects.filter(message_id__in=message_ids)
            .exclude(thread_key="")
            .values_list("message_id", "thread_key")
        )
        for message_id in message_ids:
            if message_id in keys and (ticket := _ticket(keys[message_id])) is not None:
                return ticket
    for match in SUBJECT_REFERENCE.finditer(parsed.subject or ""):
        if (ticket := _ticket(f"ES-{match.group(1)}-{match.group(2)}")) is not None:
            return ticket
    return None


def looks_like_reply(inbound: InboundEmail, parsed: ParsedEmail) -> bool:
    """Whether the message claims to continue a conversation (vs. a brand-new request)."""
    return bool(
        recipient_tokens(inbound, parsed)
        or parsed.in_reply_to
        or parsed.references
        or SUBJECT_REFERENCE.search(parsed.subject or "")
    )


def verify_sender(ticket: Ticket, sender: str) -> tuple[bool, Any]:
    """(allowed, user): the ticket's contact address, or an active user of its operator.

    ``user`` is the account the address belongs to when it is one of the operator's users
    (the event is then theirs), else None.
    """
    address = (sender or "").strip().lower()
    if not address or "@" not in address:
        return False, None
    candidates = (
        get_user_model()
        .objects.filter(email__iexact=address, is_active=True, operator_id=ticket.operator_id)
        .only("id", "email", "role", "operator_id", "is_active")
        .order_by()
    )
    user = next((u for u in candidates if access.is_operator_user(u)), None)
    if user is not None:
        return True, user
    return address == (ticket.contact_email or "").strip().lower(), None


def _already_added(inbound: InboundEmail, ticket: Ticket) -> bool:
    """Whether this stored message is already on its ticket (or the one staff attached it to)."""
    events = TicketEvent.objects.filter(data__inbound_email_id=inbound.pk)
    if inbound.thread_key and inbound.thread_key.upper() != ticket.reference:
        events = events.filter(
            Q(ticket_id=ticket.pk) | Q(ticket__reference=inbound.thread_key.upper())
        )
    else:
        events = events.filter(ticket_id=ticket.pk)
    return events.exists()


def _accepts_messages(ticket: Ticket) -> bool:
    if ticket.status in FINAL_STATUSES:
        return False
    deadline = workflow.contest_deadline(ticket)
    return not (ticket.status == Status.RESOLVED and deadline and clock.now() > deadline)


# --- The message -------------------------------------------------------------------------------


def _unreadable(parsed: ParsedEmail) -> bool:
    """A parse that went wrong badly enough that nobody can say who wrote what: a fatal
    error (the parser's last line of defence), or errors and no sender or no content. Minor
    problems (a MIME defect, an unknown charset) do not stop an answer."""
    if not parsed.errors:
        return False
    if any(error.lower().startswith("fatal") for error in parsed.errors):
        return True
    has_content = bool(parsed.text.strip() or parsed.reply_text.strip() or parsed.attachments)
    return not parsed.sender or not has_content


def is_unreadable(parsed: ParsedEmail) -> bool:
    """Public for the hotline router: the same judgement as ``route``'s."""
    return _unreadable(parsed)


def message_text(parsed: ParsedEmail) -> str:
    """The new part of a reply (quoted history removed), else the whole text."""
    return (parsed.reply_text or "").strip() or (parsed.text or "").strip()


def uploads_from(
    attachments: Iterable[ParsedAttachment],
) -> tuple[list[UploadedFile], list[str]]:
    """(accepted, refused): the attachments the upload rules accept, and why others are not.

    Real attachments come before inline parts (pictures of a signature), so they get the
    limited number of places first.
    """
    accepted: list[UploadedFile] = []
    refused: list[str] = []
    ordered = sorted(attachments, key=lambda a: a.inline)
    for part in ordered:
        upload = SimpleUploadedFile(part.filename or "attachment.bin", part.content or b"")
        upload.content_type = part.content_type
        if len(accepted) >= settings.ESOUTIEN_ATTACHMENT_MAX_FILES:
            refused.append(
                _("%(name)s: at most %(count)d files are added from one message.")
                % {"name": upload.name, "count": settings.ESOUTIEN_ATTACHMENT_MAX_FILES}
            )
            continue
        try:
            check_uploads([upload])
        except InvalidInput as exc:
            refused.extend(str(m) for ms in exc.errors.values() for m in ms)
            continue
        accepted.append(upload)
    return accepted, refused


# --- Effects -----------------------------------------------------------------------------------


def add_to_ticket(
    inbound: InboundEmail,
    ticket: Ticket,
    sender: str,
    text: str,
    files: list[UploadedFile],
    refused: list[str],
    *,
    user: Any = None,
    data: dict[str, Any] | None = None,
    first_attempt: bool = False,
) -> tuple[TicketEvent, bool]:
    """Add the message (services.email_reply_add) and tell the assignee when it matters.

    ``first_attempt``: called by the router on a message's first processing, with the
    ticket locked by ``find_ticket`` in the dispatcher's transaction.
    """
    outer = transaction.get_connection().in_atomic_block
    with contextlib.nullcontext() if outer else transaction.atomic():
        event, created = services.email_reply_add(
            ticket,
            sender,
            text,
            files,
            user=user,
            inbound_email_id=inbound.pk,
            refused_attachments=refused,
            data=data,
            ticket_locked=first_attempt,
            known_new=first_attempt,
        )
        answered = bool(event.data.get("answers_info_request"))
        if created and (answered or event.data.get("needs_attention")):
            _notify_assignee(ticket, event, answered=answered)
    return event, created


def _notify_assignee(ticket: Ticket, event: TicketEvent, *, answered: bool) -> None:
    assignee = ticket.assignee
    if assignee is None or not assignee.is_active or not assignee.email:
        return
    queue_email(
        kind="inbound_message",
        to=[assignee.email],
        template="inbound/agent_notice",
        context={"ticket": ticket, "event": event, "answered": answered, "agent": assignee},
        language=getattr(assignee, "language", "") or "fr",
        with_reply_address=False,
        dedupe_key=f"inbound-notice-{event.pk}",
    )


# --- Auto-replies ------------------------------------------------------------------------------


def _our_addresses() -> set[str]:
    from email.utils import parseaddr

    found = {
        settings.ESOUTIEN_SUPPORT_ADDRESS.lower(),
        settings.ESOUTIEN_HOTLINE_ADDRESS.lower(),
        parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(),
        parseaddr(settings.SERVER_EMAIL)[1].lower(),
    }
    return {a for a in found if a}


def _without_detail(address: str) -> str:
    box, _, host = address.lower().rpartition("@")
    return f"{box.partition('+')[0]}@{host}"


def may_autoreply(inbound: InboundEmail, parsed: ParsedEmail) -> bool:
    """Whether an automatic answer to this message can start no loop (RFC 3834)."""
    if parsed.is_auto_reply or parsed.is_bounce or parsed.is_list or parsed.loop:
        return False
    address = (parsed.sender or "").strip().lower()
    box, at, host = address.rpartition("@")
    if not at or not box or not host:
        return False
    if _ROBOT_LOCALS.match(box.partition("+")[0]):
        return False
    if _without_detail(address) in {_without_detail(a) for a in _our_addresses()}:
        return False
    envelope = (inbound.envelope_sender or "").strip().strip("<>").lower()
    if not envelope and (inbound.envelope_sender or inbound.transport in ("smtp", "lmtp")):
        return False  # the null return path "<>": a bounce or another automatic message
    robot = envelope and _ROBOT_LOCALS.match(envelope.rpartition("@")[0].partition("+")[0])
    return not robot


def autoreplies_sent(address: str, *, within: timedelta = timedelta(hours=1)) -> int:
    return OutboundEmail.objects.filter(
        kind__startswith="autoreply", to=address.lower(), created_at__gte=clock.now() - within
    ).count()


def _autoreply(
    inbound: InboundEmail,
    parsed: ParsedEmail,
    template: str,
    context: dict[str, Any],
    *,
    thread_key: str = "",
) -> OutboundEmail | None:
    """One automatic answer to ``parsed.sender``, unless it could loop or the sender already
    got its share this hour. At most one per stored message, however often it is routed."""
    if not may_autoreply(inbound, parsed):
        return None
    address = parsed.sender.strip().lower()
    if autoreplies_sent(address) >= settings.ESOUTIEN_INBOUND_AUTOREPLY_PER_HOUR:
        return None
    user = get_user_model().objects.filter(email__iexact=address, is_active=True).first()
    return queue_email(
        kind=f"autoreply_{template}",
        to=[address],
        template=f"inbound/autoreply_{template}",
        context={
            "subject": parsed.subject,
            "portal_url": f"{settings.ESOUTIEN_BASE_URL}{reverse('portal:ticket_new')}",
            "support_address": settings.ESOUTIEN_SUPPORT_ADDRESS,
            **context,
        },
        language=getattr(user, "language", "") or "fr",
        thread_key=thread_key,
        with_reply_address=False,
        dedupe_key=f"inbound-{inbound.pk}-autoreply",
    )
