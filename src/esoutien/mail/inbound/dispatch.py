"""Dispatch: a stored message → parse → the router registered for its recipient.

``process(inbound_id)`` is idempotent and safe to run from several workers at once: the
row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write lock, taken at BEGIN,
serialises the same way), a message that is no longer ``stored`` or ``failed`` is left
alone, and the router's writes commit in the same transaction as the row's new status, so
a message is routed exactly once. Any unexpected exception rolls the routing back and marks
the row ``failed`` with the error; the sweep retries it, ``esoutien mail_replay`` too.

The mail layer knows no tickets: routers are named in ``ESOUTIEN_INBOUND_ROUTERS``
(``{"support": "dotted.path", "hotline": "dotted.path"}``), each a callable
``route(inbound: InboundEmail, parsed: ParsedEmail) -> RouteResult``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string

from esoutien.core import clock
from esoutien.mail.inbound.message import ParsedEmail, RouteResult
from esoutien.mail.inbound.parse import parse_message
from esoutien.mail.models import InboundEmail, InboundStatus, OutboundEmail, OutboundStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=1)
ROUTER_STATUSES = {InboundStatus.ROUTED, InboundStatus.QUARANTINED, InboundStatus.IGNORED}

# What each kind of run may (re)process. Routed and duplicate messages never are: a routed
# message was added to its ticket once, a duplicate's original is the one processed.
DUE = (InboundStatus.STORED, InboundStatus.FAILED)
REPLAYABLE = (*DUE, InboundStatus.QUARANTINED)
FORCEABLE = (*REPLAYABLE, InboundStatus.IGNORED, InboundStatus.DISCARDED)

Router = Callable[[InboundEmail, ParsedEmail], RouteResult]


class RouterUnavailable(Exception):
    """The router named in settings cannot be imported (yet): the message waits, failed."""


def _addresses(text: str) -> list[str]:
    return [a.strip().lower() for a in text.splitlines() if a.strip()]


def _local_domain(address: str) -> tuple[str, str]:
    local, _, domain = address.strip().strip("<>").lower().rpartition("@")
    return local, domain


def router_name_for(recipients: Iterable[str]) -> str:
    """ "hotline" when a recipient is the hotline address, else "support"."""
    hotline = _local_domain(settings.ESOUTIEN_HOTLINE_ADDRESS)
    for recipient in recipients:
        local, domain = _local_domain(recipient)
        if (local, domain) == hotline or (
            domain == hotline[1] and local.split("+", 1)[0] == hotline[0]
        ):
            return "hotline"
    return "support"


def _recipients(inbound: InboundEmail, parsed: ParsedEmail) -> list[str]:
    """Envelope recipients when the transport knew them (SMTP, LMTP, a pipe given them),
    else what the headers say (IMAP): delivery headers first, then To and Cc."""
    envelope = _addresses(inbound.envelope_recipients)
    return envelope or list(parsed.recipients)


def get_router(name: str) -> Router:
    routers: dict[str, str] = getattr(settings, "ESOUTIEN_INBOUND_ROUTERS", {})
    path = routers.get(name) or routers.get("support")
    if not path:
        raise RouterUnavailable(f"no router configured for {name!r} in ESOUTIEN_INBOUND_ROUTERS")
    try:
        router: Router = import_string(path)
    except ImportError as exc:
        raise RouterUnavailable(f"router {name!r} ({path}) cannot be imported: {exc}") from exc
    return router


def mark_bounced(parsed: ParsedEmail, inbound: InboundEmail) -> int:
    """Mark the outbound mails a bounce reports on as bounced. Returns how many."""
    if not parsed.bounced_message_ids:
        return 0
    note = f"bounced (inbound e-mail #{inbound.pk}): {parsed.subject}"[:2000]
    return int(
        OutboundEmail.objects.filter(message_id__in=parsed.bounced_message_ids)
        .exclude(status=OutboundStatus.BOUNCED)
        .update(status=OutboundStatus.BOUNCED, last_error=note)
    )


def _relaxed_commit() -> None:
    """On PostgreSQL, do not wait for the WAL flush when committing the routing.

    The raw message was committed durably before (store first); if a crash loses this
    transaction, the row is still ``stored`` and the periodic sweep routes it again, and
    routing is idempotent. Waiting for the disk here would only halve the throughput.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _lock(inbound_id: int) -> InboundEmail | None:
    rows = InboundEmail.objects.select_for_update(skip_locked=True).filter(pk=inbound_id)
    return rows.first()


def _summary_fields(row: InboundEmail, parsed: ParsedEmail) -> None:
    row.sender = (parsed.sender or row.sender)[:320]
    row.subject = (parsed.subject or row.subject)[:300]
    row.parse_errors = list(parsed.errors)


