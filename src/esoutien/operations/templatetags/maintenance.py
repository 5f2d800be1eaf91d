"""Template helpers for maintenance windows (the banner, the lists)."""

from __future__ import annotations

from typing import Any

from django import template

from esoutien.core import clock
from esoutien.operations import formatting

register = template.Library()


@register.simple_tag
def window_text(window: Any, language: str = "fr") -> dict[str, Any]:
    """Title, Paris dates and duration of a window (model or cached summary)."""
    title = window.title(language) if callable(getattr(window, "title", None)) else None
    return {
        "title": title or formatting.title(window, language),
        "when": formatting.format_range(window.starts_at, window.ends_at, language),
        "duration": formatting.format_duration(window.ends_at - window.starts_at),
        "in_progress": window.starts_at <= clock.now() < window.ends_at,
    }
