"""`esoutien demo`: seed realistic demo data (catalogue, operators, users, tickets), idempotently.

Tickets are made through the services and the workflow, so their timelines are real; each step
is then backdated with ``QuerySet.update()`` to spread the tickets over the last weeks. The
e-mails the demo writes to the outbox are suppressed: nobody is sent anything.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Max, Model

from esoutien.accounts.models import Operator, Role, User
from esoutien.catalogue.models import (
    EService,
    OpeningInterval,
    SlaPolicy,
    Subscription,
    SupportCalendar,
    Team,
)
from esoutien.core import clock
from esoutien.mail.models import OutboundEmail
from esoutien.mail.outbound import suppress
from esoutien.operations.demo_data import (
    CALENDARS,
    ESERVICES,
    OPERATORS,
    PARIS,
    PHONES,
    SCENARIOS,
    SLA_POLICIES,
    SUBSCRIPTION_START,
    SUPPORT_CALENDARS,
    TEAM,
    USERS,
    Scenario,
    Step,
)
from esoutien.tickets import services, workflow
from esoutien.tickets.models import (
    Attachment,
    EventKind,
    ResolutionReport,
    Ticket,
    TicketEvent,
)
from esoutien.tickets.states import FINAL_STATUSES, Status


class _Seeder:
    """Plays the scenarios through the services and backdates what each step wrote."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users
        self.operators = {o.code: o for o in Operator.objects.filter(code__in=["ALFA", "BRAV"])}
        self.eservices = {e.code: e for e in EService.objects.all()}

    def seed(self, scenario: Scenario, times: list[datetime]) -> Ticket:
        """File the ticket at ``times[0]`` and play step *n* at ``times[n]``."""
        filer = self.users[scenario.filer]
        draft = services.TicketDraft(
            eservice=self.eservices[scenario.eservice],
            kind=scenario.kind,
            severity=scenario.severity,
            subject=scenario.subject,
            description=scenario.description,
            contact_email=filer.email,
            contact_name=filer.full_name,
            contact_phone=PHONES.get(scenario.filer, ""),
            operator_reference=scenario.ref,
            line_reference=scenario.line,
            site_address=scenario.site,
            files=[SimpleUploadedFile(n, c.encode()) for n, c in scenario.files],
        )
        marks = _marks()
        ticket = services.ticket_create(filer, self.operators[scenario.operator], draft)
        self._backdate(ticket, marks, times[0])
        Ticket.objects.filter(pk=ticket.pk).update(created_at=times[0])
        ticket.created_at = times[0]
        for step, when in zip(scenario.steps, times[1:], strict=True):
            marks = _marks()
            self._play(ticket, step, when)
            self._backdate(ticket, marks, when)
        self._fix_dates(ticket)
        return ticket

    @staticmethod
    def schedule(index: int, scenario: Scenario, now: datetime) -> list[datetime]:
        """Filing time (a working hour, ``age_days`` ago) then one time per step."""
        start = (now - timedelta(days=scenario.age_days)).astimezone(PARIS)
        start = start.replace(
            hour=8 + (index * 5) % 9, minute=(index * 17) % 60, second=0, microsecond=0
        )
        latest = now - timedelta(minutes=10)
        if start > latest:
            start -= timedelta(days=1)
        total = sum(s.after for s in scenario.steps)
        room = (latest - start).total_seconds() / 3600
        scale = min(1.0, room / total) if total else 1.0
        times = [start]
        for step in scenario.steps:
            times.append(times[-1] + timedelta(hours=step.after * scale))
        return times

    def _play(self, ticket: Ticket, step: Step, when: datetime) -> None:
        who = self.users[step.who]
        match step.action:
            case "take":
                workflow.take_charge(ticket, who)
            case "assign":
                services.assign(who, ticket, self.users[step.text])
            case "note":
                services.comment_add(who, ticket, step.text, internal=True)
            case "reply" | "comment" | "answer":
                services.comment_add(who, ticket, step.text)
            case "inquiry":
                services.status_inquiry(who, ticket, step.text)
            case "ask":
                workflow.request_info(ticket, who, step.text)
            case "hold":
                workflow.hold(ticket, who, step.text)
            case "resolve":
                workflow.resolve(
                    ticket,
                    who,
                    cause=step.cause,
                    actions_taken=step.actions,
                    summary=step.text,
                    restored_at=max(when - timedelta(minutes=40), ticket.created_at),
                )
            case "accept":
                workflow.accept_resolution(ticket, who)
            case "contest":
                workflow.contest_resolution(ticket, who, step.text)
            case "reopen":
                workflow.reopen(ticket, who, step.text)
            case "close":
                workflow.close(ticket, who)
            case "reject":
                workflow.reject(ticket, who, step.text)
            case "cancel":
                workflow.cancel(ticket, who, step.text)
            case _:
                raise ValueError(f"unknown demo step {step.action!r}")

    @staticmethod
    def _backdate(ticket: Ticket, marks: dict[type[Model], int], when: datetime) -> None:
        """Move the rows written since ``marks`` for this ticket to ``when``."""
        TicketEvent.objects.filter(ticket=ticket, pk__gt=marks[TicketEvent]).update(created_at=when)
        Attachment.objects.filter(ticket=ticket, pk__gt=marks[Attachment]).update(created_at=when)
        ResolutionReport.objects.filter(ticket=ticket, pk__gt=marks[ResolutionReport]).update(
            created_at=when
        )
        OutboundEmail.objects.filter(
            thread_key=ticket.reference, pk__gt=marks[OutboundEmail]
        ).update(created_at=when, next_attempt_at=when)

    @staticmethod
    def _fix_dates(ticket: Ticket) -> None:
        """Derive the ticket's own timestamps from its (backdated) timeline."""
        events = list(ticket.events.order_by("created_at", "id"))
        changes: list[TicketEvent] = [e for e in events if e.kind == EventKind.STATUS]
        fields: dict[str, Any] = {"updated_at": events[-1].created_at}
        taken = [e for e in changes if e.to_status == Status.IN_PROGRESS]
        resolved = [e for e in changes if e.to_status == Status.RESOLVED]
        ended = [e for e in changes if e.to_status in FINAL_STATUSES]
        fields["taken_at"] = taken[0].created_at if taken else None
        fields["resolved_at"] = resolved[-1].created_at if resolved else None
        fields["closed_at"] = ended[-1].created_at if ended else None
        Ticket.objects.filter(pk=ticket.pk).update(**fields)


