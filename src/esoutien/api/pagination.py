"""Keyset (cursor) pagination: newest first by id, stable while tickets are being filed."""

from __future__ import annotations

import base64
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from esoutien.core.errors import InvalidInput


def _decode(cursor: str) -> int:
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("Invalid cursor.", errors={"cursor": ["Invalid cursor."]}) from exc
    if not 0 < value < 2**63:
        raise InvalidInput("Invalid cursor.", errors={"cursor": ["Invalid cursor."]})
    return value


def _encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def page(
    request: HttpRequest, queryset: QuerySet[Any], cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page of ``queryset`` after ``cursor``, and the URL of the next page (or None).

    New rows get higher ids, so they never shift the pages a client is walking through.
    """
    qs = queryset.order_by("-id")
    if cursor:
        qs = qs.filter(id__lt=_decode(cursor))
    rows = list(qs[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    params = request.GET.copy()
    params["cursor"] = _encode(rows[-1].id)
    return rows, request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
