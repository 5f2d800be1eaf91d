"""Declaring the state of e-soutien: command line, API (supervisors write), desk page."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from esoutien import cli
from esoutien.audit.models import AuditEvent
from esoutien.core import clock
from esoutien.status import state
from esoutien.status.models import ServiceIncident
from tests.api.conftest import Api, problem

pytestmark = pytest.mark.django_db


def test_cli_sets_and_ends_the_declared_state(capsys: Any) -> None:
    call_command(
        "service_state", "set", "degraded", "--message", "Lenteurs", "--message-en", "Slow"
    )
    assert capsys.readouterr().out.startswith("degraded")
    incident = ServiceIncident.objects.get()
    assert (incident.state, incident.message_fr, incident.message_en) == (
        "degraded",
        "Lenteurs",
        "Slow",
    )
    call_command("service_state", "set", "down", "--message", "Panne totale")
    assert state.state_at(clock.now())[0] == "down"
    call_command("service_state", "set", "operational")
    assert not ServiceIncident.objects.filter(ended_at__isnull=True).exists()
    assert ServiceIncident.objects.count() == 2  # the history keeps each state
    assert AuditEvent.objects.filter(action="service_state_set").count() == 3


def test_cli_refuses_a_degraded_state_without_a_message() -> None:
    with pytest.raises(CommandError):
        call_command("service_state", "set", "down")
    assert not ServiceIncident.objects.exists()


def test_the_console_script_knows_the_hyphenated_name(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setattr(sys, "argv", ["esoutien", "service-state", "show"])
    cli.main()
    assert capsys.readouterr().out.strip() == "operational"


def test_api_service_state_is_read_by_anyone_signed_in_and_written_by_supervisors(
    alice: Any, supervisor: Any, agent: Any
) -> None:
    as_alice, as_agent, as_supervisor = Api(alice), Api(agent), Api(supervisor)
    assert as_alice.get("service-state").json()["state"] == "operational"

    body = {"state": "down", "message": "Panne"}
    problem(
        as_alice.client.put("/api/v1/service-state", body, "application/json"), 403, "forbidden"
    )
    problem(
        as_agent.client.put("/api/v1/service-state", body, "application/json"), 403, "forbidden"
    )
    assert Client().get("/api/v1/service-state").status_code == 401

    no_message = as_supervisor.client.put(
        "/api/v1/service-state", {"state": "degraded"}, "application/json"
    )
    problem(no_message, 422, "validation_error")
    response = as_supervisor.client.put("/api/v1/service-state", body, "application/json")
    assert response.status_code == 200
    assert response.json()["state"] == "down" and response.json()["message"] == "Panne"
    assert as_alice.get("service-state").json()["declared"] == "down"
    back = as_supervisor.client.put(
        "/api/v1/service-state", {"state": "operational"}, "application/json"
    )
    assert back.json()["state"] == "operational"


def test_supervisors_declare_the_state_from_the_desk(
    client: Client, supervisor: Any, agent: Any
) -> None:
    client.force_login(agent)
    assert client.get("/desk/service-state/").status_code == 403
    client.force_login(supervisor)
    assert client.get("/desk/service-state/").status_code == 200
    response = client.post(
        "/desk/service-state/", {"state": "degraded", "message_fr": "Lenteurs", "message_en": ""}
    )
    assert response.status_code == 302
    assert ServiceIncident.objects.get().message_fr == "Lenteurs"
    refused = client.post("/desk/service-state/", {"state": "down", "message_fr": ""})
    assert refused.status_code == 200  # the form again, with the error
    assert ServiceIncident.objects.get(ended_at__isnull=True).state == "degraded"
