"""The webhook outbox: every delivery is a row first, written with the change that causes it.

``queue_event`` writes one ``WebhookDelivery`` per active endpoint of the operator subscribed
to the event, inside the caller's transaction. The worker sends it after commit (a Huey task)
and the periodic sweep sends whatever is due, so a crash, a lost queue message or a receiver
outage never loses an event — and no user action ever waits for a receiver: HTTP happens in
the worker only.

Delivery is at least once: a receiver may see a delivery id twice (a worker that died after
sending, a manual redelivery) and should ignore what it has already processed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.module_loading import import_string

from esoutien.core import clock
from esoutien.webhooks import signatures, targets
from esoutien.webhooks.models import (
    DeliveryStatus,
    EventType,
    PayloadFormat,
    WebhookDelivery,
    WebhookEndpoint,
)

log = logging.getLogger(__name__)

USER_AGENT = "e-soutien-webhooks/1"
# Retries: 30 s after the first failure, doubling, at most an hour apart, for 24 hours.
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)
RETRY_WINDOW = timedelta(hours=24)
# A row stuck in "sending" this long was claimed by a worker that died; hand it out again.
STALE_CLAIM = timedelta(minutes=10)
# What is kept of a receiver's answer, for the manager's page.
RESPONSE_KEPT_BYTES = 2048
# Delivered and failed rows are deleted after this long (daily task).
RETENTION = timedelta(days=30)

Payload = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


# Endpoints in another payload format get the native payload rewritten by these functions
# ``(event_type, native payload) -> payload``, named by path: this layer knows no tickets.
def _formatter(payload_format: str) -> str:
    """Dotted path of the callable turning a native payload into ``payload_format``.

    Registered in settings (ESOUTIEN_WEBHOOK_FORMATTERS) so this layer imports nothing above it.
    """
    return str(settings.ESOUTIEN_WEBHOOK_FORMATTERS[payload_format])


def subscribed_endpoints(operator_id: int, event_type: str) -> list[WebhookEndpoint]:
    """The operator's active endpoints that asked for ``event_type`` (one query)."""
    endpoints = WebhookEndpoint.objects.filter(operator_id=operator_id, is_active=True).only(
        "pk", "event_types", "payload_format"
    )
    return [e for e in endpoints if e.subscribes_to(event_type)]


def queue_event(operator_id: int, event_type: str, payload: Payload) -> list[WebhookDelivery]:
    """Write one delivery per subscribed endpoint; each is sent after the transaction commits.

    ``payload`` may be a callable, called only when some endpoint wants the event, so an
    operator without webhooks costs one query per event and nothing else.
    """
    if event_type not in EventType.values:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    endpoints = subscribed_endpoints(operator_id, event_type)
    if not endpoints:
        return []
    body = dict(payload() if callable(payload) else payload)
    bodies: dict[str, Mapping[str, Any]] = {PayloadFormat.NATIVE: body}
    for endpoint in endpoints:
        if endpoint.payload_format not in bodies:
            formatter = import_string(_formatter(endpoint.payload_format))
            bodies[endpoint.payload_format] = formatter(event_type, body)
    now = clock.now()
    deliveries = [
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_type=event_type,
            payload=bodies[endpoint.payload_format],
            created_at=now,
            next_attempt_at=now,
            retry_until=now + RETRY_WINDOW,
        )
        for endpoint in endpoints
    ]
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _trigger_all(ids))
    return deliveries


def _trigger_all(delivery_pks: list[int]) -> None:
    for pk in delivery_pks:
        _trigger(pk)


def _trigger(delivery_pk: int) -> None:
    """Ask the worker to send now; if the queue is unreachable the sweep sends it later."""
    try:
        from esoutien.webhooks.tasks import deliver_webhook_task

        deliver_webhook_task(delivery_pk)
    except Exception:  # the queue is only a trigger: never fail the user's action
        log.warning("could not enqueue webhook delivery %s", delivery_pk, exc_info=True)


def encode(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes sent (and signed)."""
    return json.dumps(
        payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def request_headers(
    endpoint: WebhookEndpoint, event_type: str, delivery_id: UUID, timestamp: int, body: bytes
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-ESoutien-Event": event_type,
        "X-ESoutien-Delivery": str(delivery_id),
        "X-ESoutien-Timestamp": str(timestamp),
        "X-ESoutien-Signature": signatures.signature(endpoint.secret, timestamp, body),
    }


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 30 s, 1 min, 2 min… capped at an hour."""
    seconds = RETRY_BASE.total_seconds() * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, RETRY_CAP.total_seconds()))


def _claim(delivery_pk: int) -> bool:
    now = clock.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_pk, status=DeliveryStatus.QUEUED, next_attempt_at__lte=now
    ).update(status=DeliveryStatus.SENDING, claimed_at=now)
    return claimed == 1


