"""`esoutien fetchmail`: poll the IMAP mailbox configured by ESOUTIEN_IMAP_* once (or every
``--interval`` seconds) and store each new message; see esoutien.mail.inbound.imap."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from esoutien.mail.inbound.imap import FetchLocked, fetch


class Command(BaseCommand):
    help = "Fetch new messages from the IMAP mailbox (ESOUTIEN_IMAP_*) into the gateway."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="at most this many messages")
        parser.add_argument(
            "--interval",
            type=int,
            default=0,
            help="keep polling, every this many seconds (default: fetch once and exit)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.ESOUTIEN_IMAP_HOST:
            raise CommandError("ESOUTIEN_IMAP_HOST is not set: no mailbox to fetch from")
        while True:
            self._once(options["limit"])
            if not options["interval"]:
                return
            time.sleep(options["interval"])

    def _once(self, limit: int | None) -> None:
        try:
            result = fetch(limit=limit)
        except FetchLocked as exc:
            self.stdout.write(f"skipped: {exc}")
            return
        except Exception as exc:
            raise CommandError(f"fetch failed: {type(exc).__name__}: {exc}") from exc
        self.stdout.write(
            f"stored {result.stored}, duplicates {result.duplicates}, failed {result.failed}"
        )
        for error in result.errors:
            self.stderr.write(error)
        if result.failed:
            raise CommandError(f"{result.failed} message(s) could not be stored; left in place")
