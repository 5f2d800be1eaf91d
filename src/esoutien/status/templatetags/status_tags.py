"""``{% browser_warning request as warning %}`` and ``{% hotline_address %}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from esoutien.status import browsers

register = template.Library()


@register.simple_tag
def browser_warning(request: Any) -> browsers.BrowserWarning | None:
    """The banner's content for this request's browser, or None (never raises)."""
    if request is None:
        return None
    try:
        return browsers.warning_for(request.headers.get("User-Agent", ""))
    except Exception:  # a banner must never break a page
        return None


@register.simple_tag
def hotline_address() -> str:
    return str(settings.ESOUTIEN_HOTLINE_ADDRESS)
