"""How maintenance windows are written for people: Paris dates, durations, what is affected.

Day and month names come from Django's own catalogues, so French dates read "samedi
5 décembre 2026 à 22 h 00" even before the project's .po is translated.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import dateformat, translation
from django.utils.translation import gettext as _

PARIS = ZoneInfo("Europe/Paris")

# Django date format strings, per language (backslash-escaped literals).
_WHEN = {"fr": r"l j F Y \à H \h i", "en": r"l j F Y \a\t H:i"}
_DAY = {"fr": "l j F Y", "en": "l j F Y"}
_TIME = {"fr": r"H \h i", "en": "H:i"}


def paris(value: datetime) -> datetime:
    return value.astimezone(PARIS)


def _lang(language: str | None) -> str:
    code = (language or translation.get_language() or settings.LANGUAGE_CODE)[:2]
    return code if code in _WHEN else "fr"


def format_when(value: datetime, language: str | None = None) -> str:
    """'samedi 5 décembre 2026 à 22 h 00' / 'Saturday 5 December 2026 at 22:00'."""
    lang = _lang(language)
    with translation.override(lang):
        return dateformat.format(paris(value), _WHEN[lang])


def format_range(start: datetime, end: datetime, language: str | None = None) -> str:
    """From one date to another; the day is not repeated when the window ends the same day."""
    lang = _lang(language)
    with translation.override(lang):
        if paris(start).date() == paris(end).date():
            return _("%(day)s from %(start)s to %(end)s") % {
                "day": dateformat.format(paris(start), _DAY[lang]),
                "start": dateformat.format(paris(start), _TIME[lang]),
                "end": dateformat.format(paris(end), _TIME[lang]),
            }
        return _("from %(start)s to %(end)s") % {
            "start": format_when(start, lang),
            "end": format_when(end, lang),
        }


def format_duration(value: timedelta) -> str:
    """'2 h 30', '3 h', '45 min' (French typography, also read fine in English)."""
    minutes = max(int(value.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes:02d}"
    if hours:
        return f"{hours} h"
    return f"{minutes} min"


def title(window: Any, language: str | None = None) -> str:
    if _lang(language) == "en" and window.title_en:
        return str(window.title_en)
    return str(window.title_fr)


def description(window: Any, language: str | None = None) -> str:
    if _lang(language) == "en" and window.description_en:
        return str(window.description_en)
    return str(window.description_fr)


def affected(window: Any, eservice_names: list[str] | None = None) -> list[str]:
    """What the window makes unavailable, for a list in a page, a mail or a calendar."""
    items = []
    if window.affects_portal:
        items.append(_("e-soutien (portal, desk and API)"))
    names = (
        eservice_names
        if eservice_names is not None
        else [e.name for e in window.eservices.all().order_by("name")]
    )
    items.extend(names)
    return items


PARIS_INPUT_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M")


def parse_paris(text: str) -> datetime:
    """'2026-12-05 22:00' (Paris time) → an aware datetime; ValueError if unreadable.

    A time that does not exist (the spring-forward hour) or exists twice (autumn) is taken as
    zoneinfo does: the first reading (fold=0).
    """
    value = (text or "").strip()
    for fmt in PARIS_INPUT_FORMATS:
        try:
            naive = datetime.strptime(value, fmt)  # made aware just below
        except ValueError:
            continue
        return naive.replace(tzinfo=PARIS)
    raise ValueError(f"unreadable date and time {text!r}: expected YYYY-MM-DD HH:MM")
