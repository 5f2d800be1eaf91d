"""Writes of maintenance windows: publish, reschedule or update, cancel, remind, finish.

Each function locks what it changes, saves it, records it in the audit log and writes the
announcement e-mails to the outbox, in one transaction (operations/announcements.py). The
desk, the API and the command line all call these; they never save a window themselves.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from esoutien.accounts import access
from esoutien.audit.recorder import record
from esoutien.catalogue.models import EService
from esoutien.core import clock
from esoutien.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from esoutien.operations import announcements, windows
from esoutien.operations.models import (
    LIVE_STATES,
    AnnouncementKind,
    MaintenanceSubscription,
    MaintenanceWindow,
    WindowState,
)

MAX_DURATION = timedelta(days=31)


class WindowClosed(DomainError):
    """The window is finished or cancelled: it can no longer change."""

    code = "window_closed"


@dataclass
class WindowData:
    """What a person gives to describe a window (dates are aware datetimes)."""

    title_fr: str
    starts_at: datetime
    ends_at: datetime
    title_en: str = ""
    description_fr: str = ""
    description_en: str = ""
    affects_portal: bool = False
    eservices: list[str] = field(default_factory=list)  # e-service codes


FIELDS = ("title_fr", "title_en", "description_fr", "description_en", "affects_portal")


def _check_actor(actor: Any) -> None:
    """``actor`` None is the system (command line, periodic tasks)."""
    if actor is not None and not access.may_manage_maintenance(actor):
        raise Forbidden(_("Only supervisors manage maintenance windows."))


def _eservices(codes: list[str]) -> list[EService]:
    wanted = sorted({c.strip() for c in codes if c and c.strip()})
    found = list(EService.objects.filter(code__in=wanted))
    missing = sorted(set(wanted) - {e.code for e in found})
    if missing:
        message = _("Unknown e-service: %(codes)s.") % {"codes": ", ".join(missing)}
        raise InvalidInput(message, errors={"eservices": [message]})
    return found


def _validate(data: WindowData, now: datetime) -> list[EService]:
    errors: dict[str, list[str]] = {}
    data.title_fr = (data.title_fr or "").strip()
    data.title_en = (data.title_en or "").strip()
    if not data.title_fr:
        errors["title_fr"] = [_("Give the title in French.")]
    for name in ("title_fr", "title_en"):
        if len(getattr(data, name)) > 200:
            errors[name] = [_("At most 200 characters.")]
    if data.starts_at is None or data.ends_at is None:
        errors["starts_at"] = [_("Give the start and the end.")]
    elif data.ends_at <= data.starts_at:
        errors["ends_at"] = [_("The end must come after the start.")]
    elif data.ends_at <= now:
        errors["ends_at"] = [_("This window is already over.")]
    elif data.ends_at - data.starts_at > MAX_DURATION:
        errors["ends_at"] = [_("A maintenance window lasts at most 31 days.")]
    if not data.affects_portal and not [c for c in data.eservices if c and c.strip()]:
        errors["eservices"] = [_("Say what is affected: e-soutien itself or some e-services.")]
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first, errors=errors)
    return _eservices(data.eservices)


def _reminder_due_by(window: MaintenanceWindow, now: datetime) -> bool:
    """True when the window starts within the reminder delay: the announcement being sent
    now stands for the reminder (no second mail minutes later)."""
    hours = settings.ESOUTIEN_MAINTENANCE_REMINDER_HOURS
    return window.starts_at - timedelta(hours=hours) <= now


def _after_commit() -> None:
    transaction.on_commit(windows.invalidate)


def _audit(action: str, window: MaintenanceWindow, actor: Any, request: Any, **data: Any) -> None:
    record(
        action,
        request=request,
        actor=actor,
        target=f"maintenance {window.pk}",
        data={"title": window.title_fr, "state": window.state, "sequence": window.sequence, **data},
    )


def publish(actor: Any, data: WindowData, *, request: Any = None) -> MaintenanceWindow:
    """Create a window (NOUVEAU) and announce it."""
    _check_actor(actor)
    now = clock.now()
    eservices = _validate(data, now)
    domain = settings.ESOUTIEN_SUPPORT_ADDRESS.rpartition("@")[2] or "e-soutien.localhost"
    with transaction.atomic():
        window = MaintenanceWindow.objects.create(
            uid=f"maintenance-{uuid.uuid4()}@{domain}",
            title_fr=data.title_fr,
            title_en=data.title_en,
            description_fr=data.description_fr.strip(),
            description_en=data.description_en.strip(),
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            affects_portal=data.affects_portal,
            state=WindowState.PLANNED,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
            updated_at=now,
        )
        window.eservices.set(eservices)
        if _reminder_due_by(window, now):
            window.reminder_sent_at = now
            window.save(update_fields=["reminder_sent_at"])
        announcements.announce(window, AnnouncementKind.PUBLISHED, actor=actor)
        _audit("maintenance_published", window, actor, request)
        _after_commit()
    return window


def _locked(window_id: int) -> MaintenanceWindow:
    window = MaintenanceWindow.objects.select_for_update().filter(pk=window_id).first()
    if window is None:
        raise NotFound(_("No such maintenance window."))
    if window.state not in LIVE_STATES:
        raise WindowClosed(_("This maintenance window is finished or cancelled."))
    return window


def change(actor: Any, window_id: int, *, request: Any = None, **changes: Any) -> MaintenanceWindow:
    """Change a live window: new dates make it REPLANIFICATION, anything else MAJ.

    ``changes``: any of WindowData's fields (``eservices`` as codes); the others keep their
    value. Nothing changed: nothing is saved and no one is told.
    """
    _check_actor(actor)
    unknown = set(changes) - {*FIELDS, "starts_at", "ends_at", "eservices"}
    if unknown:
        raise InvalidInput(f"unknown fields: {sorted(unknown)}")
    now = clock.now()
    with transaction.atomic():
        window = _locked(window_id)
        current_codes = sorted(window.eservices.values_list("code", flat=True))
        data = WindowData(
            title_fr=changes.get("title_fr", window.title_fr),
            title_en=changes.get("title_en", window.title_en),
            description_fr=(changes.get("description_fr", window.description_fr) or "").strip(),
            description_en=(changes.get("description_en", window.description_en) or "").strip(),
            affects_portal=bool(changes.get("affects_portal", window.affects_portal)),
            starts_at=changes.get("starts_at") or window.starts_at,
            ends_at=changes.get("ends_at") or window.ends_at,
            eservices=list(changes.get("eservices", current_codes)),
        )
        eservices = _validate(data, now)
        rescheduled = (data.starts_at, data.ends_at) != (window.starts_at, window.ends_at)
        new_codes = sorted(e.code for e in eservices)
        changed = rescheduled or new_codes != current_codes
        changed = changed or any(getattr(data, f) != getattr(window, f) for f in FIELDS)
        if not changed:
            return window
        before_operators = announcements.concerned_operators(window)
        previous = (window.starts_at, window.ends_at)
        for name in FIELDS:
            setattr(window, name, getattr(data, name))
        window.starts_at, window.ends_at = data.starts_at, data.ends_at
        window.state = WindowState.RESCHEDULED if rescheduled else WindowState.UPDATED
        window.sequence += 1
        window.updated_at = now
        update_fields = [*FIELDS, "starts_at", "ends_at", "state", "sequence", "updated_at"]
        if rescheduled:
            # The reminder goes again before the new date, unless this mail is that close.
            window.reminder_sent_at = now if _reminder_due_by(window, now) else None
            update_fields.append("reminder_sent_at")
        window.save(update_fields=update_fields)
        window.eservices.set(eservices)
        kind = AnnouncementKind.RESCHEDULED if rescheduled else AnnouncementKind.UPDATED
        announcements.announce(
            window,
            kind,
            actor=actor,
            also_operators=before_operators,
            previous=previous if rescheduled else None,
        )
        _audit(f"maintenance_{kind}", window, actor, request)
        _after_commit()
    return window


def cancel(actor: Any, window_id: int, *, request: Any = None) -> MaintenanceWindow:
    """Cancel a live window (ANNULE); calendars receive a METHOD:CANCEL."""
    _check_actor(actor)
    with transaction.atomic():
        window = _locked(window_id)
        window.state = WindowState.CANCELLED
        window.sequence += 1
        window.updated_at = clock.now()
        window.save(update_fields=["state", "sequence", "updated_at"])
        announcements.announce(window, AnnouncementKind.CANCELLED, actor=actor)
        _audit("maintenance_cancelled", window, actor, request)
        _after_commit()
    return window


def send_due_reminders(now: datetime | None = None) -> int:
    """The periodic task: remind, once, of each window starting within the reminder delay."""
    now = now or clock.now()
    horizon = now + timedelta(hours=settings.ESOUTIEN_MAINTENANCE_REMINDER_HOURS)
    due = MaintenanceWindow.objects.live().filter(
        reminder_sent_at__isnull=True, starts_at__gt=now, starts_at__lte=horizon
    )
    sent = 0
    for window_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            # Locked and checked again: two workers (or a restarted one) remind once.
            window = (
                MaintenanceWindow.objects.select_for_update()
                .filter(pk=window_id, reminder_sent_at__isnull=True, state__in=LIVE_STATES)
                .first()
            )
            if window is None:
                continue
            window.reminder_sent_at = now
            window.save(update_fields=["reminder_sent_at"])
            sent += announcements.announce(window, AnnouncementKind.REMINDER) is not None
    return sent


def finish_ended(now: datetime | None = None) -> int:
    """The periodic task: close (CLOTURE) the live windows whose end has passed."""
    now = now or clock.now()
    ended = MaintenanceWindow.objects.live().filter(ends_at__lte=now)
    finished = 0
    for window_id in list(ended.values_list("pk", flat=True)):
        with transaction.atomic():
            window = (
                MaintenanceWindow.objects.select_for_update()
                .filter(pk=window_id, state__in=LIVE_STATES, ends_at__lte=now)
                .first()
            )
            if window is None:
                continue
            window.state = WindowState.FINISHED
            window.updated_at = now
            window.save(update_fields=["state", "updated_at"])
            announcements.announce(window, AnnouncementKind.FINISHED)
            _audit("maintenance_finished", window, None, None)
            _after_commit()
            finished += 1
    return finished


def recipient_count(window: MaintenanceWindow | None = None, data: WindowData | None = None) -> int:
    """How many addresses an announcement would go to (the desk's confirmation step)."""
    if window is not None:
        return len(announcements.recipients(window))
    if data is None:
        return 0
    operator_ids = announcements.concerned_operator_ids(
        data.affects_portal, list(EService.objects.filter(code__in=data.eservices)), data.starts_at
    )
    return len(announcements.recipients_for_operators(operator_ids))


def set_subscription(user: Any, subscribed: bool) -> bool:
    """Opt in to (or out of) the maintenance announcements; returns the new choice."""
    if not getattr(user, "is_authenticated", False):
        raise Forbidden()
    if subscribed:
        MaintenanceSubscription.objects.get_or_create(user=user)
    else:
        MaintenanceSubscription.objects.filter(user=user).delete()
    return subscribed


def is_subscribed(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and MaintenanceSubscription.objects.filter(user=user).exists()
    )
