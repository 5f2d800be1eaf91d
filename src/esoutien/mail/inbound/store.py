"""Store first: every received message is committed raw before anything reads it.

``store_raw`` is what every transport calls; when it returns, the message is in the
database (the SMTP listener answers ``250`` only then). A message seen before — same
Message-ID, or the same bytes when it has none — is recorded as a duplicate of the first
copy and changes nothing else, whatever transport brought it and however many workers
receive it at once (a partial unique index decides, not a read-then-write).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction

from esoutien.mail.inbound.headers import summary
from esoutien.mail.models import InboundEmail, InboundStatus

log = logging.getLogger(__name__)


def _original(message_id: str, digest: str) -> InboundEmail | None:
    rows = InboundEmail.objects.exclude(status=InboundStatus.DUPLICATE)
    if message_id:
        rows = rows.filter(message_id=message_id)
    else:
        rows = rows.filter(message_id="", sha256=digest)
    return rows.order_by("id").first()


def store_raw(
    raw: bytes,
    *,
    transport: str,
    envelope_sender: str = "",
    envelope_recipients: Iterable[str] = (),
) -> InboundEmail:
    """Commit ``raw`` as an InboundEmail and ask the worker to process it; return the row.

    Must not be called inside a transaction (the message has to be committed when this
    returns). Oversized messages are stored too, quarantined as ``too_large`` unparsed.
    """
    raw = bytes(raw)
    digest = hashlib.sha256(raw).hexdigest()
    message_id, sender, subject = summary(raw)
    too_large = len(raw) > settings.ESOUTIEN_INBOUND_MAX_BYTES
    fields = dict(
        raw=raw,
        sha256=digest,
        message_id=message_id,
        envelope_sender=(envelope_sender or "")[:320],
        envelope_recipients="\n".join(r.strip() for r in envelope_recipients if r and r.strip()),
        transport=transport[:20],
        sender=sender[:320],
        subject=subject[:300],
    )
    row: InboundEmail | None = None
    try:
        # The common case, one INSERT: a message seen before trips the partial unique index
        # (Message-ID, or sha256 without one), which is also what settles concurrent twins.
        with transaction.atomic(durable=True):
            row = InboundEmail.objects.create(
                **fields,
                status=InboundStatus.QUARANTINED if too_large else InboundStatus.STORED,
                reason="too_large" if too_large else "",
            )
            if row.status == InboundStatus.STORED:
                row_id = row.pk
                transaction.on_commit(lambda: _trigger(row_id))
    except IntegrityError:
        with transaction.atomic(durable=True):
            original = _original(message_id, digest)
            if original is None:
                raise
            row = InboundEmail.objects.create(
                **fields,
                status=InboundStatus.DUPLICATE,
                reason="duplicate",
                duplicate_of=original,
            )
    log.info(
        "inbound e-mail %s stored via %s (%s, %d bytes, %s)",
        row.pk,
        transport,
        row.status,
        len(raw),
        message_id or digest[:16],
    )
    return row


def _trigger(inbound_id: int) -> None:
    """Ask the worker to process now; if the queue is unreachable the sweep does it later."""
    try:
        from esoutien.mail.tasks import process_inbound_task

        process_inbound_task(inbound_id)
    except Exception:  # the queue is only a trigger: the message is safe in the database
        log.warning("could not enqueue inbound e-mail %s", inbound_id, exc_info=True)
