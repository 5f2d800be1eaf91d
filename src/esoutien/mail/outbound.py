"""The only place e-mails are built and sent.

``queue_email`` renders a template set into an ``OutboundEmail`` row inside the caller's
transaction; delivery happens after commit (a Huey task) and again from the periodic sweep,
so a crash, a lost queue message or a relay outage never loses a message.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from esoutien.core import clock
from esoutien.core.storage import private_storage
from esoutien.mail.models import OutboundEmail, OutboundStatus
from esoutien.mail.tokens import reply_address

log = logging.getLogger(__name__)

# A row stuck in "sending" this long was claimed by a worker that died; hand it out again.
STALE_CLAIM = timedelta(minutes=10)
_MAX_REFERENCES = 20


@dataclass(frozen=True)
class MailAttachment:
    """A file in private storage to attach, or inline bytes already stored there."""

    storage_name: str
    filename: str
    content_type: str = ""


def _domain() -> str:
    return settings.ESOUTIEN_SUPPORT_ADDRESS.rpartition("@")[2] or "e-soutien.localhost"


def _render(template: str, context: Mapping[str, Any], language: str) -> tuple[str, str, str]:
    # Dates in mails are Paris time whatever zone the calling request activated.
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        ctx = {"base_url": settings.ESOUTIEN_BASE_URL, "language": language, **context}
        subject = render_to_string(f"mail/{template}/subject.txt", ctx)
        text = render_to_string(f"mail/{template}/body.txt", ctx)
        html = render_to_string(f"mail/{template}/body.html", ctx)
    return " ".join(subject.split()), text.strip() + "\n", html


def queue_email(
    *,
    kind: str,
    to: Iterable[str],
    template: str,
    context: Mapping[str, Any],
    language: str = "fr",
    thread_key: str = "",
    attachments: Iterable[MailAttachment] = (),
    with_reply_address: bool = True,
    dedupe_key: str | None = None,
) -> OutboundEmail | None:
    """Render ``mail/<template>/`` and write the message to the outbox (see queue_message)."""
    if dedupe_key and OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    subject, text, html = _render(template, context, language)
    return queue_message(
        kind=kind,
        to=to,
        subject=subject,
        text_body=text,
        html_body=html,
        language=language,
        thread_key=thread_key,
        attachments=attachments,
        with_reply_address=with_reply_address,
        dedupe_key=dedupe_key,
    )


def queue_message(
    *,
    kind: str,
    to: Iterable[str],
    subject: str,
    text_body: str,
    html_body: str = "",
    language: str = "fr",
    thread_key: str = "",
    attachments: Iterable[MailAttachment] = (),
    with_reply_address: bool = True,
    dedupe_key: str | None = None,
) -> OutboundEmail | None:
    """Write one already-built message to the outbox; it is sent after the surrounding
    transaction commits.

    Returns None when ``to`` is empty, or when ``dedupe_key`` was already used (each
    recipient gets each announcement once).
    """
    recipients = sorted({a.strip().lower() for a in to if a and a.strip()})
    if not recipients:
        return None
    if dedupe_key and OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    in_reply_to, references = "", ""
    if thread_key:
        earlier = list(
            OutboundEmail.objects.filter(thread_key=thread_key)
            .order_by("-created_at", "-id")
            .values_list("message_id", flat=True)[:_MAX_REFERENCES]
        )
        earlier.reverse()
        if earlier:
            in_reply_to = earlier[-1]
            references = " ".join(earlier)
    fields = dict(
        thread_key=thread_key,
        kind=kind,
        to="\n".join(recipients),
        subject=" ".join(subject.split())[:300],
        text_body=text_body,
        html_body=html_body,
        attachments=[asdict(a) for a in attachments],
        language=language,
        message_id=make_msgid(idstring=kind.replace("_", "-"), domain=_domain()),
        in_reply_to=in_reply_to,
        references=references,
        reply_to=reply_address(thread_key) if (thread_key and with_reply_address) else "",
        dedupe_key=dedupe_key,
    )
    if dedupe_key:
        try:
            # A savepoint: a concurrent twin with the same key must not abort the caller.
            with transaction.atomic():
                email = OutboundEmail.objects.create(**fields)
        except IntegrityError:
            if OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
                return None
            raise
    else:
        email = OutboundEmail.objects.create(**fields)
    email_id = email.pk
    transaction.on_commit(lambda: _trigger(email_id))
    return email


def _trigger(email_id: int) -> None:
    """Ask the worker to send now; if the queue is unreachable the sweep sends it later."""
    try:
        from esoutien.mail.tasks import deliver_email_task

        deliver_email_task(email_id)
    except Exception:  # the queue is only a trigger: never fail the user's action
        log.warning("could not enqueue delivery of outbound e-mail %s", email_id, exc_info=True)


def build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    headers = {
        "Message-ID": email.message_id,
        # RFC 3834: an answer to a received message (kind "autoreply*") is auto-replied.
        "Auto-Submitted": (
            "auto-replied" if email.kind.startswith("autoreply") else "auto-generated"
        ),
        "X-Auto-Response-Suppress": "All",
        # Lets the inbound gateway recognise its own mail coming back (mail loops).
        "X-ESoutien-Loop": settings.ESOUTIEN_SUPPORT_ADDRESS,
    }
    if email.in_reply_to:
        headers["In-Reply-To"] = email.in_reply_to
    if email.references:
        headers["References"] = email.references
    if email.thread_key:
        headers["X-ESoutien-Thread"] = email.thread_key
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.recipients,
        reply_to=[email.reply_to] if email.reply_to else None,
        headers=headers,
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    for item in email.attachments:
        with private_storage.open(item["storage_name"], "rb") as fh:
            content = fh.read()
        ctype = item.get("content_type") or (
            mimetypes.guess_type(item["filename"])[0] or "application/octet-stream"
        )
        message.attach(item["filename"], content, ctype)
    return message


def _claim(email_id: int) -> bool:
    now = clock.now()
    claimed = OutboundEmail.objects.filter(
        pk=email_id, status=OutboundStatus.QUEUED, next_attempt_at__lte=now
    ).update(status=OutboundStatus.SENDING, claimed_at=now)
    return claimed == 1


def _backoff(attempts: int) -> timedelta:
    base = settings.ESOUTIEN_MAIL_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def deliver(email_id: int) -> bool:
    """Send one queued message if it is due and nobody else is sending it. True when sent."""
    if not _claim(email_id):
        return False
    email = OutboundEmail.objects.get(pk=email_id)
    try:
        message = build_message(email)
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([message])
    except Exception as exc:
        attempts = email.attempts + 1
        final = attempts >= settings.ESOUTIEN_MAIL_MAX_ATTEMPTS
        OutboundEmail.objects.filter(pk=email_id).update(
            status=OutboundStatus.FAILED if final else OutboundStatus.QUEUED,
            attempts=attempts,
            next_attempt_at=clock.now() + _backoff(attempts),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            claimed_at=None,
        )
        log.warning(
            "delivery of outbound e-mail %s failed (attempt %s): %s", email_id, attempts, exc
        )
        return False
    OutboundEmail.objects.filter(pk=email_id).update(
        status=OutboundStatus.SENT,
        attempts=email.attempts + 1,
        sent_at=clock.now(),
        last_error="",
        claimed_at=None,
    )
    return True


def deliver_due(limit: int = 200) -> int:
    """The sweep: release stale claims, then send every due message. Returns how many went."""
    now = clock.now()
    OutboundEmail.objects.filter(
        status=OutboundStatus.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(status=OutboundStatus.QUEUED, claimed_at=None)
    due = list(
        OutboundEmail.objects.filter(status=OutboundStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if deliver(pk))


def retry_now(email_id: int) -> None:
    """Put a failed or queued message back at the head of the queue (desk action)."""
    OutboundEmail.objects.filter(
        Q(status=OutboundStatus.FAILED) | Q(status=OutboundStatus.QUEUED), pk=email_id
    ).update(status=OutboundStatus.QUEUED, next_attempt_at=clock.now())
    transaction.on_commit(lambda: _trigger(email_id))


def suppress(queryset: Any, reason: str) -> int:
    """Mark queued messages as never to be sent (e.g. demo data)."""
    return int(
        queryset.filter(status=OutboundStatus.QUEUED).update(
            status=OutboundStatus.SUPPRESSED, last_error=reason
        )
    )
