"""The public status page (/statut), its JSON and Atom feed — also with the database stopped."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client

from esoutien.operations.models import MaintenanceWindow, WindowState
from esoutien.status import health, state
from esoutien.status.models import HealthCheckRecord, ServiceIncident

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 5, 4, 10, 0, tzinfo=PARIS)
ATOM = "{http://www.w3.org/2005/Atom}"


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def scene(db: None, esav: Any, ftte: Any, supervisor: Any) -> dict[str, Any]:
    """An incident on e-soutien, one on e-SAV, a planned window, an old resolved incident."""
    with time_machine.travel(NOW - timedelta(days=20), tick=False):
        state.set_service_state(supervisor, "down", "Panne du mois dernier", "Last month's outage")
    with time_machine.travel(NOW - timedelta(days=19), tick=False):
        state.set_service_state(supervisor, "operational")
    with time_machine.travel(NOW - timedelta(minutes=30), tick=False):
        state.set_service_state(
            supervisor, "degraded", "Lenteurs sur le portail", "The portal is slow"
        )
    esav_incident = ServiceIncident.objects.create(
        state="down",
        message_fr="e-SAV ne répond plus",
        message_en="e-SAV does not answer",
        started_at=NOW - timedelta(minutes=10),
    )
    esav_incident.eservices.add(esav)
    window = MaintenanceWindow.objects.create(
        uid="upgrade-2026@e-soutien",
        title_fr="Montée de version",
        title_en="Upgrade",
        description_fr="Interruption de 2 h.",
        starts_at=NOW + timedelta(days=3),
        ends_at=NOW + timedelta(days=3, hours=2),
        affects_portal=True,
        state=WindowState.PLANNED,
    )
    window.eservices.add(ftte)
    return {"window": window}


def test_status_page_shows_the_state_incidents_windows_and_history(
    client: Client, scene: dict[str, Any]
) -> None:
    with time_machine.travel(NOW, tick=False):
        response = english(client).get("/statut")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-state="degraded"' in html
    assert "The portal is slow" in html  # English message for an English reader
    assert 'id="eservice-esav" data-state="down"' in html
    assert 'id="eservice-ftte" data-state="operational"' in html
    assert "Upgrade" in html and "Last month&#x27;s outage" in html
    assert "hotline@e-soutien.localhost" in html
    assert 'id="status-stale"' not in html
    assert "À qualifier" not in html


def test_status_json_and_feed(client: Client, scene: dict[str, Any]) -> None:
    with time_machine.travel(NOW, tick=False):
        data = client.get("/statut.json").json()
        feed = client.get("/statut/feed.atom")
    assert data["state"] == "degraded" and data["live"] is True
    assert [r["kind"] for r in data["reasons"]] == ["incident"]
    assert {e["code"]: e["state"] for e in data["eservices"]} == {
        "esav": "down",
        "ftte": "operational",
    }
    assert [w["uid"] for w in data["windows"]] == ["upgrade-2026@e-soutien"]
    assert [i["message_fr"] for i in data["history"]["incidents"]] == ["Panne du mois dernier"]
    assert feed["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert len(titles) == 4
    assert any("Montée de version" in t for t in titles)


def test_maintenance_in_progress_makes_e_soutien_down(
    client: Client, scene: dict[str, Any]
) -> None:
    with time_machine.travel(NOW + timedelta(days=3, hours=1), tick=False):
        data = client.get("/statut.json").json()
    assert data["state"] == "down"
    assert "maintenance" in [r["kind"] for r in data["reasons"]]
    assert {e["code"]: e["maintenance"] for e in data["eservices"]} == {
        "esav": False,
        "ftte": True,
    }


# --- The database stopped ---------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def database_stopped(tmp_path: Any) -> Iterator[None]:
    """Point the connection at a database that is not there: a closed port on PostgreSQL, a
    file in a missing directory on SQLite. Every query then fails to connect."""
    settings_dict = connection.settings_dict
    saved = dict(settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    else:
        settings_dict["NAME"] = str(tmp_path / "missing-dir" / "db.sqlite3")
    try:
        yield
    finally:
        connection.close()
        settings_dict.clear()
        settings_dict.update(saved)
        connection.ensure_connection()


@pytest.mark.django_db(transaction=True)
def test_status_page_is_served_from_the_last_known_state_with_the_database_stopped(
    scene: dict[str, Any], tmp_path: Any
) -> None:
    client = english(Client())
    with time_machine.travel(NOW, tick=False):
        assert client.get("/statut").status_code == 200  # refreshes the last known state
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False), database_stopped(tmp_path):
        page = client.get("/statut")
        data = client.get("/statut.json").json()
        feed = client.get("/statut/feed.atom")
        healthz = client.get("/healthz")
        readyz = client.get("/readyz")
        browsers = client.get("/navigateurs")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="status-stale"' in html
    assert "04/05/2026 10:00" in html  # when the state shown was known
    assert 'data-state="down"' in html  # no database, no e-soutien
    assert "The portal is slow" in html and "Upgrade" in html
    assert data["live"] is False and data["state"] == "down"
    assert data["last_updated"].startswith("2026-05-04T08:00")
    assert feed.status_code == 200
    assert healthz.status_code == 200
    assert readyz.status_code == 503
    assert readyz.json()["checks"]["database"]["ok"] is False
    assert browsers.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_status_page_with_the_database_stopped_and_no_earlier_state(tmp_path: Any) -> None:
    with database_stopped(tmp_path):
        response = english(Client()).get("/statut")
    assert response.status_code == 200
    assert "No earlier state is known." in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_health_results_the_database_refused_are_added_when_it_is_back(tmp_path: Any) -> None:
    with time_machine.travel(NOW, tick=False), database_stopped(tmp_path):
        results = health.run_checks(["database"])
        assert health.record(results, NOW) is None
    assert not HealthCheckRecord.objects.exists()
    later = NOW + timedelta(minutes=1)
    health.record(health.run_checks(["database"]), later)
    assert list(HealthCheckRecord.objects.order_by("checked_at").values_list("ok", flat=True)) == [
        False,
        True,
    ]
