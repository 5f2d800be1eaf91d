"""/tmf-api/troubleTicket/v4/hub: TMF621 event subscriptions.

A hub registration is one of the caller's operator's webhook endpoints (webhooks app: the
same managers-only rule, URL checks, signatures, retries and delivery log) whose payloads are
TMF621 events (``payload_format = tmf621``, built by api/tmf/events.py).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from esoutien.api.tmf import events
from esoutien.api.tmf.schemas import TMF_ERROR_RESPONSES, EventSubscriptionIn, EventSubscriptionOut
from esoutien.core.errors import InvalidInput, NotFound
from esoutien.webhooks import endpoints
from esoutien.webhooks.models import PayloadFormat, WebhookEndpoint

router = Router(tags=["events subscription"])

DESCRIPTION = "TMF621 hub listener"


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


@router.post(
    "/hub",
    response={201: EventSubscriptionOut, **TMF_ERROR_RESPONSES},
    summary="Register a listener (operator managers)",
    description=(
        "`callback`: the listener's HTTPS URL; `query`: empty for every event, or "
        "`eventType=TroubleTicketCreateEvent,TroubleTicketStatusChangeEvent,...`. Each "
        "notification is POSTed with the same signature headers as our webhooks; the signing "
        "`secret` is in this answer only."
    ),
    operation_id="registerListener",
)
def register_listener(request: HttpRequest, payload: EventSubscriptionIn) -> Status[Any]:
    user = _user(request)
    event_types = events.event_types_for_query(payload.query)
    try:
        with transaction.atomic():
            endpoint, secret = endpoints.create_endpoint(
                user,
                user.operator_id,
                url=payload.callback,
                event_types=event_types,
                description=f"{DESCRIPTION} {payload.query or ''}".strip(),
                request=request,
            )
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                payload_format=PayloadFormat.TMF621
            )
    except InvalidInput as exc:
        if "url" not in exc.errors:
            raise
        errors = {("callback" if k == "url" else k): v for k, v in exc.errors.items()}
        raise InvalidInput(str(exc), errors=errors) from exc
    return Status(
        201,
        {
            "id": str(endpoint.pk),
            "callback": endpoint.url,
            "query": payload.query or "",
            "secret": secret,
        },
    )


@router.delete(
    "/hub/{id}",
    response={204: None, **TMF_ERROR_RESPONSES},
    summary="Unregister a listener",
    operation_id="unregisterListener",
)
def unregister_listener(request: HttpRequest, id: str) -> Status[None]:
    user = _user(request)
    if not (id.isdigit() and len(id) <= 18):
        raise NotFound(_("No such listener."))
    endpoint = endpoints.get_endpoint(user, int(id))
    if endpoint.payload_format != PayloadFormat.TMF621:
        raise NotFound(_("No such listener."))
    endpoints.delete_endpoint(user, endpoint, request=request)
    return Status(204, None)
