"""Filters of the SLA report pages: on-time shares and business times, "—" when unknown."""

from __future__ import annotations

from django import template
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


def _unknown() -> SafeString:
    return format_html(
        '<span aria-hidden="true">—</span><span class="visually-hidden">{}</span>', _("no data")
    )


@register.filter
def share(value: float | None) -> SafeString:
    """0.952 → "95,2 %" (localised decimal separator)."""
    if value is None:
        return _unknown()
    return format_html("{}\u00a0%", formats.number_format(round(100 * value, 1), 1))


@register.filter
def business_time(seconds: float | None) -> SafeString:
    """Business seconds → "4 h 05 min" (hours keep counting past a day: business days differ
    from one e-service to another)."""
    if seconds is None:
        return _unknown()
    minutes = round(seconds / 60)
    return format_html(
        "{}",
        _("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60},
    )
