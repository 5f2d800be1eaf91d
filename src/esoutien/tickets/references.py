"""Ticket references ES-YYYY-NNNNNN: allocation (concurrency-safe) and parsing of typed input."""

from __future__ import annotations

import re
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from esoutien.tickets.models import ReferenceCounter

_TYPED = re.compile(r"^(?:ES)?[\s\-_/.]*(?:(\d{4})[\s\-_/.]+)?0*(\d{1,6})$", re.IGNORECASE)


def format_reference(year: int, number: int) -> str:
    return f"ES-{year:04d}-{number:06d}"


def allocate_reference(when: datetime) -> str:
    """The next reference of ``when``'s year. Must run inside the ticket's transaction.

    The UPDATE takes the counter row's lock, so concurrent filers queue on it (PostgreSQL) or
    on the IMMEDIATE write lock (SQLite); the unique index on Ticket.reference is the backstop.
    """
    year = timezone.localtime(when).year  # the French calendar year, not UTC's
    if not ReferenceCounter.objects.filter(year=year).exists():
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(year=year, last_value=0)
        except IntegrityError:
            pass  # another filer created it first
    ReferenceCounter.objects.filter(year=year).update(last_value=F("last_value") + 1)
    number = ReferenceCounter.objects.values_list("last_value", flat=True).get(year=year)
    return format_reference(year, number)


def parse_typed_reference(text: str) -> tuple[int | None, int] | None:
    """What an operator typed → (year or None, number), or None when it is no reference.

    Accepts ``ES-2026-000042``, lower case, spaces instead of dashes, ``2026-42`` and the
    bare number ``42``.
    """
    cleaned = re.sub(r"\s+", " ", (text or "").strip())
    match = _TYPED.match(cleaned)
    if not match:
        return None
    year = int(match.group(1)) if match.group(1) else None
    number = int(match.group(2))
    if number == 0:
        return None
    return year, number


def candidate_references(text: str, years: list[int]) -> list[str]:
    parsed = parse_typed_reference(text)
    if parsed is None:
        return []
    year, number = parsed
    return [format_reference(y, number) for y in ([year] if year else years)]
