"""The Atom feed of the status page: incidents and maintenance windows, newest change first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from esoutien.status.models import ServiceState
from esoutien.status.snapshot import for_display

MAX_ENTRIES = 100


def _when(moment: datetime | None) -> str:
    return formats.date_format(moment, "DATETIME_FORMAT") if moment else "—"


def _incident_entry(incident: dict[str, Any], page: str) -> dict[str, Any]:
    label = ServiceState(incident["state"]).label
    title = f"{label} — {incident['message'].splitlines()[0] if incident['message'] else ''}"
    if incident.get("ended_at"):
        title = _("Ended: %(title)s") % {"title": title}
    lines = [
        incident["message"],
        _("Started: %(when)s") % {"when": _when(incident.get("started_at"))},
    ]
    if incident.get("ended_at"):
        lines.append(_("Ended: %(when)s") % {"when": _when(incident["ended_at"])})
    if incident.get("eservices"):
        lines.append(_("E-services: %(names)s") % {"names": ", ".join(incident["eservices"])})
    return {
        "title": title[:200],
        "link": f"{page}#incident-{incident['id']}",
        "unique_id": f"{page}#incident-{incident['id']}",
        "description": "\n".join(lines),
        "pubdate": incident.get("started_at"),
        "updateddate": incident.get("ended_at") or incident.get("updated_at"),
    }


def _window_entry(window: dict[str, Any], page: str) -> dict[str, Any]:
    lines = [
        _("From %(start)s to %(end)s")
        % {"start": _when(window["starts_at"]), "end": _when(window["ends_at"])},
        window.get("description") or "",
    ]
    if window.get("affects_portal"):
        lines.append(_("e-soutien itself is unavailable during the maintenance."))
    if window.get("eservices"):
        lines.append(_("E-services: %(names)s") % {"names": ", ".join(window["eservices"])})
    return {
        "title": (_("Maintenance: %(title)s") % {"title": window["title"]})[:200],
        "link": f"{page}#window-{window['uid']}",
        "unique_id": f"{page}#window-{window['uid']}",
        "description": "\n".join(line for line in lines if line),
        "pubdate": window.get("updated_at") or window.get("starts_at"),
        "updateddate": window.get("updated_at") or window.get("starts_at"),
    }


def _newest(entry: dict[str, Any]) -> float:
    moment = entry["updateddate"] or entry["pubdate"]
    return moment.timestamp() if moment else 0.0


def atom(data: dict[str, Any], request: HttpRequest) -> tuple[str, str]:
    """(the feed's XML, its content type)."""
    shown = for_display(data, get_language() or "fr")
    page = request.build_absolute_uri(reverse("status:page"))
    feed = Atom1Feed(
        title=_("e-soutien status"),
        link=page,
        description=_("Incidents and planned maintenance of e-soutien."),
        language=get_language() or "fr",
        feed_url=request.build_absolute_uri(reverse("status:feed")),
        feed_guid=page,
    )
    entries = [_incident_entry(i, page) for i in shown["incidents"]]
    entries += [_incident_entry(i, page) for i in shown["history"]["incidents"]]
    entries += [_window_entry(w, page) for w in shown["windows"]]
    entries += [_window_entry(w, page) for w in shown["history"]["windows"]]
    entries.sort(key=_newest, reverse=True)
    for entry in entries[:MAX_ENTRIES]:
        feed.add_item(**entry)
    return feed.writeString("utf-8"), feed.content_type
