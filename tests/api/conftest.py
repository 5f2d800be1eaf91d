"""The cast of the API tests, each with a personal bearer token, and a JSON client per person.

* alice: ALFA member (ALFA subscribes to e-SAV and Éligibilité FTTE);
* bob: BRAV member (BRAV subscribes to e-SAV only);
* esav_agent: an agent whose team works e-SAV only;
* supervisor: sees every ticket.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from esoutien.api.tokens import create_token
from tests.factories import AgentFactory

PROBLEM_JSON = "application/problem+json"


class Api:
    """A Django test client sending ``Authorization: Bearer <token>`` and JSON bodies."""

    def __init__(self, user: Any, secret: str | None = None, **client_kwargs: Any) -> None:
        self.user = user
        self.secret = secret if secret is not None else create_token(user, "tests")[1]
        self.client = Client(headers={"Authorization": f"Bearer {self.secret}"}, **client_kwargs)

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: Any) -> Any:
        return self.client.get(_url(path), params or {}, headers=headers)

    def post(self, path: str, body: Any = None, **headers: Any) -> Any:
        data = "" if body is None else json.dumps(body)
        return self.client.post(_url(path), data, content_type="application/json", headers=headers)

    def upload(self, path: str, files: list[Any], **extra: Any) -> Any:
        return self.client.post(_url(path), {"files": files, **extra})

    def transition(self, reference: str, action: str, **fields: Any) -> Any:
        return self.post(f"tickets/{reference}/transitions", {"action": action, **fields})


def _url(path: str) -> str:
    return path if path.startswith("/") else f"/api/v1/{path}"


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert an RFC 9457 answer with this status and stable code; return its body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert set(body) >= {"type", "title", "status", "code", "detail", "errors"}
    return body


def fields(body: dict[str, Any]) -> set[str]:
    """The field names a problem's ``errors`` point at."""
    return {e["field"] for e in body["errors"]}


def ticket_body(eservice: str = "esav", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "eservice": eservice,
        "kind": "incident",
        "severity": "major",
        "subject": "Commande bloquée à l'étape de raccordement",
        "description": "La commande reste bloquée depuis ce matin, code retour 503.",
        "contact_email": "noc@alfa.example",
    }
    body.update(overrides)
    return body


@pytest.fixture
def esav_agent(esav: Any) -> Any:
    return AgentFactory(email="agent-esav@fournisseur.example", eservices=[esav])


@pytest.fixture
def as_alice(alice: Any) -> Api:
    return Api(alice)


@pytest.fixture
def as_bob(bob: Any) -> Api:
    return Api(bob)


@pytest.fixture
def as_agent(esav_agent: Any) -> Api:
    return Api(esav_agent)


@pytest.fixture
def as_supervisor(supervisor: Any) -> Api:
    return Api(supervisor)
