"""The TMF621 facade's cast: a bearer-token JSON client per person, TMF and /api/v1 paths.

* alice: ALFA member (ALFA subscribes to e-SAV and Éligibilité FTTE);
* alfa_manager: ALFA manager (registers hub listeners);
* bob: BRAV member (BRAV subscribes to e-SAV only);
* esav_agent: an agent whose team works e-SAV.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from esoutien.api.tokens import create_token
from tests.factories import AgentFactory, ManagerFactory

TMF = "/tmf-api/troubleTicket/v4/"
V1 = "/api/v1/"
PROBLEM_JSON = "application/problem+json"


class Api:
    """A Django test client sending ``Authorization: Bearer <token>`` and JSON bodies.

    Paths are relative to the TMF621 base; ``/api/v1/...`` and other absolute paths as given.
    """

    def __init__(self, user: Any) -> None:
        self.user = user
        secret = create_token(user, "tests")[1]
        self.client = Client(headers={"Authorization": f"Bearer {secret}"})

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(_url(path), params or {})

    def post(self, path: str, body: Any, **headers: Any) -> Any:
        return self.client.post(
            _url(path), json.dumps(body), content_type="application/json", headers=headers
        )

    def patch(
        self, path: str, body: Any, content_type: str = "application/merge-patch+json"
    ) -> Any:
        return self.client.patch(_url(path), json.dumps(body), content_type=content_type)

    def delete(self, path: str) -> Any:
        return self.client.delete(_url(path))


def _url(path: str) -> str:
    return path if path.startswith("/") else f"{TMF}{path}"


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert problem+json with this status and code, that is also a TMF Error."""
    assert response.status_code == status, (response.status_code, response.content[:800])
    assert response["Content-Type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert set(body) >= {"type", "title", "status", "code", "detail", "errors", "reason", "message"}
    assert body["reason"] == body["title"] and body["message"] == body["detail"]
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body["errors"]}


def tmf_ticket(**overrides: Any) -> dict[str, Any]:
    """A complete TroubleTicket_Create body (ALFA on e-SAV)."""
    body: dict[str, Any] = {
        "@type": "TroubleTicket",
        "name": "Commande bloquée à l'étape de raccordement",
        "description": "La commande reste bloquée depuis ce matin, code retour 503.",
        "severity": "Major",
        "ticketType": "Incident",
        "externalId": "ALFA-INC-0042",
        "relatedParty": [
            {
                "role": "contact",
                "name": "Centre de supervision",
                "@referredType": "Individual",
                "contactMedium": [
                    {"mediumType": "email", "characteristic": {"emailAddress": "noc@alfa.example"}},
                    {"mediumType": "phone", "characteristic": {"phoneNumber": "+33 1 23 45 67 89"}},
                ],
            }
        ],
        "troubleTicketCharacteristic": [
            {"name": "eservice", "value": "esav"},
            {"name": "lineReference", "value": "FI-1234-5678"},
            {"name": "siteAddress", "value": "12 rue de la Fibre, 75011 Paris"},
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture
def esav_agent(esav: Any) -> Any:
    return AgentFactory(email="agent-esav@fournisseur.example", eservices=[esav])


@pytest.fixture
def alfa_manager(alfa: Any) -> Any:
    return ManagerFactory(email="manager@alfa.example", full_name="Marc Manager", operator=alfa)


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
def as_manager(alfa_manager: Any) -> Api:
    return Api(alfa_manager)
