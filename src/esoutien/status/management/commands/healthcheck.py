"""`esoutien healthcheck`: database, queue, outbound SMTP relay, inbound listener.

Prints one line per check and exits 1 when one fails (for runbooks, cron, container probes).
``--record`` also keeps the result, as the worker does every minute.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from esoutien.core import clock
from esoutien.status import health


class Command(BaseCommand):
    help = "Check the database, the queue, the SMTP relay and the inbound listener."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--record", action="store_true", help="keep the result (as the worker does)"
        )
        parser.add_argument(
            "--only", action="append", choices=sorted(health.CHECKS), help="run only these"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        results = health.run_checks(options["only"])
        for result in results:
            line = f"{result.name:<9} {'ok' if result.ok else 'FAILED'}  {result.detail}"
            (self.stdout if result.ok else self.stderr).write(line)
        if options["record"]:
            health.record(results, clock.now())
        if not all(r.ok for r in results):
            raise SystemExit(1)
