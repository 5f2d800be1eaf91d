"""`esoutien maintenance list|create|update|cancel`, for runbooks."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from esoutien.audit.models import AuditEvent
from esoutien.mail.models import OutboundEmail
from esoutien.operations.models import MaintenanceWindow, WindowState

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted in English; runbooks get the product's language (French)."""
    with translation.override("en"):
        yield


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("maintenance", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_create_list_update_and_cancel(
    clock: Any, contacts: dict[str, list[str]], esav: Any, supervisor: Any
) -> None:
    line = run(
        "create",
        "--start", "2026-12-05 22:00",
        "--end", "2026-12-06 00:30",
        "--title", "Migration e-SAV",
        "--eservice", esav.code,
        "--by", supervisor.email,
    )  # fmt: skip
    window = MaintenanceWindow.objects.get()
    assert window.starts_at == datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
    assert window.ends_at == datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    assert [e.code for e in window.eservices.all()] == [esav.code]
    assert window.created_by == supervisor
    assert "2026-12-05 22:00 → 2026-12-06 00:30 (2 h 30)" in line
    assert OutboundEmail.objects.filter(kind="maintenance_published").count() == 3

    assert f"{window.pk}\tNOUVEAU" in run("list")

    run("update", str(window.pk), "--end", "2026-12-06 01:00", "--portal")
    window.refresh_from_db()
    assert (window.state, window.affects_portal, window.sequence) == (
        WindowState.RESCHEDULED,
        True,
        1,
    )

    run("cancel", str(window.pk))
    window.refresh_from_db()
    assert window.state == WindowState.CANCELLED
    assert OutboundEmail.objects.filter(kind="maintenance_cancelled").count() == 3
    assert run("list") == ""
    assert "ANNULE" in run("list", "--all")
    assert AuditEvent.objects.filter(action="maintenance_cancelled").count() == 1


def test_bad_input_is_refused_with_a_clear_message(clock: Any, esav: Any) -> None:
    with pytest.raises(CommandError, match="expected YYYY-MM-DD HH:MM"):
        run("create", "--start", "05/12 22h", "--end", "2026-12-06 00:30", "--title", "x",
            "--portal")  # fmt: skip
    with pytest.raises(CommandError, match="ends_at"):
        run("create", "--start", "2026-12-05 22:00", "--end", "2026-12-05 21:00",
            "--title", "x", "--portal")  # fmt: skip
    with pytest.raises(CommandError, match="eservices"):
        run("create", "--start", "2026-12-05 22:00", "--end", "2026-12-05 23:00",
            "--title", "x", "--eservice", "nope")  # fmt: skip
    with pytest.raises(CommandError, match="No such maintenance window"):
        run("cancel", "4242")
    assert not MaintenanceWindow.objects.exists()
