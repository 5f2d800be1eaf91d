"""/api/v1/webhooks: managers of the operator and administrators only; foreign is 404."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from esoutien.api.tokens import create_token
from esoutien.audit.models import AuditEvent
from esoutien.webhooks import outbox
from esoutien.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.factories import AdministratorFactory, file_ticket
from tests.webhooks.conftest import register
from tests.webhooks.receiver import WebhookReceiver

pytestmark = pytest.mark.django_db

API = "/api/v1/webhooks"


class Api:
    """A client speaking to the API with one person's bearer token."""

    def __init__(self, user: Any) -> None:
        _, secret = create_token(user, "tests")
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, **self.auth)

    def post(self, path: str, body: Any = None) -> Any:
        data = json.dumps(body) if body is not None else ""
        return self.client.post(path, data, content_type="application/json", **self.auth)

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            path, json.dumps(body), content_type="application/json", **self.auth
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(path, **self.auth)


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def test_a_manager_registers_lists_reads_and_deletes(
    manon: Any, receiver: WebhookReceiver, alice: Any, alfa: Any, esav: Any
) -> None:
    api = Api(manon)
    created = api.post(
        API,
        {
            "url": receiver.url,
            "events": ["ticket.created", "ticket.commented"],
            "description": "OSS",
        },
    )
    assert created.status_code == 201, created.content
    assert created["Cache-Control"] == "no-store"
    body = created.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body["secret"] == endpoint.secret
    assert body["id"] == endpoint.pk
    assert body["href"] == f"http://testserver{API}/{endpoint.pk}"
    assert body["deliveries"] == f"http://testserver{API}/{endpoint.pk}/deliveries"
    assert (body["operator"], body["url"], body["active"], body["created_by"]) == (
        "ALFA",
        receiver.url,
        True,
        "manon@alfa.example",
    )
    assert body["events"] == ["ticket.created", "ticket.commented"]
    assert AuditEvent.objects.filter(action="webhook_created", actor=manon).exists()

    listed = api.get(API)
    assert listed.status_code == 200
    (item,) = listed.json()
    assert "secret" not in item and endpoint.secret not in listed.content.decode()
    assert item == {k: v for k, v in body.items() if k != "secret"}
    one = api.get(f"{API}/{endpoint.pk}")
    assert one.json() == item
    assert endpoint.secret not in one.content.decode()

    file_ticket(alice, alfa, esav)
    outbox.deliver_due()
    assert receiver.received[0].signature_is_valid(body["secret"])

    assert api.delete(f"{API}/{endpoint.pk}").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert AuditEvent.objects.filter(action="webhook_deleted", actor=manon).exists()
    _problem(api.get(f"{API}/{endpoint.pk}"), 404, "not_found")


def test_patch_disables_and_changes_events(manon: Any, receiver: WebhookReceiver) -> None:
    endpoint, _ = register(manon, receiver.url)
    api = Api(manon)
    changed = api.patch(f"{API}/{endpoint.pk}", {"active": False, "events": ["ticket.resolved"]})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["active"], changed.json()["events"]) == (False, ["ticket.resolved"])
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.event_types) == (False, ["ticket.resolved"])
    _problem(
        api.patch(f"{API}/{endpoint.pk}", {"url": "http://example.com/x"}), 422, "validation_error"
    )
    _problem(api.patch(f"{API}/{endpoint.pk}", {"secret": "mine"}), 422, "validation_error")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://operateur.example/hooks", "events": ["ticket.created"]}, "url"),
        ({"url": "https://192.168.1.10/hooks", "events": ["ticket.created"]}, "url"),
        ({"url": "https://operateur.example/hooks", "events": []}, "events"),
        ({"url": "https://operateur.example/hooks", "events": ["ticket.gone"]}, "events.0"),
        ({"url": "https://operateur.example/h", "events": ["ticket.created"], "x": 1}, "x"),
    ],
)
def test_bad_input_is_422_and_saves_nothing(manon: Any, body: dict[str, Any], field: str) -> None:
    problem = _problem(Api(manon).post(API, body), 422, "validation_error")
    assert field in [e["field"] for e in problem["errors"]]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("who", ["alice", "agent", "supervisor"])
def test_non_managers_are_refused(
    who: str, request: pytest.FixtureRequest, manon: Any, receiver: WebhookReceiver
) -> None:
    endpoint, _ = register(manon, receiver.url)
    api = Api(request.getfixturevalue(who))
    body = {"url": "https://operateur.example/hooks", "events": ["ticket.created"]}
    _problem(api.get(API), 403, "forbidden")
    _problem(api.post(API, body), 403, "forbidden")
    _problem(api.get(f"{API}/{endpoint.pk}"), 403, "forbidden")
    _problem(api.delete(f"{API}/{endpoint.pk}"), 403, "forbidden")
    _problem(api.get(f"{API}/{endpoint.pk}/deliveries"), 403, "forbidden")
    assert WebhookEndpoint.objects.count() == 1


def test_anonymous_callers_get_401(manon: Any, receiver: WebhookReceiver) -> None:
    endpoint, _ = register(manon, receiver.url)
    _problem(Client().get(API), 401, "unauthenticated")
    _problem(Client().get(f"{API}/{endpoint.pk}"), 401, "unauthenticated")


