"""TMF621 notifications: our webhook events rewritten for hub listeners (payload format
``tmf621``). Called by webhooks/outbox.queue_event, in the transaction of the change.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from esoutien.api.tmf import mapping
from esoutien.api.tmf.schemas import TroubleTicketOut
from esoutien.core.errors import InvalidInput
from esoutien.tickets.models import Ticket
from esoutien.webhooks.models import EventType

CREATE = "TroubleTicketCreateEvent"
STATUS_CHANGE = "TroubleTicketStatusChangeEvent"
ATTRIBUTE_VALUE_CHANGE = "TroubleTicketAttributeValueChangeEvent"
RESOLVED = "TroubleTicketResolvedEvent"

# Our webhook event → the TMF621 event a hub listener receives.
TMF_EVENT: dict[str, str] = {
    EventType.TICKET_CREATED: CREATE,
    EventType.TICKET_STATUS_CHANGED: STATUS_CHANGE,
    EventType.TICKET_COMMENTED: ATTRIBUTE_VALUE_CHANGE,
    EventType.TICKET_RESOLVED: RESOLVED,
}
# What a hub query may name (TMF621 names; "StateChange" is a common spelling of StatusChange).
EVENT_FROM_TMF: dict[str, str] = {tmf: ours for ours, tmf in TMF_EVENT.items()}
EVENT_FROM_TMF["TroubleTicketStateChangeEvent"] = EventType.TICKET_STATUS_CHANGED
# The attribute an AttributeValueChangeEvent is about.
FIELD_PATH: dict[str, str] = {EventType.TICKET_COMMENTED: "note"}


class _BaseUrl:
    """Absolute URLs without a request (deliveries are built in services and workers)."""

    def build_absolute_uri(self, location: str) -> str:
        return f"{settings.ESOUTIEN_BASE_URL}{location}"


def event_types_for_query(query: str | None) -> list[str]:
    """Our event types for a hub ``query``: empty for all, else ``eventType=A,B`` (TMF630
    style; ``eventType=A&eventType=B`` too)."""
    text = (query or "").strip()
    if not text:
        return list(TMF_EVENT)
    chosen: list[str] = []
    for clause in text.split("&"):
        name, sep, value = clause.partition("=")
        if not sep or name.strip() not in ("eventType", "eventType.eq"):
            raise _bad_query(_("Only eventType can be filtered on (eventType=A,B)."))
        for tmf in (v.strip() for v in value.split(",")):
            if tmf not in EVENT_FROM_TMF:
                raise _bad_query(
                    _("Unknown event type '%(name)s'; known: %(known)s.")
                    % {"name": tmf, "known": ", ".join(TMF_EVENT.values())}
                )
            if EVENT_FROM_TMF[tmf] not in chosen:
                chosen.append(EVENT_FROM_TMF[tmf])
    return chosen


def _bad_query(message: str) -> InvalidInput:
    return InvalidInput(message, errors={"query": [message]})


def trouble_ticket_json(reference: str) -> dict[str, Any] | None:
    """The TroubleTicket as the operator sees it (public events only), JSON-ready."""
    ticket = (
        Ticket.objects.select_related("operator", "eservice").filter(reference=reference).first()
    )
    if ticket is None:
        return None
    prefetch_related_objects([ticket], *mapping.prefetches())
    resource = mapping.trouble_ticket(ticket, None, _BaseUrl())
    data = TroubleTicketOut.model_validate(resource).model_dump(by_alias=True, exclude_unset=True)
    # Dates exactly as the API renders them (DjangoJSONEncoder: milliseconds, "Z").
    result: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return result


def webhook_payload(event_type: str, native: Mapping[str, Any]) -> dict[str, Any]:
    """The TMF621 event for our webhook event ``event_type`` with payload ``native``."""
    reference = str(native.get("ticket", {}).get("reference", ""))
    payload: dict[str, Any] = {
        "eventId": str(uuid.uuid4()),
        "eventTime": native.get("occurred_at"),
        "eventType": TMF_EVENT.get(event_type, event_type),
        "correlationId": reference,
        "domain": "troubleTicket",
    }
    if event_type in FIELD_PATH:
        payload["fieldPath"] = FIELD_PATH[event_type]
    payload["event"] = {"troubleTicket": trouble_ticket_json(reference)}
    return payload
