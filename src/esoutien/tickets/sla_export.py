"""The SLA report table as CSV, for a spreadsheet: the same rows and total as the page.

UTF-8 with a byte-order mark and ``;`` between fields (what Excel expects in France, as the
audit export); numbers with a ``.`` decimal point and the period in ISO 8601, so the file
reads the same in any locale and in scripts. Shares are percentages, times business hours.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext as _

from esoutien.tickets.sla_reports import Figures, SlaReport

BOM = "\ufeff"
SEPARATOR = ";"
# A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection"):
# operator and e-service names are typed by people.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def percent(share: float | None) -> str:
    return "" if share is None else f"{100 * share:.1f}"


def hours(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 3600:.2f}"


def header() -> list[str]:
    return [
        _("Period"),
        _("Operator code"),
        _("Operator"),
        _("E-service code"),
        _("E-service"),
        _("Tickets"),
        _("Taken in charge on time"),
        _("Take-charge outcomes known"),
        _("Taken in charge on time (%)"),
        _("Median take-charge time (business hours)"),
        _("90th percentile take-charge time (business hours)"),
        _("Take-charge breaches"),
        _("Resolved on time"),
        _("Resolution outcomes known"),
        _("Resolved on time (%)"),
        _("Median resolution time (business hours)"),
        _("90th percentile resolution time (business hours)"),
        _("Resolution breaches"),
    ]


def _figures(f: Figures) -> list[Any]:
    return [
        f.tickets,
        f.take_charge_on_time,
        f.take_charge_measured,
        percent(f.take_charge_share),
        hours(f.take_charge_median),
        hours(f.take_charge_p90),
        f.take_charge_breaches,
        f.resolution_on_time,
        f.resolution_measured,
        percent(f.resolution_share),
        hours(f.resolution_median),
        hours(f.resolution_p90),
        f.resolution_breaches,
    ]


def report_csv(report: SlaReport) -> str:
    """The whole file (a report has at most operators × e-services rows: no streaming)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\r\n")
    writer.writerow(header())
    period = report.period.iso
    for row in report.rows:
        writer.writerow(
            [
                period,
                _text(row.operator.code),
                _text(row.operator.name),
                _text(row.eservice.code),
                _text(row.eservice.name),
                *_figures(row.figures),
            ]
        )
    if report.rows:
        writer.writerow([period, "", _("Total"), "", "", *_figures(report.total)])
    return buffer.getvalue()
