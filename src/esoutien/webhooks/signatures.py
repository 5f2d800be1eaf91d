"""The signature of a webhook request, and how a receiver checks it (docs/webhooks.md).

``X-ESoutien-Signature: sha256=<hex>`` where ``<hex>`` is HMAC-SHA256, keyed with the
endpoint's secret, of ``<X-ESoutien-Timestamp>.<raw request body>``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SCHEME = "sha256"
SECRET_PREFIX = "whsec_"  # noqa: S105  (a visible prefix, not a secret)
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the X-ESoutien-Signature header."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={mac.hexdigest()}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    header: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """What a receiver does: a genuine signature over a recent timestamp (replays refused)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, sent, body), header or "")
