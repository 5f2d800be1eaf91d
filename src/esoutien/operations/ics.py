"""iCalendar (RFC 5545) for maintenance windows: one invitation per announcement, one feed.

The event's UID is the window's ``uid`` and its SEQUENCE the window's ``sequence``, so a
calendar that received the announcement updates the same event in place when the window is
rescheduled, changed or cancelled (RFC 5546: METHOD REQUEST, then CANCEL). Times are UTC
(``...Z``): no VTIMEZONE to get wrong, and every calendar shows them in its own zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vText

from esoutien.core import clock
from esoutien.operations import formatting
from esoutien.operations.models import MaintenanceWindow, WindowState

PRODID = "-//e-soutien//Maintenance windows//FR"


def _calendar(method: str, name: str = "") -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    return cal


def _organizer() -> vCalAddress:
    organizer = vCalAddress(f"mailto:{settings.ESOUTIEN_SUPPORT_ADDRESS}")
    organizer.params["cn"] = vText("e-soutien")
    return organizer


def event(
    window: MaintenanceWindow,
    language: str = "fr",
    *,
    cancelled: bool = False,
    eservice_names: list[str] | None = None,
) -> Event:
    """The window as a VEVENT in ``language`` (title and description fall back to French)."""
    vevent = Event()
    vevent.add("uid", window.uid)
    vevent.add("sequence", window.sequence)
    vevent.add("dtstamp", clock.now().astimezone(UTC))
    vevent.add("dtstart", window.starts_at.astimezone(UTC))
    vevent.add("dtend", window.ends_at.astimezone(UTC))
    vevent.add("last-modified", window.updated_at.astimezone(UTC))
    vevent.add("summary", formatting.title(window, language))
    lines = [formatting.description(window, language)]
    affected = formatting.affected(window, eservice_names)
    if affected:
        lines.append(", ".join(str(a) for a in affected))
    vevent.add("description", "\n\n".join(line for line in lines if line))
    vevent.add("organizer", _organizer())
    vevent.add("url", f"{settings.ESOUTIEN_BASE_URL}/maintenance/")
    vevent.add("transp", "OPAQUE")
    vevent.add("class", "PUBLIC")
    vevent.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return vevent


def invitation(window: MaintenanceWindow, language: str = "fr") -> bytes:
    """The .ics attached to an announcement: REQUEST, or CANCEL for a cancelled window."""
    cancelled = window.state == WindowState.CANCELLED
    cal = _calendar("CANCEL" if cancelled else "REQUEST")
    cal.add_component(event(window, language, cancelled=cancelled))
    return bytes(cal.to_ical())


def feed(windows: Iterable[MaintenanceWindow], name: str, language: str = "fr") -> bytes:
    """A subscribable calendar (METHOD PUBLISH); cancelled windows stay, marked CANCELLED,
    so calendars that already show them drop them."""
    cal = _calendar("PUBLISH", name)
    for window in windows:
        names = [e.name for e in window.eservices.all()]
        cal.add_component(
            event(
                window,
                language,
                cancelled=window.state == WindowState.CANCELLED,
                eservice_names=sorted(names),
            )
        )
    return bytes(cal.to_ical())


def parse_events(data: bytes) -> list[dict[str, Any]]:
    """The events of an .ics as plain values (used by the tests and the CLI's checks)."""
    cal = Calendar.from_ical(data)
    out = []
    for component in cal.walk("VEVENT"):
        out.append(
            {
                "method": str(cal.get("method", "")),
                "uid": str(component.get("uid")),
                "sequence": int(component.get("sequence", 0)),
                "start": _as_datetime(component.decoded("dtstart")),
                "end": _as_datetime(component.decoded("dtend")),
                "summary": str(component.get("summary", "")),
                "status": str(component.get("status", "")),
            }
        )
    return out


def _as_datetime(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError("a maintenance event has date-times, not dates")
    return value
