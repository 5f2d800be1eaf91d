from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from huey.contrib.djhuey import HUEY
from huey.storage import MemoryStorage

from esoutien.webhooks import endpoints
from esoutien.webhooks.models import EventType, WebhookEndpoint
from tests.factories import ManagerFactory
from tests.webhooks.receiver import WebhookReceiver


@pytest.fixture(autouse=True)
def _webhook_settings(settings: Any) -> None:
    # Receivers in tests are plain-HTTP servers on 127.0.0.1.
    settings.ESOUTIEN_WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    settings.ESOUTIEN_WEBHOOK_TIMEOUT_SECONDS = 10
    settings.ESOUTIEN_BASE_URL = "http://testserver"
    # Pages render {% static %}; tests do not run collectstatic, so no manifest exists.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A real HTTP receiver on loopback, started."""
    server = WebhookReceiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def manon(alfa: Any) -> Any:
    """ALFA's operator manager."""
    return ManagerFactory(email="manon@alfa.example", full_name="Manon Manager", operator=alfa)


@pytest.fixture
def brav_manager(brav: Any) -> Any:
    return ManagerFactory(email="boris@brav.example", full_name="Boris Manager", operator=brav)


def register(
    manager: Any, url: str, events: list[str] | None = None, **kwargs: Any
) -> tuple[WebhookEndpoint, str]:
    """An endpoint registered as a manager does it (through the service)."""
    return endpoints.create_endpoint(
        manager,
        manager.operator_id,
        url=url,
        event_types=events if events is not None else EventType.values,
        **kwargs,
    )


@pytest.fixture
def queued_huey(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The queue as in production (tasks are stored, a worker runs them), in memory.

    The suite runs Huey in immediate mode, where enqueueing a task runs it inline; this
    fixture puts a real queue back so a test can see what the worker is handed.
    """
    monkeypatch.setattr(HUEY, "_immediate", False)
    monkeypatch.setattr(HUEY, "storage", MemoryStorage(HUEY.name))
    return HUEY


def run_worker(huey: Any, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What ``esoutien worker`` does, inline: run every queued task; their results."""
    results = []
    # Outside immediate mode db_task closes the connection around a task, which would end
    # the test's transaction: run the tasks as the immediate mode does.
    monkeypatch.setattr(HUEY, "_immediate", True)
    while (task := huey.dequeue()) is not None:
        results.append(huey.execute(task))
    return results
