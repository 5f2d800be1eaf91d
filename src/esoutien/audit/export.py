"""The audit log as CSV, for a spreadsheet: UTF-8 with a byte-order mark and ``;`` between
fields (what Excel expects in French), dates in Europe/Paris, streamed row by row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from esoutien.audit.actions import action_label, outcome_label
from esoutien.audit.models import AuditEvent

PARIS = ZoneInfo("Europe/Paris")
BOM = "\ufeff"
SEPARATOR = ";"
# A cell starting with one of these is a formula to a spreadsheet: the e-mail typed on the
# login page is the attacker's, so it is neutralised (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose ``write`` returns what it was given (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def header() -> list[str]:
    return [
        _("Date"),
        _("Action"),
        _("Outcome"),
        _("Account"),
        _("Operator"),
        _("Address"),
        _("Object"),
        _("Details"),
    ]


def row(event: AuditEvent) -> list[str]:
    details = json.dumps(event.data, ensure_ascii=False, sort_keys=True) if event.data else ""
    return [
        _cell(v)
        for v in (
            timezone.localtime(event.created_at, PARIS).strftime("%Y-%m-%d %H:%M:%S"),
            action_label(event.action),
            outcome_label(event.outcome),
            event.actor_email,
            event.operator_code,
            event.ip_address or "",
            event.target,
            details,
        )
    ]


def csv_lines(events: QuerySet[AuditEvent], language: str) -> Iterator[str]:
    """The file, line by line; the queryset is read in chunks, never all in memory.

    The lines are produced after the view has returned, so the language is set here again.
    """
    writer = csv.writer(_Echo(), delimiter=SEPARATOR, lineterminator="\r\n")
    with translation.override(language):
        yield BOM + writer.writerow(header())
        rows: Iterable[AuditEvent] = events.iterator(chunk_size=1000)
        for event in rows:
            yield writer.writerow(row(event))