def _route(row: InboundEmail, parsed: ParsedEmail) -> RouteResult:
    if len(row.raw) > settings.ESOUTIEN_INBOUND_MAX_BYTES:
        return RouteResult(status=InboundStatus.QUARANTINED, reason="too_large")
    if any(error.startswith("fatal:") for error in parsed.errors):
        return RouteResult(status=InboundStatus.QUARANTINED, reason="parse_error")
    if parsed.is_bounce:
        count = mark_bounced(parsed, row)
        log.info("inbound e-mail %s is a bounce (%d outbound marked)", row.pk, count)
        return RouteResult(status=InboundStatus.IGNORED, reason="bounce")
    if parsed.loop:
        return RouteResult(status=InboundStatus.IGNORED, reason="loop")
    router = get_router(router_name_for(_recipients(row, parsed)))
    result = router(row, parsed)
    if not isinstance(result, RouteResult) or result.status not in ROUTER_STATUSES:
        raise TypeError(f"the router answered {result!r}, not a RouteResult")
    return result


def process(inbound_id: int, *, allowed: Iterable[str] = DUE) -> str | None:
    """Parse and route one stored message. Returns its new status, or None when it was
    not processed (not found, being processed by another worker, or not in ``allowed``).

    Never raises for a problem with the message or the router: the row is marked failed.
    """
    allowed = tuple(allowed)
    try:
        with transaction.atomic():
            _relaxed_commit()
            row = _lock(inbound_id)
            if row is None or row.status not in allowed:
                return None
            row.attempts += 1
            parsed = parse_message(
                bytes(row.raw),
                envelope_sender=row.envelope_sender if row.transport in ("smtp", "lmtp") else None,
            )
            _summary_fields(row, parsed)
            result = _route(row, parsed)
            row.status = result.status
            row.reason = result.reason[:60]
            row.thread_key = result.thread_key[:64]
            row.processed_at = clock.now()
            row.last_error = ""
            row.save(
                update_fields=[
                    "status",
                    "reason",
                    "thread_key",
                    "processed_at",
                    "last_error",
                    "attempts",
                    "sender",
                    "subject",
                    "parse_errors",
                ]
            )
            return str(row.status)
    except Exception as exc:
        return _fail(inbound_id, exc, allowed)


def _fail(inbound_id: int, exc: Exception, allowed: tuple[str, ...]) -> str | None:
    level = logging.WARNING if isinstance(exc, RouterUnavailable) else logging.ERROR
    log.log(level, "processing inbound e-mail %s failed: %s", inbound_id, exc, exc_info=True)
    error = f"{type(exc).__name__}: {exc}"[:4000]
    try:
        with transaction.atomic():
            row = InboundEmail.objects.select_for_update().filter(pk=inbound_id).first()
            if row is None or row.status not in allowed:
                return None
            row.status = InboundStatus.FAILED
            row.reason = "router_unavailable" if isinstance(exc, RouterUnavailable) else "error"
            row.last_error = error
            row.attempts += 1
            row.processed_at = clock.now()
            row.save(update_fields=["status", "reason", "last_error", "attempts", "processed_at"])
    except Exception:  # the database itself is gone: the sweep will find the row stored
        log.exception("could not record the failure of inbound e-mail %s", inbound_id)
        return None
    return InboundStatus.FAILED


def due_ids(limit: int = 500) -> list[int]:
    """Messages the sweep should process: stored ones, and failed ones still retrying."""
    now = clock.now()
    stored = InboundEmail.objects.filter(status=InboundStatus.STORED)
    failed = InboundEmail.objects.filter(
        status=InboundStatus.FAILED,
        attempts__lt=MAX_ATTEMPTS,
        processed_at__lte=now - RETRY_AFTER,
    )
    ids = list(stored.order_by("id").values_list("pk", flat=True)[:limit])
    ids += list(failed.order_by("id").values_list("pk", flat=True)[: max(0, limit - len(ids))])
    return ids


def process_due(limit: int = 500) -> int:
    """The sweep: process what the queue did not. Returns how many were processed."""
    return sum(1 for pk in due_ids(limit) if process(pk) is not None)


def replay_queryset(
    *,
    ids: Iterable[int] = (),
    quarantined: bool = False,
    failed: bool = False,
    since: Any = None,
) -> Any:
    """The rows ``mail_replay`` was asked for (any status; ``process`` decides)."""
    rows = InboundEmail.objects.all()
    ids = list(ids)
    if ids:
        rows = rows.filter(pk__in=ids)
    statuses = []
    if quarantined:
        statuses.append(InboundStatus.QUARANTINED)
    if failed:
        statuses.append(InboundStatus.FAILED)
    if statuses:
        rows = rows.filter(status__in=statuses)
    if since is not None:
        rows = rows.filter(received_at__gte=since)
    return rows.order_by("received_at", "id")
