"""`esoutien mail_replay` (also `esoutien mail-replay`): run stored messages through the
pipeline again — after a router fix, a new contact address, a failed run.

    esoutien mail_replay 12 15            # these messages
    esoutien mail_replay --quarantined    # every quarantined message
    esoutien mail_replay --failed
    esoutien mail_replay --since 2026-03-01

Idempotent: stored, failed and quarantined messages are processed again; routed and
duplicate ones never are (a routed message is on its ticket once); ``--force`` adds ignored
and discarded ones.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from esoutien.mail.inbound import dispatch


class Progress:
    """A one-line progress bar on a terminal, a line every 10 % elsewhere (to stderr)."""

    def __init__(self, total: int, stream: Any) -> None:
        self.total = total
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last_decile = -1

    def update(self, done: int, label: str = "") -> None:
        if not self.total:
            return
        fraction = done / self.total
        if self.tty:
            filled = int(30 * fraction)
            bar = "█" * filled + "·" * (30 - filled)
            end = "\n" if done == self.total else ""
            self.stream.write(f"\r[{bar}] {done}/{self.total} {label[:30]:<30}", ending=end)
            self.stream.flush()
            return
        decile = int(fraction * 10)
        if decile != self.last_decile:
            self.last_decile = decile
            self.stream.write(f"{done}/{self.total} ({int(fraction * 100)} %)")


class Command(BaseCommand):
    help = "Run stored inbound e-mails through parse and route again (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="inbound e-mail ids")
        parser.add_argument("--quarantined", action="store_true", help="every quarantined one")
        parser.add_argument("--failed", action="store_true", help="every failed one")
        parser.add_argument("--since", default=None, help="received on or after YYYY-MM-DD")
        parser.add_argument(
            "--force", action="store_true", help="also ignored and discarded messages"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options["since"]:
            try:
                day = datetime.strptime(options["since"], "%Y-%m-%d").date()
            except ValueError as exc:
                raise CommandError("--since takes a date as YYYY-MM-DD") from exc
            since = timezone.make_aware(datetime.combine(day, time.min))
        if not (options["ids"] or options["quarantined"] or options["failed"] or since):
            raise CommandError("say which messages: ids, --quarantined, --failed or --since")
        rows = dispatch.replay_queryset(
            ids=options["ids"],
            quarantined=options["quarantined"],
            failed=options["failed"],
            since=since,
        )
        ids = list(rows.values_list("pk", flat=True))
        allowed = dispatch.FORCEABLE if options["force"] else dispatch.REPLAYABLE
        outcomes: dict[str, int] = {}
        progress = Progress(len(ids), self.stderr)
        for done, pk in enumerate(ids, start=1):
            status = dispatch.process(pk, allowed=allowed) or "skipped"
            outcomes[status] = outcomes.get(status, 0) + 1
            if options["verbosity"]:
                progress.update(done, f"#{pk} {status}")
        summary = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) or "nothing to do"
        self.stdout.write(f"{len(ids)} message(s): {summary}")
