"""The cast of the maintenance tests: two operators with notification contacts, a window.

Times: "now" is Friday 20 November 2026, 10:00 in Paris; the window runs from Saturday
5 December 2026 22:00 to Sunday 6 December 00:30 (Paris time, 2 h 30).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from esoutien.operations import maintenance
from esoutien.operations.models import MaintenanceWindow

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=PARIS)
START = datetime(2026, 12, 5, 22, 0, tzinfo=PARIS)
END = datetime(2026, 12, 6, 0, 30, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    # Pages render {% static %}; tests do not run collectstatic, so no manifest exists.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.ESOUTIEN_BASE_URL = "http://testserver"
    settings.ESOUTIEN_MAINTENANCE_REMINDER_HOURS = 24
    # The tests jump weeks ahead: sessions must outlive the idle timeout.
    settings.SESSION_COOKIE_AGE = 365 * 24 * 3600


@pytest.fixture
def clock() -> Iterator[Any]:
    """Time stands still at NOW until the test moves it (``clock.move_to(...)``)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def contacts(alfa: Any, brav: Any) -> dict[str, list[str]]:
    alfa.notification_emails = "noc@alfa.example\nastreinte@alfa.example"
    alfa.save(update_fields=["notification_emails"])
    brav.notification_emails = "supervision@brav.example"
    brav.save(update_fields=["notification_emails"])
    return {
        "ALFA": ["astreinte@alfa.example", "noc@alfa.example"],
        "BRAV": ["supervision@brav.example"],
    }


def publish(actor: Any = None, **fields: Any) -> MaintenanceWindow:
    data = {
        "title_fr": "Migration de la base de données",
        "title_en": "Database migration",
        "description_fr": "Mise à jour de PostgreSQL et du stockage.",
        "starts_at": START,
        "ends_at": END,
        "affects_portal": True,
        "eservices": [],
        **fields,
    }
    return maintenance.publish(actor, maintenance.WindowData(**data))
