"""/api/v1/webhooks: an operator's webhook endpoints and their deliveries (docs/webhooks.md).

For the managers of the operator (their own endpoints) and administrators (all; they name
the operator when creating one). Anyone else gets 403; another operator's endpoint is 404,
exactly as a missing one. Thin handlers over webhooks/endpoints.py, as the portal page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from esoutien.accounts import access
from esoutien.accounts.models import Operator
from esoutien.api import pagination
from esoutien.api.errors import ERROR_RESPONSES
from esoutien.api.schemas import StrictIn
from esoutien.core.errors import InvalidInput
from esoutien.webhooks import endpoints
from esoutien.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

router = Router(tags=["webhooks"])

EventName = Literal[
    "ticket.created", "ticket.status_changed", "ticket.commented", "ticket.resolved"
]
DeliveryState = Literal["queued", "sending", "delivered", "failed"]


class WebhookIn(StrictIn):
    url: str = Field(
        max_length=500,
        description="The receiver: https:// (plain http only to localhost in development).",
    )
    events: list[EventName] = Field(min_length=1, description="The events to receive.")
    description: str = Field("", max_length=200)
    operator: str | None = Field(
        None, description="Operator code; administrators only (managers: their own operator)."
    )


class WebhookPatch(StrictIn):
    url: str | None = Field(None, max_length=500)
    events: list[EventName] | None = Field(None, min_length=1)
    description: str | None = Field(None, max_length=200)
    active: bool | None = Field(None, description="false: nothing is sent until re-enabled.")


class WebhookOut(Schema):
    id: int
    href: str
    operator: str = Field(description="The operator's 4-letter code.")
    url: str
    description: str
    events: list[str]
    active: bool
    created_at: datetime
    created_by: str | None
    deliveries: str = Field(description="URL of the endpoint's deliveries.")


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(
        description="The signing secret. Returned once, by this response only: store it."
    )


class DeliveryOut(Schema):
    delivery_id: UUID = Field(description="Sent as X-ESoutien-Delivery.")
    event: str
    status: DeliveryState
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="While queued.")
    retry_until: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None = Field(description="HTTP status of the receiver's answer.")
    last_response: str = Field(description="The first 2 kB of the receiver's answer.")
    last_error: str
    delivered_at: datetime | None
    payload: dict[str, Any]


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next: str | None = Field(None, description="URL of the next page; null on the last one.")


class DeliveryFilterQuery(Schema):
    status: DeliveryState | None = None
    cursor: str | None = None
    limit: int = Field(25, ge=1, le=100)


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def webhook_out(endpoint: WebhookEndpoint, request: HttpRequest) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "href": request.build_absolute_uri(reverse("api-1:webhook_detail", args=[endpoint.pk])),
        "operator": endpoint.operator.code,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": list(endpoint.event_types),
        "active": endpoint.is_active,
        "created_at": endpoint.created_at,
        "created_by": endpoint.created_by.email if endpoint.created_by else None,
        "deliveries": request.build_absolute_uri(
            reverse("api-1:webhook_deliveries", args=[endpoint.pk])
        ),
    }


def delivery_out(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "delivery_id": delivery.delivery_id,
        "event": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "created_at": delivery.created_at,
        "next_attempt_at": (
            delivery.next_attempt_at if delivery.status == DeliveryStatus.QUEUED else None
        ),
        "retry_until": delivery.retry_until,
        "last_attempt_at": delivery.last_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_response": delivery.last_response,
        "last_error": delivery.last_error,
        "delivered_at": delivery.delivered_at,
        "payload": delivery.payload,
    }


@router.get(
    "/webhooks",
    response={200: list[WebhookOut], **ERROR_RESPONSES},
    summary="The webhooks the caller manages (secrets are never listed)",
)
def list_webhooks(
    request: HttpRequest,
    operator: str | None = Query(None, description="Operator code (administrators)."),
) -> list[dict[str, Any]]:
    qs = endpoints.manageable(_user(request)).select_related("created_by")
    if operator:
        qs = qs.filter(operator__code=operator.upper())
    return [webhook_out(e, request) for e in qs.order_by("created_at", "id")]


@router.post(
    "/webhooks",
    response={201: WebhookCreatedOut, **ERROR_RESPONSES},
    summary="Register a webhook; the response carries its signing secret, once",
)
def create_webhook(request: HttpRequest, payload: WebhookIn, response: HttpResponse) -> Status[Any]:
    user = _user(request)
    endpoints.manageable(user)  # 403 before anything else for those who manage nothing
    if access.is_operator_user(user):
        operator_id = user.operator_id
    else:
        found = Operator.objects.filter(code=(payload.operator or "").upper()).first()
        if found is None:
            message = _("Give the code of the operator the webhook is for.")
            raise InvalidInput(message, errors={"operator": [message]})
        operator_id = found.pk
    endpoint, secret = endpoints.create_endpoint(
        user,
        operator_id,
        url=payload.url,
        event_types=payload.events,
        description=payload.description,
        request=request,
    )
    response["Cache-Control"] = "no-store"
    return Status(201, {**webhook_out(endpoint, request), "secret": secret})


@router.get(
    "/webhooks/{endpoint_id}",
    response={200: WebhookOut, **ERROR_RESPONSES},
    url_name="webhook_detail",
)
def get_webhook(request: HttpRequest, endpoint_id: int) -> dict[str, Any]:
    return webhook_out(endpoints.get_endpoint(_user(request), endpoint_id), request)


@router.patch(
    "/webhooks/{endpoint_id}",
    response={200: WebhookOut, **ERROR_RESPONSES},
    summary="Change the URL, events or description; enable or disable",
)
def update_webhook(request: HttpRequest, endpoint_id: int, payload: WebhookPatch) -> dict[str, Any]:
    user = _user(request)
    endpoint = endpoints.get_endpoint(user, endpoint_id)
    endpoints.update_endpoint(
        user,
        endpoint,
        url=payload.url,
        event_types=payload.events,
        description=payload.description,
        is_active=payload.active,
        request=request,
    )
    return webhook_out(endpoint, request)


@router.delete(
    "/webhooks/{endpoint_id}",
    response={204: None, **ERROR_RESPONSES},
    summary="Delete a webhook and its deliveries",
)
def delete_webhook(request: HttpRequest, endpoint_id: int) -> Status[None]:
    user = _user(request)
    endpoints.delete_endpoint(user, endpoints.get_endpoint(user, endpoint_id), request=request)
    return Status(204, None)


@router.get(
    "/webhooks/{endpoint_id}/deliveries",
    response={200: DeliveryPage, **ERROR_RESPONSES},
    url_name="webhook_deliveries",
    summary="Deliveries of a webhook, newest first (kept 30 days)",
)
def list_deliveries(
    request: HttpRequest, endpoint_id: int, filters: Query[DeliveryFilterQuery]
) -> dict[str, Any]:
    endpoint = endpoints.get_endpoint(_user(request), endpoint_id)
    qs = endpoints.recent_deliveries(endpoint)
    if filters.status:
        qs = qs.filter(status=filters.status)
    rows, next_url = pagination.page(request, qs, filters.cursor, filters.limit)
    return {"items": [delivery_out(d) for d in rows], "next": next_url}


@router.post(
    "/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response={202: DeliveryOut, **ERROR_RESPONSES},
    summary="Send a delivery again (same delivery id and payload, new 24-hour window)",
)
def redeliver_delivery(request: HttpRequest, endpoint_id: int, delivery_id: str) -> Status[Any]:
    user = _user(request)
    endpoint = endpoints.get_endpoint(user, endpoint_id)
    delivery = endpoints.redeliver(user, endpoints.get_delivery(endpoint, delivery_id))
    return Status(202, delivery_out(delivery))
