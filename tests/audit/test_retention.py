"""The audit log is append-only and kept for the retention period, then purged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from esoutien.audit import tasks
from esoutien.audit.models import AuditEvent
from esoutien.audit.recorder import record

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 3, 20, tzinfo=UTC)


def test_the_daily_purge_deletes_only_records_past_the_retention(settings: Any, alice: Any) -> None:
    assert settings.ESOUTIEN_AUDIT_RETENTION_DAYS == 365
    old = record("login", actor=alice, at=NOW - timedelta(days=366))
    edge = record("login", actor=alice, at=NOW - timedelta(days=364, hours=23))
    recent = record("logout", actor=alice, at=NOW - timedelta(days=1))
    with time_machine.travel(NOW, tick=False):
        assert tasks.purge_audit_log.call_local() == 1
    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert old.pk not in remaining
    assert {edge.pk, recent.pk} <= remaining
    [purge] = AuditEvent.objects.filter(action="audit_purged")
    assert purge.data == {"count": 1, "retention_days": 365}
    assert purge.created_at == NOW
    assert purge.actor is None


def test_the_retention_is_configurable(settings: Any, alice: Any) -> None:
    settings.ESOUTIEN_AUDIT_RETENTION_DAYS = 30
    record("login", actor=alice, at=NOW - timedelta(days=31))
    record("login", actor=alice, at=NOW - timedelta(days=29))
    with time_machine.travel(NOW, tick=False):
        assert tasks.purge_audit_log.call_local() == 1
    assert AuditEvent.objects.filter(action="login").count() == 1


def test_records_cannot_be_changed(alice: Any) -> None:
    event = record("login", actor=alice)
    event.action = "logout"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).update(action="logout")
    assert AuditEvent.objects.get(pk=event.pk).action == "login"


def test_a_deleted_account_leaves_its_records_readable(alfa: Any) -> None:
    user = get_user_model().objects.create_user(
        email="ephemere@alfa.example", role="operator_member", operator=alfa
    )
    event = record("login", actor=user)
    user.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor, event.actor_email, event.operator_code) == (
        None,
        "ephemere@alfa.example",
        "ALFA",
    )


def test_the_admin_shows_the_journal_read_only(client: Any, administrator: Any) -> None:
    event = record("login", actor=administrator)
    client.force_login(administrator)
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    change = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert change.status_code == 200
    assert b'name="action"' not in change.content  # no editable field
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    delete = client.get(reverse("admin:audit_auditevent_delete", args=[event.pk]))
    assert delete.status_code == 403
