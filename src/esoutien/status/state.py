"""The state of e-soutien and of each e-service at a moment, and the supervisors' declarations.

e-soutien is not operational at a moment when (worst cause wins):

* a declared incident about e-soutien itself (no e-service named) covers it;
* a maintenance window affecting e-soutien itself is in progress (down);
* the health checks have been failing for ``ESOUTIEN_HEALTH_FAILURE_MINUTES`` consecutive
  minutes (degraded; down when the database is what fails). A failing streak whose last
  record is older than ``STALE_AFTER`` counts for nothing: no record means nobody checked.

An e-service is not operational when an incident naming it covers the moment, or a
maintenance window naming it is in progress (down, "maintenance").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from esoutien.accounts import access
from esoutien.audit.recorder import record
from esoutien.catalogue.models import EService
from esoutien.core import clock
from esoutien.core.errors import Forbidden, InvalidInput
from esoutien.operations.models import MaintenanceWindow
from esoutien.status.models import (
    SEVERITY_ORDER,
    HealthCheckRecord,
    IncidentSource,
    IncidentState,
    ServiceIncident,
    ServiceState,
)

STALE_AFTER = timedelta(minutes=10)


@dataclass(frozen=True)
class Reason:
    """Why e-soutien (or an e-service) is not operational."""

    kind: str  # "incident", "maintenance", "health" or "database"
    state: str
    message_fr: str
    message_en: str
    since: datetime | None = None
    until: datetime | None = None
    ref: str = ""  # the incident's id or the window's UID

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["since"] = self.since.isoformat() if self.since else None
        data["until"] = self.until.isoformat() if self.until else None
        return data


def worst(states: Iterable[str]) -> str:
    found = [ServiceState(s) for s in states]
    return max(found, key=SEVERITY_ORDER.__getitem__, default=ServiceState.OPERATIONAL).value


def in_both_languages(message: str, **params: Any) -> tuple[str, str]:
    """A source string marked with gettext_noop, rendered in French and English (stored data
    such as an incident's messages is kept in both languages)."""
    texts = []
    for language in ("fr", "en"):
        with translation.override(language):
            texts.append(_(message) % params if params else _(message))
    return texts[0], texts[1]


def _incident_reason(incident: ServiceIncident) -> Reason:
    return Reason(
        kind="incident",
        state=incident.state,
        message_fr=incident.message_fr,
        message_en=incident.message_en,
        since=incident.started_at,
        until=incident.ended_at,
        ref=str(incident.pk),
    )


def _window_reason(window: MaintenanceWindow) -> Reason:
    return Reason(
        kind="maintenance",
        state=ServiceState.DOWN,
        message_fr=window.title_fr,
        message_en=window.title_en,
        since=window.starts_at,
        until=window.ends_at,
        ref=window.uid,
    )


# --- Health checks ---------------------------------------------------------------------------


def health_failure(moment: datetime) -> Reason | None:
    """The failing streak of health checks in force at ``moment``, when it has lasted
    ``ESOUTIEN_HEALTH_FAILURE_MINUTES`` minutes; None otherwise."""
    records = HealthCheckRecord.objects.filter(checked_at__lte=moment)
    latest = records.order_by("-checked_at", "-id").first()
    if latest is None or latest.ok or moment - latest.checked_at > STALE_AFTER:
        return None
    last_ok = (
        records.filter(ok=True).order_by("-checked_at").values_list("checked_at", flat=True).first()
    )
    failing = records.filter(ok=False)
    if last_ok is not None:
        failing = failing.filter(checked_at__gt=last_ok)
    first = failing.order_by("checked_at").values_list("checked_at", flat=True).first()
    minutes = settings.ESOUTIEN_HEALTH_FAILURE_MINUTES
    if first is None or moment - first < timedelta(minutes=minutes):
        return None
    failed = sorted(name for name, r in (latest.details or {}).items() if not r.get("ok", True))
    state = ServiceState.DOWN if "database" in failed else ServiceState.DEGRADED
    fr, en = in_both_languages(
        gettext_noop("Automatic checks have been failing since then (%(checks)s)."),
        checks=", ".join(failed) or "?",
    )
    return Reason(kind="health", state=state, message_fr=fr, message_en=en, since=first)


# --- The state at a moment -------------------------------------------------------------------


def state_at(moment: datetime) -> tuple[str, list[Reason]]:
    """(state of e-soutien, the reasons it is not operational) at ``moment``."""
    reasons = [
        _incident_reason(i)
        for i in ServiceIncident.objects.covering(moment).portal_wide().order_by("started_at")
    ]
    windows = MaintenanceWindow.objects.in_progress(moment).filter(affects_portal=True)
    reasons += [_window_reason(w) for w in windows.order_by("starts_at")]
    detected = health_failure(moment)
    if detected is not None:
        reasons.append(detected)
    return worst(r.state for r in reasons), reasons


def is_operational(moment: datetime) -> bool:
    return state_at(moment)[0] == ServiceState.OPERATIONAL


def eservice_states(moment: datetime) -> list[dict[str, Any]]:
    """Each active e-service (placeholders excluded): its state and reasons at ``moment``."""
    eservices = list(
        EService.objects.filter(is_active=True, is_placeholder=False).order_by("name", "code")
    )
    by_id: dict[int, list[Reason]] = {e.pk: [] for e in eservices}
    in_maintenance: set[int] = set()
    incidents = ServiceIncident.objects.covering(moment).prefetch_related("eservices")
    for incident in incidents.filter(eservices__isnull=False).distinct():
        for eservice in incident.eservices.all():
            if eservice.pk in by_id:
                by_id[eservice.pk].append(_incident_reason(incident))
    windows = MaintenanceWindow.objects.in_progress(moment).prefetch_related("eservices")
    for window in windows:
        for eservice in window.eservices.all():
            if eservice.pk in by_id:
                by_id[eservice.pk].append(_window_reason(window))
                in_maintenance.add(eservice.pk)
    return [
        {
            "code": e.code,
            "name": e.name,
            "state": worst(r.state for r in by_id[e.pk]),
            "maintenance": e.pk in in_maintenance,
            "reasons": [r.as_dict() for r in by_id[e.pk]],
        }
        for e in eservices
    ]


# --- Declarations (supervisors, API, command line) -------------------------------------------


def set_service_state(
    actor: Any,
    state: str,
    message_fr: str = "",
    message_en: str = "",
    *,
    request: HttpRequest | None = None,
) -> ServiceIncident | None:
    """Declare the state of e-soutien itself. ``actor`` None: the command line (a runbook).

    ``operational`` ends the open declared incident; ``degraded``/``down`` need a message and
    update the open incident when the state is the same, else end it and open a new one (the
    history keeps each state). Recorded in the audit log.
    """
    if actor is not None and not access.may_declare_service_state(actor):
        raise Forbidden(_("Only supervisors declare the state of e-soutien."))
    if state not in ServiceState.values:
        raise InvalidInput(
            _("Unknown state."),
            errors={"state": [_("Choose operational, degraded or down.")]},
        )
    message_fr, message_en = (message_fr or "").strip(), (message_en or "").strip()
    if state != ServiceState.OPERATIONAL and not message_fr:
        message = _("Say what happens, for the operators (French message).")
        raise InvalidInput(message, errors={"message": [message]})
    now = clock.now()
    with transaction.atomic():
        current = list(
            ServiceIncident.objects.select_for_update(of=("self",))
            .open()
            .portal_wide()
            .filter(source=IncidentSource.DECLARED)
            .order_by("started_at")
        )
        kept: ServiceIncident | None = None
        for incident in current:
            if kept is None and incident.state == state:
                incident.message_fr, incident.message_en = message_fr, message_en
                incident.updated_at = now
                incident.save(update_fields=["message_fr", "message_en", "updated_at"])
                kept = incident
                continue
            incident.ended_at, incident.updated_at = now, now
            incident.save(update_fields=["ended_at", "updated_at"])
        if kept is None and state != ServiceState.OPERATIONAL:
            kept = ServiceIncident.objects.create(
                state=IncidentState(state),
                message_fr=message_fr,
                message_en=message_en,
                started_at=now,
                updated_at=now,
                declared_by=actor if getattr(actor, "pk", None) else None,
            )
        record(
            "service_state_set",
            request=request,
            actor=actor,
            target="e-soutien",
            data={"state": state, "message": message_fr[:500], "via": _via(request, actor)},
        )
    return kept


def _via(request: HttpRequest | None, actor: Any) -> str:
    if request is None:
        return "cli" if actor is None else "service"
    return "api" if request.path.startswith("/api/") else "desk"


def declared_state() -> tuple[str, ServiceIncident | None]:
    """The open declared incident of e-soutien itself, the worst first."""
    incidents = list(
        ServiceIncident.objects.open()
        .portal_wide()
        .filter(source=IncidentSource.DECLARED, started_at__lte=clock.now())
        .order_by("started_at")
    )
    if not incidents:
        return ServiceState.OPERATIONAL, None
    incident = max(incidents, key=lambda i: SEVERITY_ORDER[ServiceState(i.state)])
    return incident.state, incident


# --- Incidents detected by the health checks (for the history) -------------------------------


def sync_detected_incident(now: datetime) -> ServiceIncident | None:
    """Open an incident when the health checks have failed long enough, end it when they
    pass again: the status page's history then shows detected outages too."""
    failure = health_failure(now)
    with transaction.atomic():
        open_ = list(
            ServiceIncident.objects.select_for_update(of=("self",))
            .open()
            .filter(source=IncidentSource.DETECTED)
            .order_by("started_at")
        )
        if failure is not None:
            if open_:
                return open_[0]
            return ServiceIncident.objects.create(
                state=IncidentState(failure.state),
                message_fr=failure.message_fr,
                message_en=failure.message_en,
                started_at=failure.since or now,
                updated_at=now,
                source=IncidentSource.DETECTED,
            )
        for incident in open_:
            recovered = (
                HealthCheckRecord.objects.filter(ok=True, checked_at__gt=incident.started_at)
                .order_by("checked_at")
                .values_list("checked_at", flat=True)
                .first()
            )
            incident.ended_at = min(recovered or now, now)
            incident.updated_at = now
            incident.save(update_fields=["ended_at", "updated_at"])
    return None
