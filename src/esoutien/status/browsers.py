"""Supported browsers and the non-blocking banner for the others.

The User-Agent is read by ua-parser (the maintained uap-core rules), never by our own regular
expressions. A banner is shown for browsers known to be unsupported (Internet Explorer) and
for supported families older than their minimum version; an unknown browser, a bot or a
command-line client gets none (we do not nag what we cannot judge).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.core.cache import cache
from django.db import DatabaseError

CACHE_KEY = "esoutien:status:browsers"
CACHE_SECONDS = 300
_MAX_UA = 512  # longer User-Agent strings are cut before parsing


@dataclass(frozen=True)
class BrowserRule:
    name: str
    min_version: int
    families: tuple[str, ...]
    notes: str = ""


# The defaults, used when the database cannot be read (the data migration seeds the same).
DEFAULT_RULES = (
    BrowserRule("Firefox", 115, ("Firefox", "Firefox Mobile"), "115 ESR"),
    BrowserRule(
        "Chrome / Chromium",
        120,
        ("Chrome", "Chromium", "Chrome Mobile", "Chrome Mobile WebView", "Chrome Mobile iOS"),
    ),
    BrowserRule("Microsoft Edge", 120, ("Edge", "Edge Mobile")),
    BrowserRule("Safari", 16, ("Safari", "Mobile Safari"), "macOS, iOS, iPadOS"),
)

# Families never supported, whatever their version, and how people know them.
UNSUPPORTED_FAMILIES = {"IE": "Internet Explorer", "IE Mobile": "Internet Explorer Mobile"}


@dataclass(frozen=True)
class BrowserWarning:
    browser: str  # as people name it
    version: str
    min_version: int | None  # None: not supported at all


def rules() -> tuple[BrowserRule, ...]:
    """The supported browsers (from the admin-editable table, cached a few minutes)."""
    cached = cache.get(CACHE_KEY)
    if cached is not None:
        return tuple(cached)
    from esoutien.status.models import SupportedBrowser

    try:
        found = tuple(
            BrowserRule(b.name, b.min_version, tuple(b.family_list), b.notes)
            for b in SupportedBrowser.objects.all()
        )
    except DatabaseError:
        return DEFAULT_RULES
    cache.set(CACHE_KEY, list(found), CACHE_SECONDS)
    return found


def forget_rules() -> None:
    """After an edit in the admin: the next page reads the table again."""
    cache.delete(CACHE_KEY)


@lru_cache(maxsize=1024)
def parse(user_agent: str) -> tuple[str, int | None, str]:
    """(family, major version or None, version text) as ua-parser reads them."""
    from ua_parser import parse_user_agent

    parsed = parse_user_agent(user_agent[:_MAX_UA])
    if parsed is None:
        return "Other", None, ""
    major = int(parsed.major) if parsed.major and parsed.major.isdigit() else None
    version = ".".join(p for p in (parsed.major, parsed.minor) if p)
    return parsed.family, major, version


def warning_for(user_agent: str) -> BrowserWarning | None:
    if not user_agent:
        return None
    family, major, version = parse(user_agent)
    if family in UNSUPPORTED_FAMILIES:
        return BrowserWarning(UNSUPPORTED_FAMILIES[family], version, None)
    for rule in rules():
        if family in rule.families:
            if major is not None and major < rule.min_version:
                return BrowserWarning(rule.name, version, rule.min_version)
            return None
    return None
