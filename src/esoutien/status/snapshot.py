"""What the public status page shows, as one JSON-able dict, and its last known copy on disk.

The page, its JSON and its feed are all rendered from this dict. Each successful build is
written to ``ESOUTIEN_STATUS_DIR/snapshot.json`` (also every minute by the worker), so when
the database is unreachable — when people look at the page — it is served from there: the
state is then "down" (e-soutien cannot work without its database) and everything else is the
last known state, with the time it was taken.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.utils.translation import gettext_noop

from esoutien.core import clock
from esoutien.operations.models import LIVE_STATES, MaintenanceWindow, WindowState
from esoutien.status.models import ServiceIncident, ServiceState
from esoutien.status.state import Reason, eservice_states, in_both_languages, state_at

log = logging.getLogger(__name__)

HISTORY_DAYS = 90
_HISTORY_LIMIT = 200


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _incident(incident: ServiceIncident) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "state": incident.state,
        "source": incident.source,
        "message_fr": incident.message_fr,
        "message_en": incident.message_en,
        "started_at": _iso(incident.started_at),
        "ended_at": _iso(incident.ended_at),
        "updated_at": _iso(incident.updated_at),
        "eservices": [e.name for e in incident.eservices.all()],
    }


def _window(window: MaintenanceWindow, now: datetime) -> dict[str, Any]:
    return {
        "uid": window.uid,
        "state": window.state,
        "title_fr": window.title_fr,
        "title_en": window.title_en,
        "description_fr": window.description_fr,
        "description_en": window.description_en,
        "starts_at": _iso(window.starts_at),
        "ends_at": _iso(window.ends_at),
        "updated_at": _iso(window.updated_at),
        "affects_portal": window.affects_portal,
        "eservices": [e.name for e in window.eservices.all()],
        "in_progress": window.starts_at <= now < window.ends_at,
    }


def build(now: datetime) -> dict[str, Any]:
    """The status as of ``now``, from the database (raises DatabaseError when it fails)."""
    state, reasons = state_at(now)
    incidents = ServiceIncident.objects.prefetch_related("eservices")
    windows = MaintenanceWindow.objects.prefetch_related("eservices")
    since = now - timedelta(days=HISTORY_DAYS)
    past_windows = windows.filter(
        state__in=[*LIVE_STATES, WindowState.FINISHED], ends_at__lte=now, ends_at__gte=since
    )
    return {
        "generated_at": _iso(now),
        "state": state,
        "reasons": [r.as_dict() for r in reasons],
        "eservices": eservice_states(now),
        "incidents": [_incident(i) for i in incidents.covering(now).order_by("-started_at")],
        "windows": [
            _window(w, now)
            for w in windows.live().filter(ends_at__gt=now).order_by("starts_at")[:50]
        ],
        "history": {
            "incidents": [
                _incident(i)
                for i in incidents.filter(ended_at__isnull=False, ended_at__gte=since)
                .exclude(ended_at__gt=now)
                .order_by("-started_at")[:_HISTORY_LIMIT]
            ],
            "windows": [
                _window(w, now) for w in past_windows.order_by("-starts_at")[:_HISTORY_LIMIT]
            ],
        },
    }


# --- The copy on disk -----------------------------------------------------------------------


def _path() -> Path:
    return Path(settings.ESOUTIEN_STATUS_DIR) / "snapshot.json"


def save(data: dict[str, Any]) -> None:
    """Write atomically (a reader never sees half a file); a failure is only logged."""
    path = _path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".snapshot-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False)
        os.replace(temporary, path)
    except OSError:
        log.warning("could not save the status snapshot to %s", path, exc_info=True)


def load() -> dict[str, Any] | None:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def refresh() -> dict[str, Any]:
    data = build(clock.now())
    save(data)
    return data


def _unreachable(cached: dict[str, Any] | None) -> dict[str, Any]:
    base: dict[str, Any] = cached or {
        "generated_at": None,
        "eservices": [],
        "incidents": [],
        "windows": [],
        "history": {"incidents": [], "windows": []},
    }
    fr, en = in_both_languages(
        gettext_noop("e-soutien cannot reach its database: the portal and the API are unavailable.")
    )
    reason = Reason("database", ServiceState.DOWN, fr, en, since=None)
    return {
        **base,
        "state": ServiceState.DOWN.value,
        "reasons": [reason.as_dict()],
        "live": False,
        "last_updated": base.get("generated_at"),
    }


def current() -> dict[str, Any]:
    """The status now; the last known one (marked ``live: false``) when the database fails."""
    try:
        data = build(clock.now())
    except DatabaseError:
        log.warning("status page served from the last known state", exc_info=True)
        return _unreachable(load())
    save(data)
    return {**data, "live": True, "last_updated": data["generated_at"]}


# --- For templates ----------------------------------------------------------------------------

_DATE_KEYS = {"since", "until", "last_updated"}
_TEXT_KEYS = ("message", "title", "description")


def for_display(data: Any, language: str) -> Any:
    """A copy with datetimes instead of ISO strings and ``message``/``title``/``description``
    in ``language`` (French when there is no English text)."""
    if isinstance(data, list):
        return [for_display(item, language) for item in data]
    if not isinstance(data, dict):
        return data
    shown: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str) and (key.endswith("_at") or key in _DATE_KEYS):
            try:
                shown[key] = datetime.fromisoformat(value)
            except ValueError:
                shown[key] = None
        else:
            shown[key] = for_display(value, language)
    for key in _TEXT_KEYS:
        if f"{key}_fr" in data:
            english = data.get(f"{key}_en") or ""
            shown[key] = english if language == "en" and english else data[f"{key}_fr"]
    return shown
