"""`esoutien sla_recompute`: apply the current SLA policies to tickets already filed.

    esoutien sla_recompute --dry-run               # what would change, nothing saved
    esoutien sla_recompute --since 2026-01-01      # tickets filed on or after that day
    esoutien sla_recompute --ticket ES-2026-000042

Editing a policy or a calendar never changes a filed ticket's targets (docs/sla.md, "Ticket
clocks"); this command does, on demand: each ticket gets the targets of the policy now
matching its e-service, severity and kind (or no SLA), and its deadlines, achieved times and
breach flags are recomputed from its status history. Idempotent.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from esoutien.core import clock
from esoutien.mail.management.commands.mail_replay import Progress
from esoutien.tickets import sla
from esoutien.tickets.models import Ticket


class Command(BaseCommand):
    help = "Recompute SLA targets and deadlines of filed tickets from the current policies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", default=None, help="tickets filed on or after YYYY-MM-DD")
        parser.add_argument("--ticket", default=None, help="one ticket, by reference")
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change, save nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tickets = Ticket.objects.all()
        if options["since"]:
            try:
                day = datetime.strptime(options["since"], "%Y-%m-%d").date()
            except ValueError as exc:
                raise CommandError("--since takes a date as YYYY-MM-DD") from exc
            tickets = tickets.filter(
                created_at__gte=timezone.make_aware(datetime.combine(day, time.min))
            )
        if options["ticket"]:
            reference = options["ticket"].strip().upper()
            tickets = tickets.filter(reference=reference)
            if not tickets.exists():
                raise CommandError(f"no ticket {reference}")
        ids = list(tickets.order_by("pk").values_list("pk", flat=True))
        dry_run = options["dry_run"]
        now = clock.now()
        progress = Progress(len(ids), self.stderr)
        fields: Counter[str] = Counter()
        changed = 0
        for done, pk in enumerate(ids, start=1):
            names = sla.recompute(pk, now, dry_run=dry_run)
            if names:
                changed += 1
                fields.update(names)
            if options["verbosity"]:
                progress.update(done)
        detail = ", ".join(f"{name} {n}" for name, n in sorted(fields.items()))
        verb = "would change" if dry_run else "changed"
        self.stdout.write(
            f"{len(ids)} ticket(s) examined, {changed} {verb}"
            + (f" ({detail})" if detail else "")
            + (" — dry run: nothing saved" if dry_run else "")
        )
