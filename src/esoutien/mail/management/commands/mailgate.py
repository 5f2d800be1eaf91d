"""`esoutien mailgate`: store one message read on standard input (an MTA pipe).

Exit codes follow sysexits.h, which MTAs understand: 0 stored (or a duplicate, recorded),
65 EX_DATAERR for an empty or over-sized message (the MTA bounces it to the sender), 75
EX_TEMPFAIL when it could not be stored (the MTA keeps it and retries). Postfix example
(master.cf)::

    esoutien unix - n n - - pipe flags=q user=esoutien
      argv=/opt/esoutien/.venv/bin/esoutien mailgate --sender ${sender} --recipient ${recipient}
"""

from __future__ import annotations

import sys
from typing import Any, BinaryIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from esoutien.mail.inbound.smtp import max_smtp_bytes
from esoutien.mail.inbound.store import store_raw

EX_OK = 0
EX_DATAERR = 65
EX_TEMPFAIL = 75


def read_message(stream: BinaryIO, limit: int) -> bytes:
    """At most ``limit + 1`` bytes, so an over-sized message is noticed without reading it all."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(1024 * 1024, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class Command(BaseCommand):
    help = "Store one e-mail read on standard input (for an MTA pipe transport)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sender", default=None, help="envelope sender (MAIL FROM)")
        parser.add_argument(
            "--recipient", action="append", default=[], help="envelope recipient (repeatable)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stream = cast(BinaryIO, getattr(sys.stdin, "buffer", sys.stdin))
        limit = max_smtp_bytes()
        try:
            raw = read_message(stream, limit)
        except Exception as exc:
            raise CommandError(
                f"could not read the message: {exc}", returncode=EX_TEMPFAIL
            ) from exc
        if not raw.strip():
            raise CommandError("empty message on standard input", returncode=EX_DATAERR)
        if len(raw) > limit:
            raise CommandError(f"message larger than {limit} bytes", returncode=EX_DATAERR)
        try:
            row = store_raw(
                raw,
                transport="pipe",
                envelope_sender=options["sender"] or "",
                envelope_recipients=options["recipient"],
            )
        except Exception as exc:
            raise CommandError(
                f"could not store the message: {type(exc).__name__}: {exc}",
                returncode=EX_TEMPFAIL,
            ) from exc
        if options["verbosity"] > 1:
            self.stdout.write(f"stored inbound e-mail {row.pk} ({row.status})")