def _read_some(response: requests.Response) -> str:
    try:
        data = response.raw.read(RESPONSE_KEPT_BYTES, decode_content=True) or b""
    except Exception:  # a receiver that hangs up mid-answer: the status code is what counts
        return ""
    return bytes(data[:RESPONSE_KEPT_BYTES]).decode("utf-8", errors="replace")


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """(status code or None, start of the answer, error) of one request."""
    timeout = settings.ESOUTIEN_WEBHOOK_TIMEOUT_SECONDS
    try:
        targets.check_destination(url)
        with requests.post(
            url,
            data=body,
            headers=headers,
            timeout=(timeout, timeout),
            allow_redirects=False,
            stream=True,
        ) as response:
            return response.status_code, _read_some(response), ""
    except targets.DestinationRefused as exc:
        return None, "", f"Refused destination: {exc}"
    except Exception as exc:  # whatever goes wrong is this attempt's failure, never a stuck row
        return None, "", f"{type(exc).__name__}: {exc}"[:2000]


DELIVERED = "delivered"
FAILED = "failed"
SKIPPED = "skipped"


def _attempt(delivery_pk: int) -> str:
    """Send one delivery if it is due and nobody else is sending it."""
    if not _claim(delivery_pk):
        return SKIPPED
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_pk).first()
    if delivery is None:  # the endpoint was deleted meanwhile
        return SKIPPED
    endpoint = delivery.endpoint
    attempts = delivery.attempts
    now = clock.now()
    if not endpoint.is_active:
        _finish(delivery_pk, DeliveryStatus.FAILED, attempts, error="The endpoint is disabled.")
        return FAILED
    body = encode(delivery.payload)
    timestamp = int(now.timestamp())
    headers = request_headers(endpoint, delivery.event_type, delivery.delivery_id, timestamp, body)
    status_code, answer, error = _post(endpoint.url, body, headers)
    attempts += 1
    now = clock.now()
    if status_code is not None and 200 <= status_code < 300:
        _finish(
            delivery_pk,
            DeliveryStatus.DELIVERED,
            attempts,
            status_code=status_code,
            answer=answer,
            delivered_at=now,
        )
        return DELIVERED
    if status_code is not None:
        error = f"The receiver answered HTTP {status_code}."
        if 300 <= status_code < 400:
            error += " Redirects are not followed: register the final URL."
    final = now >= delivery.retry_until
    _finish(
        delivery_pk,
        DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED,
        attempts,
        status_code=status_code,
        answer=answer,
        error=error,
        next_attempt_at=min(now + backoff(attempts), delivery.retry_until),
    )
    log.warning(
        "webhook delivery %s to %s failed (attempt %s%s): %s",
        delivery.delivery_id,
        endpoint.url,
        attempts,
        ", giving up" if final else "",
        error,
    )
    return FAILED


def _finish(delivery_pk: int, status: str, attempts: int, **outcome: Any) -> None:
    fields: dict[str, Any] = {
        "status": status,
        "attempts": attempts,
        "claimed_at": None,
        "last_error": outcome.get("error", ""),
    }
    if "status_code" in outcome:
        fields.update(
            last_attempt_at=clock.now(),
            last_status_code=outcome["status_code"],
            last_response=outcome.get("answer", ""),
        )
    for name in ("delivered_at", "next_attempt_at"):
        if name in outcome:
            fields[name] = outcome[name]
    WebhookDelivery.objects.filter(pk=delivery_pk, status=DeliveryStatus.SENDING).update(**fields)


def deliver(delivery_pk: int) -> bool:
    """Send one queued delivery if it is due and not being sent. True when delivered."""
    return _attempt(delivery_pk) == DELIVERED


def deliver_due(limit: int = 200) -> int:
    """The sweep: release stale claims, then send every due delivery. Returns how many went.

    After a failure, the rest of that endpoint's deliveries wait for the next sweep: a down
    or slow receiver costs the worker one request a minute, not one per waiting event.
    """
    now = clock.now()
    WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(status=DeliveryStatus.QUEUED, claimed_at=None)
    due = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", "endpoint_id")[:limit]
    )
    delivered = 0
    failing: set[int] = set()
    for pk, endpoint_id in due:
        if endpoint_id in failing:
            continue
        outcome = _attempt(pk)
        if outcome == DELIVERED:
            delivered += 1
        elif outcome == FAILED:
            failing.add(endpoint_id)
    return delivered


def redeliver(delivery: WebhookDelivery) -> bool:
    """Send a delivery again (same id and payload) with a fresh 24-hour retry window.

    False when it is being sent right now.
    """
    now = clock.now()
    updated = (
        WebhookDelivery.objects.filter(pk=delivery.pk)
        .exclude(status=DeliveryStatus.SENDING)
        .update(
            status=DeliveryStatus.QUEUED,
            next_attempt_at=now,
            retry_until=now + RETRY_WINDOW,
            claimed_at=None,
        )
    )
    if not updated:
        return False
    delivery.refresh_from_db()
    pk = delivery.pk
    transaction.on_commit(lambda: _trigger(pk))
    return True


def purge_old_deliveries() -> int:
    """Delete delivered and failed rows older than RETENTION. Returns how many went."""
    cutoff = clock.now() - RETENTION
    deleted, _ = WebhookDelivery.objects.filter(
        status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED], created_at__lt=cutoff
    ).delete()
    return int(deleted)