@contextmanager
def _quiet_loggers(*names: str) -> Iterator[None]:
    """Silence the PDF renderer's chatter (one line per glyph table) while the demo resolves."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.ERROR))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _marks() -> dict[type[Model], int]:
    return {
        model: model.objects.aggregate(m=Max("pk"))["m"] or 0
        for model in (TicketEvent, Attachment, ResolutionReport, OutboundEmail)
    }


class Command(BaseCommand):
    help = "Seed demo data (e-services, operators ALFA and BRAV, users, tickets); idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing unless the database has no users at all.",
        )
        parser.add_argument(
            "--no-tickets",
            action="store_true",
            help="Seed the catalogue, operators and users only.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = int(options["verbosity"])
        if options["if_empty"] and User.objects.exists():
            self._say("The database already has users: no demo data added.")
            return
        started = time.monotonic()
        with transaction.atomic():
            created = self._seed_catalogue()
            users, new_users = self._seed_users()
        made = 0
        if options["no_tickets"]:
            pass
        elif Ticket.objects.filter(operator__code__in=[c for c, *_ in OPERATORS]).exists():
            self._say("Demo tickets already exist: none added.")
        else:
            made = self._seed_tickets(users)
        self._summary(created, new_users, made, time.monotonic() - started)

    def _say(self, text: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(text)

    def _seed_catalogue(self) -> int:
        created = 0
        eservices: dict[str, EService] = {}
        for code, name, description in ESERVICES:
            eservices[code], new = EService.objects.get_or_create(
                code=code, defaults={"name": name, "description": description}
            )
            created += new
        for code, name, siren, emails, subscribed in OPERATORS:
            operator, new = Operator.objects.get_or_create(
                code=code, defaults={"name": name, "siren": siren, "notification_emails": emails}
            )
            created += new
            for eservice_code in subscribed:
                _, new = Subscription.objects.get_or_create(
                    operator=operator,
                    eservice=eservices[eservice_code],
                    start_date=SUBSCRIPTION_START,
                    defaults={"end_date": None},
                )
                created += new
        team, new = Team.objects.get_or_create(name=TEAM)
        created += new
        team.eservices.add(*eservices.values())
        return created + self._seed_support_hours(eservices)

    def _seed_support_hours(self, eservices: dict[str, EService]) -> int:
        """The three calendars and their SLA policies; an admin's later edits are kept."""
        created = 0
        calendars: dict[str, SupportCalendar] = {}
        for name, (weekdays, opens, closes, holidays_closed) in CALENDARS.items():
            calendars[name], new = SupportCalendar.objects.get_or_create(
                name=name, defaults={"closed_on_public_holidays": holidays_closed}
            )
            if new:
                OpeningInterval.objects.bulk_create(
                    OpeningInterval(calendar=calendars[name], weekday=day, start=opens, end=closes)
                    for day in weekdays
                )
            created += new
        for code, name in SUPPORT_CALENDARS.items():
            eservice = eservices[code]
            if eservice.support_calendar_id is None:
                eservice.support_calendar = calendars[name]
                eservice.save(update_fields=["support_calendar"])
        for code, severity, take_charge, resolution in SLA_POLICIES:
            _, new = SlaPolicy.objects.get_or_create(
                eservice=eservices[code],
                severity=severity,
                kind="",
                defaults={
                    "calendar": calendars[SUPPORT_CALENDARS[code]],
                    "take_charge_target": take_charge,
                    "resolution_target": resolution,
                    "pause_statuses": ["pending"],
                },
            )
            created += new
        return created

    def _seed_users(self) -> tuple[dict[str, User], int]:
        operators = {o.code: o for o in Operator.objects.filter(code__in=["ALFA", "BRAV"])}
        users: dict[str, User] = {}
        new = 0
        for key, email, full_name, role, operator_code in USERS:
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                extra = {"is_superuser": True} if role == Role.ADMINISTRATOR else {}
                user = User.objects.create_user(
                    email,
                    settings.ESOUTIEN_DEMO_PASSWORD,
                    role=role,
                    operator=operators[operator_code] if operator_code else None,
                    full_name=full_name,
                    **extra,
                )
                new += 1
            if (
                user.is_provider_staff
                and not Authenticator.objects.filter(
                    user=user, type=Authenticator.Type.TOTP
                ).exists()
            ):
                # Staff must use TOTP; the demo enrols them with a published secret so a
                # tester can add it to any authenticator app (never do this for real users).
                TOTP.activate(user, settings.ESOUTIEN_DEMO_TOTP_SECRET)
            users[key] = user
        Team.objects.get(name=TEAM).members.add(users["agent"])
        return users, new

    def _seed_tickets(self, users: dict[str, User]) -> int:
        now = clock.now()
        with transaction.atomic():
            before = OutboundEmail.objects.aggregate(m=Max("pk"))["m"] or 0
            seeder = _Seeder(users)
            plans = [(seeder.schedule(i, s, now), s) for i, s in enumerate(SCENARIOS)]
            # Oldest first, so that references follow the filing dates.
            plans.sort(key=lambda plan: plan[0][0])
            with _quiet_loggers("weasyprint", "fontTools"):
                references = [seeder.seed(s, times).reference for times, s in plans]
            # Inside the transaction: the delivery triggers fire after commit and find
            # nothing left to send.
            suppress(
                OutboundEmail.objects.filter(pk__gt=before, thread_key__in=references),
                "demo data",
            )
        return len(references)

    def _summary(self, created: int, new_users: int, tickets: int, seconds: float) -> None:
        self._say(
            f"Demo data: {created} catalogue/operator rows, {new_users} users and {tickets} "
            f"tickets created ({seconds:.1f} s)."
        )
        self._say(f"Logins (password: {settings.ESOUTIEN_DEMO_PASSWORD}):")
        self._say(
            f"  provider staff also need a TOTP code: secret {settings.ESOUTIEN_DEMO_TOTP_SECRET}"
        )
        for _key, email, _name, role, operator_code in USERS:
            where = f", {operator_code}" if operator_code else ""
            self._say(f"  {email:<30} {Role(role).label}{where}")
