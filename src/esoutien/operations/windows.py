"""Reads of maintenance windows that run on every request: the banner and maintenance mode.

Both are answered from the cache (one indexed query at most every 30 seconds per process
group) and then filtered against the current time in Python, so that maintenance mode starts
and ends exactly at the window's bounds whatever the age of the cached rows. Changes made
through the services drop the cache at commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError

from esoutien.core import clock
from esoutien.operations.models import MaintenanceWindow

log = logging.getLogger(__name__)

CACHE_SECONDS = 30
BANNER_DAYS = 7
# Rows cached for a little beyond the horizon, so a window crossing into it while the cache
# is warm is already there.
_MARGIN = timedelta(minutes=5)
_UPCOMING_KEY = "operations:maintenance:upcoming:v1"
# The last answer that came from the database, kept without expiry: maintenance mode still
# applies when the database is unreachable (often the very reason for the window).
_LAST_KNOWN_KEY = "operations:maintenance:upcoming:last"


@dataclass(frozen=True)
class WindowSummary:
    """What a page needs to mention a window, cacheable (no model instance)."""

    pk: int
    uid: str
    title_fr: str
    title_en: str
    starts_at: datetime
    ends_at: datetime
    affects_portal: bool
    eservices: tuple[str, ...]
    state: str

    def title(self, language: str) -> str:
        return self.title_en if language.startswith("en") and self.title_en else self.title_fr

    def in_progress(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


def _load(now: datetime) -> list[WindowSummary]:
    horizon = now + timedelta(days=BANNER_DAYS) + _MARGIN
    rows = (
        MaintenanceWindow.objects.live()
        .filter(starts_at__lte=horizon, ends_at__gt=now)
        .prefetch_related("eservices")
        .order_by("starts_at", "id")
    )
    return [
        WindowSummary(
            pk=w.pk,
            uid=w.uid,
            title_fr=w.title_fr,
            title_en=w.title_en,
            starts_at=w.starts_at,
            ends_at=w.ends_at,
            affects_portal=w.affects_portal,
            eservices=tuple(sorted(e.name for e in w.eservices.all())),
            state=w.state,
        )
        for w in rows
    ]


def upcoming(now: datetime | None = None) -> list[WindowSummary]:
    """Live windows not yet over and starting within BANNER_DAYS (plus a margin)."""
    now = now or clock.now()
    cached: Any = cache.get(_UPCOMING_KEY)
    if cached is not None:
        loaded_at, rows = cached
        if loaded_at <= now < loaded_at + timedelta(seconds=CACHE_SECONDS):
            return [w for w in rows if w.ends_at > now]
    try:
        rows = _load(now)
    except DatabaseError:
        log.warning("maintenance windows unreadable; using the last known ones", exc_info=True)
        last: Any = cache.get(_LAST_KNOWN_KEY)
        return [w for w in (last or []) if w.ends_at > now]
    cache.set(_UPCOMING_KEY, (now, rows), CACHE_SECONDS)
    cache.set(_LAST_KNOWN_KEY, rows, None)
    return rows


def for_banner(now: datetime | None = None) -> list[WindowSummary]:
    """In progress, or starting within BANNER_DAYS days."""
    now = now or clock.now()
    limit = now + timedelta(days=BANNER_DAYS)
    return [w for w in upcoming(now) if w.starts_at <= limit]


def portal_window(now: datetime | None = None) -> WindowSummary | None:
    """The window making e-soutien itself unavailable now (the one ending last), if any."""
    now = now or clock.now()
    current = [w for w in upcoming(now) if w.affects_portal and w.in_progress(now)]
    return max(current, key=lambda w: w.ends_at) if current else None


def invalidate() -> None:
    cache.delete(_UPCOMING_KEY)