def test_another_operators_endpoint_is_404_as_a_missing_one(
    manon: Any,
    brav_manager: Any,
    receiver: WebhookReceiver,
    bob: Any,
    brav: Any,
    esav: Any,
) -> None:
    theirs, _ = register(brav_manager, receiver.url)
    file_ticket(bob, brav, esav)
    delivery = WebhookDelivery.objects.get()
    api = Api(manon)
    assert api.get(API).json() == []
    missing = _problem(api.get(f"{API}/999999"), 404, "not_found")
    for response in (
        api.get(f"{API}/{theirs.pk}"),
        api.patch(f"{API}/{theirs.pk}", {"active": False}),
        api.delete(f"{API}/{theirs.pk}"),
        api.get(f"{API}/{theirs.pk}/deliveries"),
        api.post(f"{API}/{theirs.pk}/deliveries/{delivery.delivery_id}/redeliver"),
    ):
        assert _problem(response, 404, "not_found") == missing
    theirs.refresh_from_db()
    assert theirs.is_active


def test_deliveries_are_listed_newest_first_and_redelivered(
    manon: Any, receiver: WebhookReceiver, alice: Any, alfa: Any, esav: Any
) -> None:
    endpoint, _ = register(manon, receiver.url)
    receiver.answer_with([500], answer="boom")
    first = file_ticket(alice, alfa, esav)
    outbox.deliver_due()
    second = file_ticket(alice, alfa, esav)
    outbox.deliver_due()
    api = Api(manon)

    page = api.get(f"{API}/{endpoint.pk}/deliveries", limit=1)
    assert page.status_code == 200, page.content
    (newest,) = page.json()["items"]
    assert newest["payload"]["ticket"]["reference"] == second.reference
    assert newest["status"] == "delivered"
    following = api.client.get(page.json()["next"], **api.auth).json()
    (oldest,) = following["items"]
    assert following["next"] is None
    assert oldest["payload"]["ticket"]["reference"] == first.reference
    assert (oldest["status"], oldest["attempts"], oldest["last_status_code"]) == ("queued", 1, 500)
    assert (oldest["last_response"], oldest["last_error"]) == (
        "boom",
        "The receiver answered HTTP 500.",
    )
    queued = api.get(f"{API}/{endpoint.pk}/deliveries", status="queued").json()["items"]
    assert [d["delivery_id"] for d in queued] == [oldest["delivery_id"]]

    again = api.post(f"{API}/{endpoint.pk}/deliveries/{oldest['delivery_id']}/redeliver")
    assert again.status_code == 202, again.content
    assert again.json()["status"] == "queued"
    outbox.deliver_due()
    assert WebhookDelivery.objects.get(delivery_id=oldest["delivery_id"]).status == (
        DeliveryStatus.DELIVERED
    )
    _problem(api.post(f"{API}/{endpoint.pk}/deliveries/not-a-uuid/redeliver"), 404, "not_found")


def test_redelivery_on_a_disabled_endpoint_is_a_conflict(
    manon: Any, receiver: WebhookReceiver, alice: Any, alfa: Any, esav: Any
) -> None:
    endpoint, _ = register(manon, receiver.url)
    file_ticket(alice, alfa, esav)
    delivery = WebhookDelivery.objects.get()
    endpoint.is_active = False
    endpoint.save()
    response = Api(manon).post(f"{API}/{endpoint.pk}/deliveries/{delivery.delivery_id}/redeliver")
    _problem(response, 409, "redelivery_not_possible")


def test_administrators_manage_any_operators_endpoints(
    manon: Any, brav: Any, receiver: WebhookReceiver
) -> None:
    alfa_endpoint, _ = register(manon, receiver.url)
    api = Api(AdministratorFactory())
    body = {"url": "https://oss.brav.example/hooks", "events": ["ticket.created"]}
    _problem(api.post(API, body), 422, "validation_error")  # for which operator?
    created = api.post(API, {**body, "operator": "BRAV"})
    assert created.status_code == 201, created.content
    assert created.json()["operator"] == "BRAV"
    assert {e["operator"] for e in api.get(API).json()} == {"ALFA", "BRAV"}
    assert [e["operator"] for e in api.get(API, operator="brav").json()] == ["BRAV"]
    assert api.get(f"{API}/{alfa_endpoint.pk}").status_code == 200
    assert api.delete(f"{API}/{alfa_endpoint.pk}").status_code == 204


def test_the_schema_documents_the_webhook_endpoints(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert set(paths[API]) == {"get", "post"}
    assert set(paths[API + "/{endpoint_id}"]) == {"get", "patch", "delete"}
    assert "get" in paths[API + "/{endpoint_id}/deliveries"]
    redeliver = paths[API + "/{endpoint_id}/deliveries/{delivery_id}/redeliver"]["post"]
    assert {"202", "401", "403", "404", "409"} <= set(redeliver["responses"])
    created = paths[API]["post"]["responses"]["201"]
    assert "WebhookCreatedOut" in json.dumps(created)
