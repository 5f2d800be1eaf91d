"""Retention: audit records older than ``ESOUTIEN_AUDIT_RETENTION_DAYS`` are deleted.

The CNIL recommends keeping access logs between six months and one year; the default is
365 days. The purge writes a record of its own (how many, up to which date).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from esoutien.audit.models import AuditEvent
from esoutien.audit.recorder import record


def purge_expired(now: datetime | None = None) -> int:
    """Delete the records older than the retention period; return how many."""
    days = int(settings.ESOUTIEN_AUDIT_RETENTION_DAYS)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic():
        deleted, _ = AuditEvent.objects.filter(created_at__lt=cutoff).delete()
        record(
            "audit_purged",
            target=f"< {cutoff.isoformat(timespec='seconds')}",
            data={"count": deleted, "retention_days": days},
        )
    return deleted
