"""`esoutien maintenance list|create|update|cancel`: maintenance windows for runbooks.

Dates are Paris time ("2026-12-05 22:00"). Creating, changing and cancelling e-mail the
operators concerned exactly as the desk does (through the outbox: the worker sends them).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from esoutien.core import clock
from esoutien.core.errors import DomainError, InvalidInput
from esoutien.operations import formatting, maintenance
from esoutien.operations.models import LIVE_STATES, MaintenanceWindow


def _paris(text: str) -> Any:
    try:
        return formatting.parse_paris(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def _describe(fields: CommandParser, *, creating: bool) -> None:
    fields.add_argument("--start", required=creating, help='Paris time, "2026-12-05 22:00".')
    fields.add_argument("--end", required=creating, help='Paris time, "2026-12-06 00:30".')
    fields.add_argument("--title", required=creating, help="Title in French.")
    fields.add_argument("--title-en", help="Title in English.")
    fields.add_argument("--description", help="Description in French.")
    fields.add_argument("--description-en", help="Description in English.")
    portal = fields.add_mutually_exclusive_group()
    portal.add_argument(
        "--portal",
        action="store_true",
        default=None,
        help="e-soutien itself is unavailable (maintenance mode).",
    )
    if not creating:
        portal.add_argument(
            "--no-portal",
            dest="portal",
            action="store_false",
            help="e-soutien itself stays available.",
        )
    fields.add_argument(
        "--eservice",
        action="append",
        metavar="CODE",
        help="An affected e-service (repeat for several).",
    )
    fields.add_argument("--by", metavar="EMAIL", help="The supervisor acting (audit log).")


class Command(BaseCommand):
    help = "List, publish, change or cancel maintenance windows (e-mails the operators)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Windows not yet over (--all: every window).")
        listing.add_argument("--all", action="store_true")
        _describe(sub.add_parser("create", help="Publish a window (NOUVEAU)."), creating=True)
        update = sub.add_parser(
            "update", help="Change a window: new dates reschedule (REPLANIFICATION), else MAJ."
        )
        update.add_argument("window_id", type=int)
        _describe(update, creating=False)
        cancel = sub.add_parser("cancel", help="Cancel a window (ANNULE).")
        cancel.add_argument("window_id", type=int)
        cancel.add_argument("--by", metavar="EMAIL")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self._actor(options.get("by"))
        try:
            if options["action"] == "list":
                self._list(options["all"])
            elif options["action"] == "create":
                window = maintenance.publish(actor, self._data(options))
                self._done("published", window)
            elif options["action"] == "update":
                changes = self._changes(options)
                if not changes:
                    raise CommandError("Nothing to change: give at least one option.")
                window = maintenance.change(actor, options["window_id"], **changes)
                self._done("changed", window)
            else:
                window = maintenance.cancel(actor, options["window_id"])
                self._done("cancelled", window)
        except InvalidInput as exc:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
            raise CommandError(details or str(exc)) from exc
        except DomainError as exc:
            raise CommandError(str(exc) or "Not found.") from exc

    def _actor(self, email: str | None) -> Any:
        if not email:
            return None  # the system: runbooks run by the provider's operations team
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user with the e-mail address {email}.")
        return user

    def _data(self, options: dict[str, Any]) -> maintenance.WindowData:
        return maintenance.WindowData(
            title_fr=options["title"],
            title_en=options.get("title_en") or "",
            description_fr=options.get("description") or "",
            description_en=options.get("description_en") or "",
            starts_at=_paris(options["start"]),
            ends_at=_paris(options["end"]),
            affects_portal=bool(options.get("portal")),
            eservices=options.get("eservice") or [],
        )

    def _changes(self, options: dict[str, Any]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if options.get("start"):
            changes["starts_at"] = _paris(options["start"])
        if options.get("end"):
            changes["ends_at"] = _paris(options["end"])
        names = {
            "title": "title_fr",
            "title_en": "title_en",
            "description": "description_fr",
            "description_en": "description_en",
        }
        for option, name in names.items():
            if options.get(option) is not None:
                changes[name] = options[option]
        if options.get("portal") is not None:
            changes["affects_portal"] = options["portal"]
        if options.get("eservice"):
            changes["eservices"] = options["eservice"]
        return changes

    def _list(self, everything: bool) -> None:
        qs = MaintenanceWindow.objects.prefetch_related("eservices").order_by("starts_at", "id")
        if not everything:
            qs = qs.filter(state__in=LIVE_STATES, ends_at__gt=clock.now())
        for w in qs:
            self.stdout.write(self._line(w))

    def _line(self, w: MaintenanceWindow) -> str:
        start = formatting.paris(w.starts_at).strftime("%Y-%m-%d %H:%M")
        end = formatting.paris(w.ends_at).strftime("%Y-%m-%d %H:%M")
        affected = ",".join(["portal"] * w.affects_portal + [e.code for e in w.eservices.all()])
        duration = formatting.format_duration(w.ends_at - w.starts_at)
        return f"{w.pk}\t{w.state}\t{start} → {end} ({duration})\t{affected}\t{w.title_fr}"

    def _done(self, what: str, window: MaintenanceWindow) -> None:
        window = MaintenanceWindow.objects.prefetch_related("eservices").get(pk=window.pk)
        last = window.announcements.order_by("-id").first()
        mails = last.recipient_count if last else 0
        self.stdout.write(self._line(window))
        self.stderr.write(f"Window {window.pk} {what}; {mails} e-mails queued.")
