"""Idempotency-Key: the same key and body within 24 h replay the first answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from esoutien.api.models import IdempotencyRecord
from esoutien.core import clock
from esoutien.core.errors import DomainError

WINDOW = timedelta(hours=24)


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"


def body_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def run_once(
    user: Any, key: str | None, payload: Any, action: Callable[[], tuple[int, Any]]
) -> tuple[int, Any]:
    """Run ``action`` (→ status, JSON-able body) once per (user, key) within 24 h.

    The record is written in the action's transaction: a concurrent twin waits on its unique
    index (PostgreSQL) or on the write lock (SQLite), then finds the stored answer.
    """
    if not key:
        return action()
    key = key.strip()[:200]
    digest = body_hash(payload)
    IdempotencyRecord.objects.filter(created_at__lt=clock.now() - WINDOW).delete()
    for _attempt in range(2):
        existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if existing is not None:
            if existing.request_hash != digest:
                raise IdempotencyKeyReused(
                    _("This Idempotency-Key was already used with another request body.")
                )
            return int(existing.status_code or 200), existing.response
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(user=user, key=key, request_hash=digest)
                status, body = action()
                record.status_code, record.response = (
                    status,
                    json.loads(json.dumps(body, default=str)),
                )
                record.save(update_fields=["status_code", "response"])
                return status, body
        except IntegrityError:
            continue  # a twin committed first: replay its answer
    raise IdempotencyKeyReused(_("This Idempotency-Key is being used by another request."))
