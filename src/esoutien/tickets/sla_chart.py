"""The SLA trend chart: a server-rendered SVG (no JavaScript), two bars a month for the shares
of tickets taken in charge and resolved on time.

Accessible by construction: ``role="img"`` named by its ``<title>`` and described by a
``<desc>`` that states every month's figures; the two series differ by pattern and by legend
text, not by colour alone; each bar carries its exact figure as a tooltip. The page also
shows the same series as a table (templates/reports/includes/trend_table.html).
"""

from __future__ import annotations

from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from esoutien.tickets.sla_reports import TrendPoint

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 44, 40
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
INK, MUTED, LINE, BLUE, GREEN = "#1b1f24", "#4a5562", "#d5dae1", "#1d4f91", "#1e6b3a"
SERIES = (
    # (attribute of Figures, fill): solid for one series, hatched for the other, so that
    # they differ without colour. Presentation attributes, not <style>: the site's CSP
    # forbids inline styles, and the SVG stays right when saved on its own.
    ("take_charge_share", BLUE),
    ("resolution_share", "url(#{id}-hatch)"),
)


def _series_labels() -> dict[str, str]:
    return {
        "take_charge_share": _("Taken in charge on time"),
        "resolution_share": _("Resolved on time"),
    }


def month_label(point: TrendPoint) -> str:
    return formats.date_format(point.month, "YEAR_MONTH_FORMAT")


def _percent(share: float | None) -> str:
    if share is None:
        return _("no data")
    return f"{formats.number_format(round(100 * share, 1), 1)} %"


def describe(points: list[TrendPoint]) -> str:
    """The chart in words (its ``<desc>``): every month's two shares."""
    labels = _series_labels()
    parts = [
        _("%(month)s: %(take)s %(take_share)s, %(resolved)s %(resolved_share)s")
        % {
            "month": month_label(p),
            "take": labels["take_charge_share"].lower(),
            "take_share": _percent(p.figures.take_charge_share),
            "resolved": labels["resolution_share"].lower(),
            "resolved_share": _percent(p.figures.resolution_share),
        }
        for p in points
    ]
    return "; ".join(parts) + "."


def _n(value: float) -> str:
    """A coordinate: format_html escapes its arguments to strings before formatting."""
    return f"{value:.1f}"


def _y(share: float) -> float:
    return TOP + PLOT_H * (1 - share)


def _grid() -> SafeString:
    lines = []
    for percent in (0, 25, 50, 75, 100):
        y = _y(percent / 100)
        lines.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" text-anchor="end" fill="{}">{} %</text>',
                LEFT,
                WIDTH - RIGHT,
                _n(y),
                _n(y),
                LINE,
                LEFT - 6,
                _n(y + 4),
                MUTED,
                percent,
            )
        )
    return mark_safe("".join(lines))  # each line built by format_html


def _legend(chart_id: str) -> SafeString:
    labels = _series_labels()
    items = []
    for k, (attribute, fill) in enumerate(SERIES):
        x = LEFT + k * 260
        items.append(
            format_html(
                '<rect x="{}" y="10" width="16" height="16" fill="{}" stroke="{}"/>'
                '<text x="{}" y="23" fill="{}">{}</text>',
                x,
                fill.format(id=chart_id),
                INK,
                x + 22,
                INK,
                labels[attribute],
            )
        )
    return mark_safe("".join(items))  # each item built by format_html


def _bars(points: list[TrendPoint], chart_id: str) -> SafeString:
    labels = _series_labels()
    group = PLOT_W / max(len(points), 1)
    bar = group * 0.34
    parts = []
    for k, point in enumerate(points):
        x0 = LEFT + k * group + group * 0.14
        for s, (attribute, fill) in enumerate(SERIES):
            share = getattr(point.figures, attribute)
            x = x0 + s * (bar + group * 0.04)
            if share is None:
                continue
            y = _y(share)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" '
                    'stroke="{}"><title>{} — {}: {}</title></rect>',
                    _n(x),
                    _n(y),
                    _n(bar),
                    _n(TOP + PLOT_H - y),
                    fill.format(id=chart_id),
                    INK,
                    month_label(point),
                    labels[attribute],
                    _percent(share),
                )
            )
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" fill="{}">{}</text>',
                _n(LEFT + (k + 0.5) * group),
                HEIGHT - BOTTOM + 18,
                MUTED,
                formats.date_format(point.month, "M y"),
            )
        )
    return mark_safe("".join(parts))  # each part built by format_html


def trend_svg(points: list[TrendPoint], chart_id: str = "sla-trend") -> SafeString:
    """The chart of ``points`` (oldest first) as inline SVG markup."""
    title = _("Share of tickets on time per month, %(first)s to %(last)s") % {
        "first": month_label(points[0]) if points else "",
        "last": month_label(points[-1]) if points else "",
    }
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="sla-chart" role="img" '
        'viewBox="0 0 {w} {h}" font-size="13" font-family="system-ui, sans-serif" '
        'aria-labelledby="{id}-title {id}-desc">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        "<defs>"
        '<pattern id="{id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#fff"/><rect width="3" height="6" fill="{green}"/>'
        "</pattern></defs>"
        "{legend}{grid}{bars}"
        '<line x1="{left}" x2="{right}" y1="{base}" y2="{base}" stroke="{ink}"/>'
        "</svg>",
        w=WIDTH,
        h=HEIGHT,
        id=chart_id,
        title=title,
        desc=describe(points),
        green=GREEN,
        ink=INK,
        legend=_legend(chart_id),
        grid=_grid(),
        bars=_bars(points, chart_id),
        left=LEFT,
        right=WIDTH - RIGHT,
        base=TOP + PLOT_H,
    )
