"""Managing webhook endpoints: reads and writes shared by the portal page and the API.

Who may: an operator's managers for their own operator, administrators for any
(``access.managed_operator_scope``). Anyone else is refused (Forbidden); an endpoint of
another operator is exactly as absent as a missing one (NotFound).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from esoutien.accounts import access
from esoutien.audit.recorder import record
from esoutien.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from esoutien.webhooks import outbox, signatures, targets
from esoutien.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint

MAX_ENDPOINTS_PER_OPERATOR = 10
RECENT_DELIVERIES = 50


class RedeliveryRefused(DomainError):
    """The delivery cannot be sent again now (endpoint disabled, or being sent)."""

    code = "redelivery_not_possible"


def manageable(user: Any) -> QuerySet[WebhookEndpoint]:
    """The endpoints ``user`` manages; Forbidden when they manage none."""
    scope = access.managed_operator_scope(user)
    if scope is None:
        raise Forbidden(_("Only your operator's managers manage webhooks."))
    return WebhookEndpoint.objects.filter(scope).select_related("operator")


def get_endpoint(user: Any, endpoint_id: int) -> WebhookEndpoint:
    endpoint = manageable(user).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound(_("No such webhook."))
    return endpoint


def recent_deliveries(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """Newest first (slice it)."""
    return endpoint.deliveries.order_by("-id")


def get_delivery(endpoint: WebhookEndpoint, delivery_id: UUID | str) -> WebhookDelivery:
    try:
        key = delivery_id if isinstance(delivery_id, UUID) else UUID(str(delivery_id))
    except ValueError as exc:
        raise NotFound(_("No such delivery.")) from exc
    delivery = endpoint.deliveries.filter(delivery_id=key).first()
    if delivery is None:
        raise NotFound(_("No such delivery."))
    return delivery


def _check_events(event_types: Iterable[str] | None) -> list[str]:
    chosen = {str(e) for e in (event_types or [])}
    unknown = sorted(chosen - set(EventType.values))
    if unknown:
        message = _("Unknown event types: %(events)s.") % {"events": ", ".join(unknown)}
        raise InvalidInput(message, errors={"events": [message]})
    if not chosen:
        message = _("Choose at least one event.")
        raise InvalidInput(message, errors={"events": [message]})
    return [e for e in EventType.values if e in chosen]  # the catalogue's order


def _validated(url: str, event_types: Iterable[str] | None) -> tuple[str, list[str]]:
    """Both fields checked, every error reported at once."""
    errors: dict[str, list[str]] = {}
    clean_url, events = "", []
    try:
        clean_url = targets.check_url(url)
    except InvalidInput as exc:
        errors.update(exc.errors)
    try:
        events = _check_events(event_types)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors=errors)
    return clean_url, events


def create_endpoint(
    actor: Any,
    operator_id: int,
    *,
    url: str,
    event_types: Iterable[str],
    description: str = "",
    request: Any = None,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (to show once)."""
    if not access.may_manage_operator_users(actor, operator_id):
        raise Forbidden(_("Only your operator's managers manage webhooks."))
    clean_url, events = _validated(url, event_types)
    with transaction.atomic():
        if WebhookEndpoint.objects.filter(operator_id=operator_id).count() >= (
            MAX_ENDPOINTS_PER_OPERATOR
        ):
            message = _("An operator has %(max)d webhooks at most: delete one first.") % {
                "max": MAX_ENDPOINTS_PER_OPERATOR
            }
            raise InvalidInput(message, errors={"url": [message]})
        endpoint = WebhookEndpoint.objects.create(
            operator_id=operator_id,
            url=clean_url,
            description=(description or "").strip()[:200],
            secret=signatures.new_secret(),
            event_types=events,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        record(
            "webhook_created",
            request=request,
            actor=actor,
            target=f"webhook {endpoint.pk}",
            data={"operator_id": operator_id, "url": clean_url, "events": events},
        )
    return endpoint, endpoint.secret


def update_endpoint(
    actor: Any,
    endpoint: WebhookEndpoint,
    *,
    url: str | None = None,
    event_types: Iterable[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
    request: Any = None,
) -> WebhookEndpoint:
    """Change what is given (None: unchanged)."""
    if not access.may_manage_operator_users(actor, endpoint.operator_id):
        raise NotFound(_("No such webhook."))
    clean_url, events = _validated(
        endpoint.url if url is None else url,
        endpoint.event_types if event_types is None else event_types,
    )
    fields = []
    for name, value in (
        ("url", clean_url),
        ("event_types", events),
        ("description", None if description is None else description.strip()[:200]),
        ("is_active", is_active),
    ):
        if value is not None and getattr(endpoint, name) != value:
            setattr(endpoint, name, value)
            fields.append(name)
    if not fields:
        return endpoint
    with transaction.atomic():
        endpoint.save(update_fields=fields)
        if "is_active" in fields:
            action = "webhook_enabled" if endpoint.is_active else "webhook_disabled"
        else:
            action = "webhook_updated"
        record(
            action,
            request=request,
            actor=actor,
            target=f"webhook {endpoint.pk}",
            data={"url": endpoint.url, "events": endpoint.event_types, "changed": fields},
        )
    return endpoint


def set_active(
    actor: Any, endpoint: WebhookEndpoint, active: bool, *, request: Any = None
) -> WebhookEndpoint:
    return update_endpoint(actor, endpoint, is_active=active, request=request)


def delete_endpoint(actor: Any, endpoint: WebhookEndpoint, *, request: Any = None) -> None:
    """Delete the endpoint and its deliveries (queued ones are never sent)."""
    if not access.may_manage_operator_users(actor, endpoint.operator_id):
        raise NotFound(_("No such webhook."))
    with transaction.atomic():
        record(
            "webhook_deleted",
            request=request,
            actor=actor,
            target=f"webhook {endpoint.pk}",
            data={"operator_id": endpoint.operator_id, "url": endpoint.url},
        )
        endpoint.delete()


def redeliver(actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (same delivery id and payload), whatever its status."""
    endpoint = delivery.endpoint
    if not access.may_manage_operator_users(actor, endpoint.operator_id):
        raise NotFound(_("No such delivery."))
    if not endpoint.is_active:
        raise RedeliveryRefused(_("This webhook is disabled: enable it first."))
    with transaction.atomic():
        if not outbox.redeliver(delivery):
            raise RedeliveryRefused(_("This delivery is being sent right now."))
    return delivery
