"""The banner on every page announces the windows starting within 7 days, and costs at most
one query every 30 seconds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.maintenance.conftest import END, START, publish

pytestmark = pytest.mark.django_db

BANNER = b'id="maintenance-banner"'


@pytest.fixture
def client(alice: Any) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def test_shown_within_seven_days_not_eight_and_while_in_progress(
    clock: Any, contacts: dict[str, list[str]], client: Client
) -> None:
    window = publish()
    clock.move_to(START - timedelta(days=8))
    assert BANNER not in client.get("/portal/").content
    clock.move_to(START - timedelta(days=7, seconds=1))
    assert BANNER not in client.get("/portal/").content

    clock.move_to(START - timedelta(days=7))
    page = client.get("/portal/").content
    assert BANNER in page
    assert f'data-window="{window.pk}"'.encode() in page
    assert "samedi 5 décembre 2026 à 22 h 00" in page.decode()
    assert "2 h 30" in page.decode()

    clock.move_to(END)
    assert BANNER not in client.get("/portal/").content


def test_e_service_windows_show_on_the_desk_too_with_what_is_affected(
    clock: Any, contacts: dict[str, list[str]], esav: Any, supervisor: Any
) -> None:
    publish(affects_portal=False, eservices=[esav.code])
    clock.move_to(START + timedelta(minutes=10))
    client = Client()
    client.force_login(supervisor)
    client.cookies["django_language"] = "en"
    page = client.get("/desk/").content.decode()
    assert "In progress:" in page
    assert "Affected e-services: e-SAV." in page


def test_the_banner_reads_the_database_at_most_once_per_30_seconds(
    clock: Any, contacts: dict[str, list[str]], client: Client
) -> None:
    publish()
    clock.move_to(START - timedelta(days=1))
    client.get("/portal/")  # warms the session and the cache
    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            assert BANNER in client.get("/portal/").content
    windows_queries = [q for q in captured if "operations_maintenancewindow" in q["sql"]]
    assert windows_queries == []
    clock.shift(timedelta(seconds=31))
    with CaptureQueriesContext(connection) as captured:
        assert BANNER in client.get("/portal/").content
    windows_queries = [q for q in captured if '"operations_maintenancewindow"' in q["sql"]]
    assert len(windows_queries) == 1
