"""Webhooks reach a real HTTP receiver, signed, once each, whatever the receiver does.

Tests call ``outbox.deliver_due()`` (what the periodic sweep runs) or run the queued task as
the worker does: the queue is only a trigger, and no test relies on it for delivery.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from esoutien.tickets import services, workflow
from esoutien.webhooks import outbox
from esoutien.webhooks.models import DeliveryStatus, EventType, WebhookDelivery
from tests.factories import file_ticket
from tests.webhooks.conftest import register, run_worker
from tests.webhooks.receiver import WebhookReceiver

pytestmark = pytest.mark.django_db


def test_a_delivery_is_signed_with_the_endpoint_secret(
    receiver: WebhookReceiver, manon: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    _, secret = register(manon, receiver.url)
    ticket = file_ticket(alice, alfa, esav, operator_reference="OSS-42")

    assert outbox.deliver_due() == 1

    (got,) = receiver.received
    row = WebhookDelivery.objects.get()
    assert got.path == "/hooks/esoutien"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"] == "e-soutien-webhooks/1"
    assert got.event == "ticket.created"
    assert got.delivery_id == str(row.delivery_id)
    assert abs(int(got.headers["X-ESoutien-Timestamp"]) - time.time()) < 60
    assert got.signature_is_valid(secret)
    assert not got.signature_is_valid("whsec_not-the-secret")
    tampered = type(got)(got.path, got.headers, got.body.replace(b"OSS-42", b"OSS-43"), 0)
    assert not tampered.signature_is_valid(secret), "the signature covers the body"
    earlier = str(int(got.headers["X-ESoutien-Timestamp"]) - 1)
    retimed = type(got)(got.path, {**got.headers, "X-ESoutien-Timestamp": earlier}, got.body, 0)
    assert not retimed.signature_is_valid(secret), "the signature covers the timestamp"

    payload = got.json
    assert payload["event"] == "ticket.created"
    assert payload["operator"] == "ALFA"
    assert payload["ticket"] == {
        "reference": ticket.reference,
        "status": "acknowledged",
        "eservice": "esav",
        "kind": ticket.kind,
        "severity": ticket.severity,
        "subject": ticket.subject,
        "operator_reference": "OSS-42",
        "url": f"http://testserver/portal/tickets/{ticket.reference}/",
        "api_url": f"http://testserver/api/v1/tickets/{ticket.reference}",
    }
    assert payload["occurred_at"] == ticket.created_at.isoformat().replace("Z", "+00:00")

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == (
        DeliveryStatus.DELIVERED,
        1,
        200,
        "",
    )
    assert row.delivered_at is not None
    assert row.last_response == "ok"
    assert outbox.deliver_due() == 0
    assert len(receiver.received) == 1


def test_the_life_of_a_ticket_reaches_the_receiver_in_order(
    receiver: WebhookReceiver,
    manon: Any,
    alice: Any,
    alfa: Any,
    esav: Any,
    agent: Any,
    fake_pdf: bytes,
) -> None:
    _, secret = register(manon, receiver.url)
    ticket = file_ticket(alice, alfa, esav)
    services.comment_add(alice, ticket, "Le client confirme la coupure.")
    workflow.take_charge(ticket, agent)
    services.comment_add(agent, ticket, "Piste : carte OLT défaillante.", internal=True)
    workflow.request_info(ticket, agent, "Quel est le numéro de la commande ?")
    services.comment_add(alice, ticket, "Commande 123456.")  # back to work by itself
    services.comment_add(agent, ticket, "Nous remplaçons la carte.")
    workflow.resolve(
        ticket, agent, cause="Carte OLT", actions_taken="Remplacement", summary="Réparé."
    )

    assert outbox.deliver_due() == 9

    got = receiver.received
    assert [r.event for r in got] == [
        "ticket.created",
        "ticket.commented",
        "ticket.status_changed",  # take
        "ticket.status_changed",  # request_info
        "ticket.commented",  # the operator's answer...
        "ticket.status_changed",  # ...puts the ticket back to work
        "ticket.commented",  # the support's public reply
        "ticket.status_changed",  # resolve
        "ticket.resolved",
    ]
    assert all(r.signature_is_valid(secret) for r in got)
    assert len({r.delivery_id for r in got}) == 9
    payloads = [r.json for r in got]
    assert all(p["ticket"]["reference"] == ticket.reference for p in payloads)
    assert all(p["event"] == r.event for p, r in zip(payloads, got, strict=True))

    complement = payloads[1]["comment"]
    assert complement["body"] == "Le client confirme la coupure."
    assert complement["author"] == "Alice Martin"
    assert complement["attachments"] == []

    changes = [p["status_change"] for p in payloads if p["event"] == "ticket.status_changed"]
    assert [(c["transition"], c["from"], c["to"]) for c in changes] == [
        ("take", "acknowledged", "in_progress"),
        ("request_info", "in_progress", "pending"),
        ("receive_info", "pending", "in_progress"),
        ("resolve", "in_progress", "resolved"),
    ]
    assert changes[1]["message"] == "Quel est le numéro de la commande ?"
    assert changes[0]["author"] == "support", "the support team stays anonymous"
    assert payloads[2]["ticket"]["status"] == "in_progress"

    reply = payloads[6]["comment"]
    assert (reply["body"], reply["author"]) == ("Nous remplaçons la carte.", "support")

    resolved = payloads[8]
    assert resolved["ticket"]["status"] == "resolved"
    assert resolved["resolution"]["cause"] == "Carte OLT"
    assert resolved["resolution"]["actions_taken"] == "Remplacement"
    assert resolved["resolution"]["summary"] == "Réparé."
    assert resolved["resolution"]["report_url"].endswith(
        f"/api/v1/tickets/{ticket.reference}/report.pdf"
    )

    everything = b"".join(r.body for r in got).decode()
    assert "Piste" not in everything, "an internal note never leaves the desk"


def test_attachments_of_a_public_message_are_listed(
    receiver: WebhookReceiver, manon: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    register(manon, receiver.url, [EventType.TICKET_COMMENTED])
    ticket = file_ticket(alice, alfa, esav)
    upload = SimpleUploadedFile("trace.txt", b"ping timeout", content_type="text/plain")
    event = services.comment_add(alice, ticket, "", [upload])

    assert outbox.deliver_due() == 1
    (comment,) = [r.json["comment"] for r in receiver.received]
    (attachment,) = comment["attachments"]
    assert attachment["filename"] == "trace.txt"
    assert attachment["size"] == len(b"ping timeout")
    assert attachment["url"].endswith(
        f"/api/v1/tickets/{ticket.reference}/attachments/{event.attachments.get().pk}"
    )


def test_internal_notes_are_never_sent(
    receiver: WebhookReceiver, manon: Any, alice: Any, alfa: Any, esav: Any, agent: Any
) -> None:
    register(manon, receiver.url)
    ticket = file_ticket(alice, alfa, esav)
    outbox.deliver_due()

    services.comment_add(agent, ticket, "Client difficile, voir avec le N2.", internal=True)

    assert not WebhookDelivery.objects.filter(event_type=EventType.TICKET_COMMENTED).exists()
    assert outbox.deliver_due() == 0
    assert receiver.events() == ["ticket.created"]


def test_only_the_ticket_operator_endpoints_get_its_events(
    receiver: WebhookReceiver,
    manon: Any,
    brav_manager: Any,
    alice: Any,
    bob: Any,
    alfa: Any,
    brav: Any,
    esav: Any,
) -> None:
    bravo_receiver = WebhookReceiver()
    bravo_receiver.start()
    try:
        register(manon, receiver.url)
        register(brav_manager, bravo_receiver.url)
        alfa_ticket = file_ticket(alice, alfa, esav)
        services.comment_add(alice, alfa_ticket, "Complément")

        assert outbox.deliver_due() == 2
        assert receiver.events() == ["ticket.created", "ticket.commented"]
        assert bravo_receiver.received == []

        brav_ticket = file_ticket(bob, brav, esav)
        assert outbox.deliver_due() == 1
        (got,) = bravo_receiver.received
        assert got.json["ticket"]["reference"] == brav_ticket.reference
        assert len(receiver.received) == 2
    finally:
        bravo_receiver.stop()


def test_only_subscribed_events_of_active_endpoints_are_queued(
    receiver: WebhookReceiver, manon: Any, alice: Any, alfa: Any, esav: Any, agent: Any
) -> None:
    register(manon, receiver.url, [EventType.TICKET_RESOLVED, EventType.TICKET_STATUS_CHANGED])
    disabled, _ = register(manon, receiver.url + "/disabled")
    disabled.is_active = False
    disabled.save()

    ticket = file_ticket(alice, alfa, esav)
    services.comment_add(alice, ticket, "Complément")
    workflow.take_charge(ticket, agent)

    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == [
        "ticket.status_changed"
    ]


def test_a_receiver_down_then_back_gets_everything_once(
    manon: Any, alice: Any, alfa: Any, esav: Any, agent: Any
) -> None:
    down = WebhookReceiver()  # nothing listens on its port yet
    _, secret = register(manon, down.url)
    with time_machine.travel("2026-04-14 10:00 +0200", tick=False) as traveller:
        ticket = file_ticket(alice, alfa, esav)
        services.comment_add(alice, ticket, "Complément")
        workflow.take_charge(ticket, agent)

        assert outbox.deliver_due() == 0
        first = WebhookDelivery.objects.order_by("id").first()
        assert first is not None
        assert first.status == DeliveryStatus.QUEUED
        assert first.attempts == 1
        assert first.last_status_code is None
        assert "ConnectionError" in first.last_error
        assert first.next_attempt_at == timezone.now() + timedelta(seconds=30)
        # After a failure the rest of that endpoint's queue waits for the next sweep.
        assert list(WebhookDelivery.objects.order_by("id").values_list("attempts", flat=True)) == [
            1,
            0,
            0,
        ]

        traveller.shift(timedelta(seconds=5))
        assert outbox.deliver_due() == 0  # the second one is tried (and fails); not the first
        assert sorted(WebhookDelivery.objects.values_list("attempts", flat=True)) == [0, 1, 1]

        down.start()
        try:
            traveller.shift(timedelta(minutes=2))
            assert outbox.deliver_due() == 3
            traveller.shift(timedelta(hours=2))
            assert outbox.deliver_due() == 0
            got = down.received
        finally:
            down.stop()

    assert sorted(r.event for r in got) == sorted(
        ["ticket.created", "ticket.commented", "ticket.status_changed"]
    )
    ids = [r.delivery_id for r in got]
    assert len(ids) == len(set(ids)) == 3, "no loss, no duplicate"
    assert set(ids) == {
        str(d) for d in WebhookDelivery.objects.values_list("delivery_id", flat=True)
    }
    assert all(r.signature_is_valid(secret, tolerance=10**9) for r in got)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_receiver_answering_500_then_200(
    receiver: WebhookReceiver, manon: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    receiver.answer_with([500], answer="Internal Server Error: database locked")
    register(manon, receiver.url)
    with time_machine.travel("2026-04-14 10:00 +0200") as traveller:
        file_ticket(alice, alfa, esav)
        assert outbox.deliver_due() == 0
        row = WebhookDelivery.objects.get()
        assert (row.status, row.attempts, row.last_status_code) == (DeliveryStatus.QUEUED, 1, 500)
        assert row.last_response == "Internal Server Error: database locked"
        assert row.last_error == "The receiver answered HTTP 500."

        traveller.move_to(row.next_attempt_at + timedelta(seconds=1))
        receiver.answer_with([], answer="merci")
        assert outbox.deliver_due() == 1

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code) == (DeliveryStatus.DELIVERED, 2, 200)
    assert (row.last_response, row.last_error) == ("merci", "")
    first, second = receiver.received
    assert first.delivery_id == second.delivery_id == str(row.delivery_id)
    assert first.body == second.body


def test_still_failing_after_24_hours_is_failed_and_shown_to_the_manager(
    client: Any, receiver: WebhookReceiver, manon: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    answer = "upstream timeout " + "x" * 5000
    receiver.answer_with([], default=503, answer=answer)
    endpoint, _ = register(manon, receiver.url)
    delays = []
    with time_machine.travel("2026-04-14 10:00 +0200", tick=False) as traveller:
        file_ticket(alice, alfa, esav)
        created = timezone.now()
        row = WebhookDelivery.objects.get()
        while row.status == DeliveryStatus.QUEUED:
            traveller.move_to(row.next_attempt_at)
            assert outbox.deliver_due() == 0
            previous = row.next_attempt_at
            row.refresh_from_db()
            if row.status == DeliveryStatus.QUEUED:
                delays.append(row.next_attempt_at - previous)
        gave_up_at = timezone.now()

    assert row.status == DeliveryStatus.FAILED
    assert gave_up_at == created + timedelta(hours=24), "retried for 24 hours, not more"
    assert delays[:8] == [timedelta(seconds=30 * 2**n) for n in range(7)] + [timedelta(hours=1)]
    assert max(delays) == timedelta(hours=1)
    assert row.attempts == len(receiver.received) == len(delays) + 1
    assert row.last_status_code == 503
    assert row.last_response == answer[:2048]
    assert outbox.deliver_due() == 0, "a failed delivery is not retried by the sweep"

    client.force_login(manon)
    page = client.get(f"/portal/webhooks/{endpoint.pk}/").content.decode()
    assert "delivery-failed" in page
    assert "HTTP 503" in page
    assert "upstream timeout" in page
    assert str(row.delivery_id) in page


def test_a_slow_receiver_never_slows_the_user(
    queued_huey: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    receiver: WebhookReceiver,
    manon: Any,
    alice: Any,
    alfa: Any,
    esav: Any,
) -> None:
    receiver.behaviour.delay = 5.0
    register(manon, receiver.url, [EventType.TICKET_COMMENTED])
    ticket = file_ticket(alice, alfa, esav)

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.comment_add(alice, ticket, "Complément urgent")
    action_took = time.monotonic() - started

    assert action_took < 1.5, f"the user waited {action_took:.1f} s"
    assert len(callbacks) >= 1
    assert receiver.received == [], "nothing is sent from the user's request"
    row = WebhookDelivery.objects.get()
    assert row.status == DeliveryStatus.QUEUED
    assert queued_huey.pending_count() == 1

    started = time.monotonic()
    results = run_worker(queued_huey, monkeypatch)
    worker_took = time.monotonic() - started

    assert results == [True]
    assert worker_took >= 5.0, "the wait is the worker's"
    assert receiver.events() == ["ticket.commented"]
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED


def test_a_receiver_slower_than_the_timeout_is_retried(
    settings: Any, receiver: WebhookReceiver, manon: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    settings.ESOUTIEN_WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.behaviour.delay = 2.0
    register(manon, receiver.url)
    file_ticket(alice, alfa, esav)

    assert outbox.deliver_due() == 0
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts) == (DeliveryStatus.QUEUED, 1)
    assert "Timeout" in row.last_error


def test_the_queue_being_down_never_fails_the_action(
    queued_huey: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    receiver: WebhookReceiver,
    manon: Any,
    alice: Any,
    alfa: Any,
    esav: Any,
) -> None:
    from esoutien.webhooks import tasks

    def queue_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(tasks, "deliver_webhook_task", queue_down)
    register(manon, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = file_ticket(alice, alfa, esav)
    assert ticket.pk is not None
    assert receiver.received == []

    assert outbox.deliver_due() == 1, "the sweep sends what the queue lost"
    assert receiver.events() == ["ticket.created"]


def test_redirects_are_not_followed(
    receiver: WebhookReceiver, manon: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    elsewhere = WebhookReceiver()
    elsewhere.start()
    try:
        receiver.answer_with([], default=302)
        receiver.behaviour.location = elsewhere.url
        register(manon, receiver.url)
        file_ticket(alice, alfa, esav)

        assert outbox.deliver_due() == 0
        row = WebhookDelivery.objects.get()
        assert row.last_status_code == 302
        assert "Redirects are not followed" in row.last_error
        assert elsewhere.received == []
    finally:
        elsewhere.stop()


def test_a_disabled_endpoint_sends_nothing_queued(
    receiver: WebhookReceiver, manon: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    endpoint, _ = register(manon, receiver.url)
    file_ticket(alice, alfa, esav)
    endpoint.is_active = False
    endpoint.save()

    assert outbox.deliver_due() == 0
    row = WebhookDelivery.objects.get()
    assert (row.status, row.last_error) == (DeliveryStatus.FAILED, "The endpoint is disabled.")
    assert receiver.received == []


def test_a_stale_claim_is_released_by_the_sweep(
    receiver: WebhookReceiver, manon: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    register(manon, receiver.url)
    with time_machine.travel("2026-04-14 10:00 +0200") as traveller:
        file_ticket(alice, alfa, esav)
        # A worker claimed the row, then died.
        WebhookDelivery.objects.update(status=DeliveryStatus.SENDING, claimed_at=timezone.now())
        assert outbox.deliver_due() == 0, "a fresh claim is left alone"
        traveller.shift(timedelta(minutes=11))
        assert outbox.deliver_due() == 1
    assert receiver.events() == ["ticket.created"]


def test_two_workers_never_send_one_delivery_twice(
    receiver: WebhookReceiver, manon: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    register(manon, receiver.url)
    file_ticket(alice, alfa, esav)
    row = WebhookDelivery.objects.get()

    assert outbox.deliver(row.pk) is True
    assert outbox.deliver(row.pk) is False
    assert len(receiver.received) == 1


def test_redelivery_sends_the_same_delivery_again(
    receiver: WebhookReceiver, manon: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    register(manon, receiver.url)
    file_ticket(alice, alfa, esav)
    assert outbox.deliver_due() == 1
    row = WebhookDelivery.objects.get()

    assert outbox.redeliver(row) is True
    assert row.status == DeliveryStatus.QUEUED
    assert outbox.deliver_due() == 1

    first, second = receiver.received
    assert first.delivery_id == second.delivery_id
    assert first.body == second.body
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_old_deliveries_are_purged(
    receiver: WebhookReceiver, manon: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    register(manon, receiver.url)
    with time_machine.travel("2026-04-14 10:00 +0200") as traveller:
        file_ticket(alice, alfa, esav)
        outbox.deliver_due()
        traveller.shift(timedelta(days=29))
        file_ticket(alice, alfa, esav)  # queued, and recent
        assert outbox.purge_old_deliveries() == 0
        traveller.shift(timedelta(days=2))
        assert outbox.purge_old_deliveries() == 1
    assert WebhookDelivery.objects.count() == 1
