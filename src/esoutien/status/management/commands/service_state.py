"""`esoutien service-state show | set operational|degraded|down --message …` (runbooks).

Recorded in the audit log like the desk's and the API's declarations (actor: the command
line).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from esoutien.core import clock
from esoutien.core.errors import DomainError
from esoutien.status import snapshot, state
from esoutien.status.models import ServiceState


class Command(BaseCommand):
    help = "Show or declare the state of e-soutien."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("show", help="the state now and why")
        setter = sub.add_parser("set", help="declare the state")
        setter.add_argument("state", choices=ServiceState.values)
        setter.add_argument("--message", default="", help="for the operators (French)")
        setter.add_argument("--message-en", default="", help="the same in English")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "set":
            try:
                state.set_service_state(
                    None, options["state"], options["message"], options["message_en"]
                )
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
            snapshot.save(snapshot.build(clock.now()))
        current, reasons = state.state_at(clock.now())
        self.stdout.write(current)
        for reason in reasons:
            since = (
                f" since {timezone.localtime(reason.since):%Y-%m-%d %H:%M %Z}"
                if reason.since
                else ""
            )
            self.stdout.write(f"  {reason.kind}{since}: {reason.message_fr}")
