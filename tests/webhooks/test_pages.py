"""The "Webhooks" page of operator managers: register, see the secret once, manage, redeliver."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from esoutien.audit.models import AuditEvent
from esoutien.webhooks import outbox
from esoutien.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.factories import AdministratorFactory, file_ticket
from tests.support import queries_to_render
from tests.webhooks.conftest import register
from tests.webhooks.receiver import WebhookReceiver

pytestmark = pytest.mark.django_db

LIST = "/portal/webhooks/"


def _secret_in(html: str) -> str | None:
    found = re.search(r"whsec_[A-Za-z0-9_\-]{20,}", html)
    return found.group(0) if found else None


def test_a_manager_registers_an_endpoint_and_sees_the_secret_once(
    client: Any, manon: Any, receiver: WebhookReceiver, alice: Any, alfa: Any, esav: Any
) -> None:
    client.force_login(manon)
    assert client.get(reverse("profile")).content.decode().count(LIST) == 1

    page = client.post(
        LIST,
        {
            "url": receiver.url,
            "description": "Notre OSS",
            "events": ["ticket.created", "ticket.resolved"],
        },
    )

    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    secret = _secret_in(page.content.decode())
    endpoint = WebhookEndpoint.objects.get()
    assert secret == endpoint.secret
    assert (endpoint.operator, endpoint.url, endpoint.description) == (
        alfa,
        receiver.url,
        "Notre OSS",
    )
    assert endpoint.event_types == ["ticket.created", "ticket.resolved"]
    assert endpoint.created_by == manon
    record = AuditEvent.objects.get(action="webhook_created")
    assert (record.actor, record.operator_code, record.target) == (
        manon,
        "ALFA",
        f"webhook {endpoint.pk}",
    )
    # Never again, on any page.
    assert _secret_in(client.get(LIST).content.decode()) is None
    assert _secret_in(client.get(f"{LIST}{endpoint.pk}/").content.decode()) is None

    # The secret received is the one that signs.
    file_ticket(alice, alfa, esav)
    outbox.deliver_due()
    (got,) = receiver.received
    assert got.signature_is_valid(secret)


@pytest.mark.parametrize(
    ("url", "events"),
    [
        ("http://operateur.example/hooks", ["ticket.created"]),  # not HTTPS
        ("https://10.1.2.3/hooks", ["ticket.created"]),  # a private address
        ("https://user:pw@operateur.example/hooks", ["ticket.created"]),  # credentials
        ("pas une url", ["ticket.created"]),
        ("https://operateur.example/hooks", []),  # no event
        ("https://operateur.example/hooks", ["ticket.deleted"]),  # not an event
    ],
)
def test_bad_input_registers_nothing(client: Any, manon: Any, url: str, events: list[str]) -> None:
    client.force_login(manon)
    page = client.post(LIST, {"url": url, "events": events})
    assert page.status_code == 200
    assert 'class="error-summary"' in page.content.decode()
    assert _secret_in(page.content.decode()) is None
    assert not WebhookEndpoint.objects.exists()
    assert not AuditEvent.objects.filter(action="webhook_created").exists()


def test_plain_http_to_loopback_needs_the_development_switch(
    client: Any, settings: Any, manon: Any
) -> None:
    settings.ESOUTIEN_WEBHOOK_ALLOW_HTTP_LOOPBACK = False
    settings.DEBUG = False
    client.force_login(manon)
    client.post(LIST, {"url": "http://127.0.0.1:9999/hooks", "events": ["ticket.created"]})
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("who", ["alice", "agent", "supervisor", "administrator"])
def test_only_operator_managers_have_the_page(
    client: Any, who: str, request: pytest.FixtureRequest, manon: Any, receiver: WebhookReceiver
) -> None:
    endpoint, _ = register(manon, receiver.url)
    user = AdministratorFactory() if who == "administrator" else request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(LIST).status_code == 403
    assert client.get(f"{LIST}{endpoint.pk}/").status_code == 403
    assert client.post(f"{LIST}{endpoint.pk}/delete/").status_code == 403
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_anonymous_visitors_are_sent_to_login(client: Any) -> None:
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_another_operators_endpoint_is_not_found(
    client: Any,
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
    client.force_login(manon)

    def answer(method: str, path: str) -> tuple[int, str]:
        response = client.get(path) if method == "GET" else client.post(path)
        # The page carries its own path (the language switch comes back to it) and a CSRF
        # token masked afresh on every page.
        body = response.content.decode().replace(path, "<path>")
        return response.status_code, re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)

    for method, suffix in (
        ("GET", ""),
        ("POST", "active/"),
        ("POST", "delete/"),
        ("POST", f"deliveries/{delivery.delivery_id}/redeliver/"),
    ):
        status, body = answer(method, f"{LIST}{theirs.pk}/{suffix}")
        assert status == 404, suffix
        assert (status, body) == answer(method, f"{LIST}999999/{suffix}")
    assert receiver.url not in client.get(LIST).content.decode()
    theirs.refresh_from_db()
    assert theirs.is_active


def test_disable_enable_and_delete(
    client: Any, manon: Any, receiver: WebhookReceiver, alice: Any, alfa: Any, esav: Any
) -> None:
    endpoint, _ = register(manon, receiver.url)
    client.force_login(manon)

    client.post(f"{LIST}{endpoint.pk}/active/", {"active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    file_ticket(alice, alfa, esav)
    assert not WebhookDelivery.objects.exists(), "a disabled endpoint gets nothing"

    client.post(f"{LIST}{endpoint.pk}/active/", {"active": "1"})
    endpoint.refresh_from_db()
    assert endpoint.is_active

    response = client.post(f"{LIST}{endpoint.pk}/delete/")
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="webhook_")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["webhook_created", "webhook_disabled", "webhook_enabled", "webhook_deleted"]


def test_deliveries_are_listed_and_can_be_redelivered(
    client: Any, manon: Any, receiver: WebhookReceiver, alice: Any, alfa: Any, esav: Any
) -> None:
    endpoint, _ = register(manon, receiver.url)
    ticket = file_ticket(alice, alfa, esav)
    receiver.answer_with([404], answer="no such hook")
    outbox.deliver_due()
    delivery = WebhookDelivery.objects.get()
    client.force_login(manon)

    page = client.get(f"{LIST}{endpoint.pk}/").content.decode()
    assert str(delivery.delivery_id) in page
    assert ticket.reference in page
    assert "HTTP 404" in page
    assert "no such hook" in page
    assert "The receiver answered HTTP 404." in page

    response = client.post(f"{LIST}{endpoint.pk}/deliveries/{delivery.delivery_id}/redeliver/")
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status in (DeliveryStatus.QUEUED, DeliveryStatus.DELIVERED)
    outbox.deliver_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert [r.delivery_id for r in receiver.received] == [str(delivery.delivery_id)] * 2


def test_the_deliveries_page_costs_a_fixed_number_of_queries(
    client: Any, manon: Any, receiver: WebhookReceiver, alice: Any, alfa: Any, esav: Any
) -> None:
    endpoint, _ = register(manon, receiver.url)
    client.force_login(manon)
    file_ticket(alice, alfa, esav)
    few = queries_to_render(client, f"{LIST}{endpoint.pk}/")
    for _ in range(5):
        file_ticket(alice, alfa, esav)
    outbox.deliver_due()
    assert queries_to_render(client, f"{LIST}{endpoint.pk}/") == few
    assert queries_to_render(client, LIST) <= few + 2
