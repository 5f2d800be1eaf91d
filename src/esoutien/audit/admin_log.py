"""Administrative changes: every entry of the admin site's change log, copied to the audit log.

The admin writes one ``LogEntry`` per added, changed or deleted object (operators,
subscriptions, users, teams, calendars, policies — whatever it manages). A single entry is
saved (the ``post_save`` receiver copies it at once, with the request's address); a bulk
deletion from a list page is written with ``bulk_create``, which sends no signal, so a
periodic sweep copies whatever entry has no audit record yet.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest
from django.utils import timezone

from esoutien.audit.models import AuditEvent
from esoutien.audit.recorder import record

_FLAGS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}

# How far back the sweep looks for entries written without a signal.
SWEEP_WINDOW = timedelta(days=2)


def record_log_entry(
    entry: LogEntry, request: HttpRequest | None = None, *, swept: bool = False
) -> AuditEvent:
    content_type = cast(ContentType | None, entry.content_type)
    model = f"{content_type.app_label}.{content_type.model}" if content_type else ""
    data: dict[str, Any] = {
        "log_entry": entry.pk,
        "change": _FLAGS.get(entry.action_flag, str(entry.action_flag)),
        "model": model,
        "object_id": "" if entry.object_id is None else str(entry.object_id),
        "message": entry.get_change_message(),
    }
    if swept:
        data["swept"] = True
    # Only the request of the admin user who made the change gives an address.
    if request is not None and getattr(getattr(request, "user", None), "pk", None) != entry.user_id:
        request = None
    return record(
        "admin_change",
        request=request,
        actor=entry.user,
        target=f"{model} {entry.object_repr}".strip(),
        data=data,
        at=entry.action_time,
    )


def sweep(now: datetime | None = None) -> int:
    """Copy the recent ``LogEntry`` rows that have no audit record (bulk deletions)."""
    since = (now or timezone.now()) - SWEEP_WINDOW
    entries = LogEntry.objects.filter(action_time__gte=since).select_related("user", "content_type")
    candidates = {entry.pk: entry for entry in entries}
    if not candidates:
        return 0
    copied = {
        value
        for value in AuditEvent.objects.filter(
            action="admin_change", created_at__gte=since - timedelta(minutes=5)
        ).values_list("data__log_entry", flat=True)
        if value is not None
    }
    missing = [entry for pk, entry in sorted(candidates.items()) if pk not in copied]
    for entry in missing:
        record_log_entry(entry, swept=True)
    return len(missing)
