"""``record()``: the one way to write the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from esoutien.audit.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    # REMOTE_ADDR is the peer; behind a proxy the WSGI server is expected to set it right
    # (gunicorn --forwarded-allow-ips), so X-Forwarded-For is not trusted here.
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    request: HttpRequest | None = None,
    actor: Any = None,
    outcome: str = "success",
    target: str = "",
    email: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one record; ``actor`` defaults to the request's authenticated user.

    ``at`` is for records written after the fact (the admin change-log sweep); by default
    the record is dated now.
    """
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    operator = getattr(actor, "operator", None)
    return AuditEvent.objects.create(
        action=action,
        outcome=outcome,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_email=(getattr(actor, "email", "") or email or "")[:254],
        operator_code=getattr(operator, "code", "") or "",
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:300],
        target=str(target)[:200],
        data=data or {},
        created_at=at or timezone.now(),
    )
