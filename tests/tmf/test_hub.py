"""The TMF621 hub: listeners are the operator's webhook endpoints sent TMF621 events.

Registration follows the webhooks rules (operator managers, public HTTPS URLs; plain HTTP to
loopback only in tests); a listener receives TroubleTicketCreateEvent,
TroubleTicketStatusChangeEvent, TroubleTicketAttributeValueChangeEvent (a note) and
TroubleTicketResolvedEvent whose ``event.troubleTicket`` is the resource as GET returns it,
signed like every webhook.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from esoutien.tickets import workflow
from esoutien.tickets.models import Ticket
from esoutien.webhooks import endpoints, outbox
from esoutien.webhooks.models import EventType, PayloadFormat, WebhookDelivery, WebhookEndpoint
from tests.tmf.conftest import Api, error_fields, problem, tmf_ticket
from tests.webhooks.receiver import WebhookReceiver

pytestmark = pytest.mark.django_db

ALL_EVENTS = [
    EventType.TICKET_CREATED,
    EventType.TICKET_STATUS_CHANGED,
    EventType.TICKET_COMMENTED,
    EventType.TICKET_RESOLVED,
]


@pytest.fixture(autouse=True)
def _loopback_receivers(settings: Any) -> None:
    settings.ESOUTIEN_WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    settings.ESOUTIEN_BASE_URL = "http://testserver"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(path="/listener")
    server.start()
    yield server
    server.stop()


def _register(api: Api, callback: str, query: str | None = None) -> Any:
    body: dict[str, Any] = {"callback": callback}
    if query is not None:
        body["query"] = query
    return api.post("hub", body)


# --- Register / unregister --------------------------------------------------------------------


def test_manager_registers_and_unregisters_a_listener(as_manager: Api, alfa: Any) -> None:
    response = _register(as_manager, "https://oss.alfa.example/listener")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["callback"] == "https://oss.alfa.example/listener" and body["query"] == ""
    assert body["secret"].startswith("whsec_")
    endpoint = WebhookEndpoint.objects.get(pk=int(body["id"]))
    assert endpoint.operator == alfa
    assert endpoint.payload_format == PayloadFormat.TMF621
    assert endpoint.event_types == ALL_EVENTS
    assert endpoint.secret == body["secret"]

    assert as_manager.delete(f"hub/{body['id']}").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    problem(as_manager.delete(f"hub/{body['id']}"), 404, "not_found")


def test_query_chooses_the_events(as_manager: Api) -> None:
    query = "eventType=TroubleTicketStatusChangeEvent,TroubleTicketResolvedEvent"
    body = _register(as_manager, "https://oss.alfa.example/a", query).json()
    assert body["query"] == query
    endpoint = WebhookEndpoint.objects.get(pk=int(body["id"]))
    assert endpoint.event_types == [EventType.TICKET_STATUS_CHANGED, EventType.TICKET_RESOLVED]
    # "StateChange" is accepted for StatusChange; repeated eventType clauses too.
    query = "eventType=TroubleTicketStateChangeEvent&eventType=TroubleTicketCreateEvent"
    body = _register(as_manager, "https://oss.alfa.example/b", query).json()
    endpoint = WebhookEndpoint.objects.get(pk=int(body["id"]))
    assert endpoint.event_types == [EventType.TICKET_CREATED, EventType.TICKET_STATUS_CHANGED]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"callback": "http://oss.alfa.example/listener"}, "callback"),
        ({"callback": "https://10.0.0.1/listener"}, "callback"),
        ({"callback": "https://oss.alfa.example/l", "query": "eventType=Nope"}, "query"),
        ({"callback": "https://oss.alfa.example/l", "query": "status=resolved"}, "query"),
        ({"callback": "https://oss.alfa.example/l", "secret": "mine"}, "secret"),
    ],
)
def test_bad_registrations_are_refused(as_manager: Api, body: dict[str, Any], field: str) -> None:
    response = as_manager.post("hub", body)
    assert field in error_fields(problem(response, 422, "validation_error"))
    assert not WebhookEndpoint.objects.exists()


def test_members_may_not_register(as_alice: Api) -> None:
    problem(_register(as_alice, "https://oss.alfa.example/listener"), 403, "forbidden")
    assert not WebhookEndpoint.objects.exists()


def test_only_own_tmf_listeners_can_be_unregistered(
    as_manager: Api, alfa_manager: Any, alfa: Any, brav: Any
) -> None:
    from tests.factories import ManagerFactory

    native, _secret = endpoints.create_endpoint(
        alfa_manager, alfa.pk, url="https://oss.alfa.example/native", event_types=ALL_EVENTS
    )
    problem(as_manager.delete(f"hub/{native.pk}"), 404, "not_found")
    brav_manager = Api(ManagerFactory(email="boris@brav.example", operator=brav))
    foreign = _register(brav_manager, "https://oss.brav.example/listener").json()["id"]
    missing = problem(as_manager.delete("hub/999999"), 404, "not_found")
    assert problem(as_manager.delete(f"hub/{foreign}"), 404, "not_found") == missing
    problem(as_manager.delete("hub/not-a-number"), 404, "not_found")
    assert WebhookEndpoint.objects.count() == 2


# --- Notifications ----------------------------------------------------------------------------


def test_listener_receives_signed_tmf_events(
    as_manager: Api, as_alice: Api, esav_agent: Any, receiver: WebhookReceiver, fake_pdf: bytes
) -> None:
    registered = _register(as_manager, receiver.url).json()
    native_receiver = endpoints.create_endpoint(
        as_manager.user,
        as_manager.user.operator_id,
        url="https://oss.alfa.example/native",
        event_types=ALL_EVENTS,
    )[0]

    created = as_alice.post("troubleTicket", tmf_ticket()).json()
    reference = created["id"]
    ticket = Ticket.objects.get(reference=reference)
    workflow.take_charge(ticket, esav_agent)
    as_alice.patch(f"troubleTicket/{reference}", {"note": [{"text": "Complément : photo."}]})
    workflow.resolve(ticket, esav_agent, cause="OLT", actions_taken="Carte", summary="Rétabli.")

    mine = WebhookDelivery.objects.filter(endpoint_id=int(registered["id"])).order_by("id")
    assert all(outbox.deliver(d.pk) for d in mine)
    got = receiver.received
    assert all(r.signature_is_valid(registered["secret"]) for r in got)
    events = [r.json for r in got]
    assert [e["eventType"] for e in events] == [
        "TroubleTicketCreateEvent",
        "TroubleTicketStatusChangeEvent",
        "TroubleTicketAttributeValueChangeEvent",
        "TroubleTicketStatusChangeEvent",
        "TroubleTicketResolvedEvent",
    ]
    first = events[0]
    assert set(first) == {"eventId", "eventTime", "eventType", "correlationId", "domain", "event"}
    assert first["correlationId"] == reference and first["domain"] == "troubleTicket"
    # The resource as GET returns it at the time of the event.
    assert first["event"]["troubleTicket"] == created
    assert events[1]["event"]["troubleTicket"]["status"] == "inProgress"
    assert events[2]["fieldPath"] == "note"
    assert events[2]["event"]["troubleTicket"]["note"][-1]["text"] == "Complément : photo."
    assert events[4]["event"]["troubleTicket"]["status"] == "resolved"
    assert len({e["eventId"] for e in events}) == 5

    # The operator's native webhook got the native payloads of the same events meanwhile.
    native = WebhookDelivery.objects.filter(endpoint=native_receiver).order_by("id")
    assert [d.payload["event"] for d in native] == [
        "ticket.created",
        "ticket.status_changed",
        "ticket.commented",
        "ticket.status_changed",
        "ticket.resolved",
    ]


def test_listener_gets_only_the_events_of_its_query(
    as_manager: Api, as_alice: Api, esav_agent: Any
) -> None:
    registered = _register(
        as_manager, "https://oss.alfa.example/l", "eventType=TroubleTicketStatusChangeEvent"
    )
    endpoint = WebhookEndpoint.objects.get(pk=int(registered.json()["id"]))
    reference = as_alice.post("troubleTicket", tmf_ticket()).json()["id"]
    workflow.take_charge(Ticket.objects.get(reference=reference), esav_agent)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert [d.payload["eventType"] for d in deliveries] == ["TroubleTicketStatusChangeEvent"]
