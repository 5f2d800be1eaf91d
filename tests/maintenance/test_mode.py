"""Maintenance mode: during a window on e-soutien itself, pages answer 503 with Retry-After,
the APIs 503 problem+json; provider staff keep working, and that is recorded once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from esoutien.api.tokens import create_token
from esoutien.audit.models import AuditEvent
from esoutien.operations import maintenance
from tests.api.conftest import problem
from tests.maintenance.conftest import END, START, publish

pytestmark = pytest.mark.django_db

DURATION = int((END - START).total_seconds())  # 9000


@pytest.fixture
def window(clock: Any, contacts: dict[str, list[str]]) -> Any:
    return publish()


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_portal_is_in_maintenance_exactly_between_the_bounds(
    clock: Any, window: Any, alice: Any
) -> None:
    client = _client(alice)
    clock.move_to(START - timedelta(microseconds=1))
    assert client.get("/portal/").status_code == 200

    clock.move_to(START)
    response = client.get("/portal/")
    assert response.status_code == 503
    assert response["Retry-After"] == str(DURATION)
    assert b'id="maintenance-window"' in response.content
    assert "Migration de la base de données" in response.content.decode()

    clock.move_to(END - timedelta(seconds=1))
    response = client.get("/portal/tickets/new/")
    assert (response.status_code, response["Retry-After"]) == (503, "1")

    clock.move_to(END)
    assert client.get("/portal/").status_code == 200


def test_the_maintenance_page_says_when_it_ends_in_the_visitors_language(
    clock: Any, window: Any
) -> None:
    clock.move_to(START + timedelta(minutes=30))
    client = Client()
    page = client.get("/portal/").content.decode()
    assert "dimanche 6 décembre 2026 à 00 h 30" in page
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        page = client.get("/portal/").content.decode()
    assert "Maintenance in progress" in page
    assert "Sunday 6 December 2026 at 00:30" in page


def test_the_apis_answer_503_problem_json(clock: Any, window: Any, alice: Any) -> None:
    _token, secret = create_token(alice, "oss")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    clock.move_to(START + timedelta(hours=2))
    for path in ("/api/v1/tickets", "/tmf-api/troubleTicket/v4/troubleTicket"):
        response = client.get(path)
        body = problem(response, 503, "maintenance")
        assert response["Retry-After"] == str(30 * 60)
        assert datetime.fromisoformat(body["maintenance"]["ends_at"]) == END
    clock.move_to(END)
    assert client.get("/api/v1/tickets").status_code == 200


def test_sign_in_health_and_static_files_stay_reachable(clock: Any, window: Any) -> None:
    clock.move_to(START + timedelta(minutes=1))
    client = Client()
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/esoutien/site.css").status_code in (200, 404)  # never 503
    assert client.get("/").status_code == 503


def test_provider_staff_keep_working_and_the_bypass_is_recorded_once(
    clock: Any, window: Any, supervisor: Any, agent: Any
) -> None:
    clock.move_to(START + timedelta(minutes=5))
    client = _client(supervisor)
    assert client.get("/desk/").status_code == 200
    assert client.get("/desk/maintenance/").status_code == 200
    records = AuditEvent.objects.filter(action="maintenance_bypass")
    assert list(records.values_list("actor_email", flat=True)) == [supervisor.email]
    assert records.get().target == f"maintenance {window.pk}"

    # With an API token: one record per token and window, whatever the number of calls.
    _token, secret = create_token(agent, "script")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    assert api.get("/api/v1/tickets").status_code == 200
    assert api.get("/api/v1/maintenance-windows").status_code == 200
    assert records.filter(actor_email=agent.email).count() == 1
    assert records.count() == 2


def test_a_window_on_e_services_only_does_not_stop_the_portal(
    clock: Any, contacts: dict[str, list[str]], esav: Any, alice: Any
) -> None:
    publish(affects_portal=False, eservices=[esav.code])
    clock.move_to(START + timedelta(minutes=1))
    assert _client(alice).get("/portal/").status_code == 200


def test_cancelling_a_window_in_progress_ends_maintenance_mode_at_once(
    clock: Any, window: Any, alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    clock.move_to(START + timedelta(minutes=1))
    client = _client(alice)
    assert client.get("/portal/").status_code == 503
    with django_capture_on_commit_callbacks(execute=True):
        maintenance.cancel(None, window.pk)
    assert client.get("/portal/").status_code == 200
