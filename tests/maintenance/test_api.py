"""/api/v1/maintenance-windows: everyone reads, supervisors publish, reschedule and cancel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from esoutien.mail.models import OutboundEmail
from esoutien.operations.models import MaintenanceWindow
from tests.api.conftest import Api, problem
from tests.factories import AdministratorFactory, ManagerFactory
from tests.maintenance.conftest import END, START, publish

pytestmark = pytest.mark.django_db

BODY = {
    "title_fr": "Migration de la base de données",
    "starts_at": "2026-12-05T22:00:00+01:00",
    "ends_at": "2026-12-06T00:30:00+01:00",
    "affects_portal": True,
}


def test_a_supervisor_publishes_reschedules_and_cancels(
    clock: Any, contacts: dict[str, list[str]], supervisor: Any, esav: Any
) -> None:
    api = Api(supervisor)
    response = api.post("maintenance-windows", {**BODY, "eservices": [esav.code]})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "NOUVEAU"
    assert created["duration_minutes"] == 150
    assert created["eservices"] == [esav.code]
    assert OutboundEmail.objects.filter(kind="maintenance_published").count() == 3
    href = created["href"]

    later = {"starts_at": "2026-12-12T22:00:00+01:00", "ends_at": "2026-12-13T01:00:00+01:00"}
    response = api.client.patch(href, later, content_type="application/json")
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["sequence"]) == ("REPLANIFICATION", 1)

    response = api.client.patch(href, {"title_en": "DB"}, content_type="application/json")
    assert (response.json()["state"], response.json()["sequence"]) == ("MAJ", 2)

    response = api.client.patch(href, {"state": "ANNULE"}, content_type="application/json")
    assert (response.json()["state"], response.json()["sequence"]) == ("ANNULE", 3)
    problem(
        api.client.patch(href, {"title_fr": "x"}, content_type="application/json"),
        409,
        "window_closed",
    )
    kinds = sorted(set(OutboundEmail.objects.values_list("kind", flat=True)))
    assert kinds == [
        "maintenance_cancelled",
        "maintenance_published",
        "maintenance_rescheduled",
        "maintenance_updated",
    ]


def test_operators_read_the_list_but_cannot_write(
    clock: Any, contacts: dict[str, list[str]], alice: Any, alfa: Any
) -> None:
    window = publish()
    api = Api(alice)
    response = api.get("maintenance-windows")
    assert response.status_code == 200
    (item,) = response.json()
    assert (item["id"], item["uid"], item["in_progress"]) == (window.pk, window.uid, False)
    assert api.get(f"maintenance-windows/{window.pk}").json()["title_fr"] == window.title_fr

    problem(api.post("maintenance-windows", BODY), 403, "forbidden")
    manager = Api(ManagerFactory(operator=alfa))
    problem(manager.post("maintenance-windows", BODY), 403, "forbidden")
    response = manager.client.patch(
        f"/api/v1/maintenance-windows/{window.pk}",
        {"state": "ANNULE"},
        content_type="application/json",
    )
    problem(response, 403, "forbidden")
    assert MaintenanceWindow.objects.get().state == "NOUVEAU"
    assert OutboundEmail.objects.filter(kind="maintenance_cancelled").count() == 0


def test_anonymous_callers_get_401_and_bad_input_422(clock: Any, supervisor: Any) -> None:
    anonymous = Api(supervisor, secret="es_not-a-token")
    problem(anonymous.get("maintenance-windows"), 401, "unauthenticated")
    api = Api(AdministratorFactory())
    body = problem(
        api.post("maintenance-windows", {**BODY, "ends_at": "2026-12-05T21:00:00+01:00"}),
        422,
        "validation_error",
    )
    assert {e["field"] for e in body["errors"]} == {"ends_at"}
    body = problem(
        api.post("maintenance-windows", {**BODY, "affects_portal": False}),
        422,
        "validation_error",
    )
    assert {e["field"] for e in body["errors"]} == {"eservices"}
    problem(api.get("maintenance-windows/999999"), 404, "not_found")
    response = api.client.patch(
        "/api/v1/maintenance-windows/999999", {"title_fr": "x"}, content_type="application/json"
    )
    problem(response, 404, "not_found")


def test_the_list_shows_what_is_in_progress_and_filters_by_state(
    clock: Any, contacts: dict[str, list[str]], bob: Any
) -> None:
    publish()
    publish(
        title_fr="Plus tard", starts_at=START + timedelta(days=3), ends_at=END + timedelta(days=3)
    )
    clock.move_to(START + timedelta(minutes=1))
    items = Api(bob).get("maintenance-windows", {"state": "NOUVEAU"})
    # Bob is an operator user: the API is in maintenance for him.
    problem(items, 503, "maintenance")
    clock.move_to(END + timedelta(minutes=1))
    items = Api(bob).get("maintenance-windows").json()
    assert [(i["title_fr"], i["in_progress"]) for i in items] == [
        ("Migration de la base de données", False),
        ("Plus tard", False),
    ]
