"""The periodic SLA scan: warn at 75 % of a target, warn again when it is breached.

Each (ticket, target, threshold) is announced once: the ``SlaAlert`` row (unique) is written
in the same transaction as the internal timeline note, the ``*_breached`` flag and the
outbox e-mails, so running the scan twice, or two scans at once, sends nothing twice.
Recipients: the assignee, or the e-service's team members when nobody is assigned, and the
supervisors.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from esoutien.accounts.models import PROVIDER_ROLES, Role
from esoutien.catalogue.business_hours import business_time_between
from esoutien.catalogue.sla import targets_for_policy
from esoutien.mail.outbound import queue_email
from esoutien.tickets import sla
from esoutien.tickets.models import (
    EventKind,
    SlaAlert,
    SlaTarget,
    SlaThreshold,
    Ticket,
    TicketEvent,
)
from esoutien.tickets.states import OPEN_STATUSES, Status

log = logging.getLogger(__name__)

BATCH = 2000  # per target and threshold and run; a backlog drains over the next runs


@dataclass(frozen=True)
class _Target:
    name: str
    due_field: str
    target_field: str
    flag_field: str

    def running(self) -> QuerySet[Ticket]:
        """Tickets whose clock for this target is running now (not paused, not met)."""
        qs = Ticket.objects.filter(**{f"{self.due_field}__isnull": False})
        if self.name == SlaTarget.TAKE_CHARGE:
            return qs.filter(status=Status.ACKNOWLEDGED)
        return qs.filter(status__in=OPEN_STATUSES, sla_paused_since__isnull=True)


TARGETS = (
    _Target(
        SlaTarget.TAKE_CHARGE,
        "sla_take_charge_due",
        "sla_take_charge_target",
        "sla_take_charge_breached",
    ),
    _Target(
        SlaTarget.RESOLUTION,
        "sla_resolution_due",
        "sla_resolution_target",
        "sla_resolution_breached",
    ),
)


def _without_alert(qs: QuerySet[Ticket], target: str, threshold: str) -> QuerySet[Ticket]:
    done = SlaAlert.objects.filter(ticket=OuterRef("pk"), target=target, threshold=threshold)
    return qs.filter(~Exists(done))


def _warning_reached(ticket: Ticket, target: _Target, now: datetime) -> bool:
    """75 % of the target elapsed: the running clock has at most 25 % of it left."""
    total: timedelta | None = getattr(ticket, target.target_field)
    due: datetime | None = getattr(ticket, target.due_field)
    if total is None or due is None or total <= sla.ZERO:
        return False
    # Business time never runs faster than the wall clock: too early, no calendar needed.
    if now - ticket.created_at < total * sla.WARNING_FRACTION:
        return False
    targets = targets_for_policy(ticket.sla_policy_id) if ticket.sla_policy_id else None
    if targets is None:
        return False
    left = business_time_between(now, due, targets.calendar)
    return left <= total * (1 - sla.WARNING_FRACTION)


def scan(now: datetime) -> int:
    """Send the warnings and breach notices due as of ``now``; returns how many were sent."""
    sent = 0
    for target in TARGETS:
        running = target.running()
        breached = _without_alert(
            running.filter(**{f"{target.due_field}__lt": now}), target.name, SlaThreshold.BREACH
        )
        for pk in breached.order_by(target.due_field).values_list("pk", flat=True)[:BATCH]:
            sent += _alert(pk, target, SlaThreshold.BREACH, now)
        near = _without_alert(
            running.filter(**{f"{target.due_field}__gte": now}), target.name, SlaThreshold.WARNING
        )
        for ticket in near.order_by(target.due_field).only(
            "pk", "created_at", "sla_policy", target.due_field, target.target_field
        )[:BATCH]:
            if _warning_reached(ticket, target, now):
                sent += _alert(ticket.pk, target, SlaThreshold.WARNING, now)
    return sent


def _alert(ticket_id: int, target: _Target, threshold: str, now: datetime) -> int:
    """Record and announce one threshold of one ticket, once (1 if done now, else 0)."""
    with transaction.atomic():
        ticket = (
            # of=self: PostgreSQL cannot lock the nullable side (assignee) of an outer join.
            Ticket.objects.select_for_update(of=("self",))
            .select_related("eservice", "operator", "assignee")
            .get(pk=ticket_id)
        )
        # Re-checked under the lock: the ticket may have moved (taken, paused, resumed with a
        # later deadline) since the query above.
        still = target.running().filter(pk=ticket_id)
        if threshold == SlaThreshold.BREACH:
            still = still.filter(**{f"{target.due_field}__lt": now})
        if not still.exists():
            return 0
        try:
            with transaction.atomic():
                SlaAlert.objects.create(
                    ticket=ticket, target=target.name, threshold=threshold, created_at=now
                )
        except IntegrityError:
            return 0  # announced by a concurrent scan
        due: datetime = getattr(ticket, target.due_field)
        if threshold == SlaThreshold.BREACH and not getattr(ticket, target.flag_field):
            setattr(ticket, target.flag_field, True)
            ticket.save(update_fields=[target.flag_field])
        with translation.override(settings.LANGUAGE_CODE):
            body = _note(target.name, threshold)
        TicketEvent.objects.create(
            ticket=ticket,
            created_at=now,
            actor_label="e-soutien",
            kind=EventKind.NOTE,
            public=False,
            body=body,
            data={"sla": {"target": target.name, "threshold": threshold, "due": due.isoformat()}},
        )
        _mail(ticket, target.name, threshold, due)
    return 1


def _note(target: str, threshold: str) -> str:
    if threshold == SlaThreshold.BREACH:
        if target == SlaTarget.TAKE_CHARGE:
            return _("SLA: the take-charge deadline has passed.")
        return _("SLA: the resolution deadline has passed.")
    if target == SlaTarget.TAKE_CHARGE:
        return _("SLA: 75 % of the take-charge time has elapsed.")
    return _("SLA: 75 % of the resolution time has elapsed.")


def recipients(ticket: Ticket) -> list[Any]:
    """The assignee (else the e-service's team members) and the supervisors, active only."""
    users = get_user_model().objects.filter(is_active=True, role__in=list(PROVIDER_ROLES))
    if ticket.assignee_id is not None:
        people = list(users.filter(pk=ticket.assignee_id))
    else:
        people = list(users.filter(teams__eservices=ticket.eservice_id).distinct())
    known = {user.pk for user in people}
    people += [u for u in users.filter(role=Role.SUPERVISOR) if u.pk not in known]
    return people


def _mail(ticket: Ticket, target: str, threshold: str, due: datetime) -> None:
    by_language: dict[str, list[str]] = defaultdict(list)
    for user in recipients(ticket):
        by_language[getattr(user, "language", "") or "fr"].append(user.email)
    if not by_language:
        log.warning("SLA %s %s of %s: nobody to notify", target, threshold, ticket.reference)
    for language, addresses in sorted(by_language.items()):
        queue_email(
            kind=f"sla_{threshold}",
            to=addresses,
            template="tickets/sla_warning",
            context={
                "ticket": ticket,
                "target": target,
                "breach": threshold == SlaThreshold.BREACH,
                "due": due,
            },
            language=language,
            with_reply_address=False,
            dedupe_key=f"sla-{ticket.pk}-{target}-{threshold}-{language}",
        )
