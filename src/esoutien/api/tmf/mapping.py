"""Our ticket ⇄ the TMF621 v4 TroubleTicket resource. Pure mapping: no rule lives here.

What a caller may see is decided by selectors/access (the facade only ever shows what the
operator sees: public events and attachments); what may be filed by services.ticket_create.
The tables below are the reference documented in docs/tmf621.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse

from esoutien.api.presenters import attachment_out, event_out
from esoutien.tickets.models import (
    Attachment,
    AttachmentKind,
    EventKind,
    Kind,
    Severity,
    Ticket,
    TicketEvent,
)
from esoutien.tickets.states import Status

# --- Value tables ---------------------------------------------------------------------------

STATUS_TO_TMF: dict[str, str] = {
    Status.ACKNOWLEDGED: "acknowledged",
    Status.IN_PROGRESS: "inProgress",
    Status.PENDING: "pending",
    Status.HELD: "held",
    Status.RESOLVED: "resolved",
    Status.CLOSED: "closed",
    Status.REJECTED: "rejected",
    Status.CANCELLED: "cancelled",
}
TMF_TO_STATUS: dict[str, str] = {tmf: ours for ours, tmf in STATUS_TO_TMF.items()}

SEVERITY_TO_TMF: dict[str, str] = {
    Severity.CRITICAL: "Critical",
    Severity.MAJOR: "Major",
    Severity.MINOR: "Minor",
}
# Accepted on input, compared case-insensitively (TMF severity is a free-form string).
SEVERITY_FROM_TMF: dict[str, str] = {
    "critical": Severity.CRITICAL,
    "critique": Severity.CRITICAL,
    "major": Severity.MAJOR,
    "majeur": Severity.MAJOR,
    "majeure": Severity.MAJOR,
    "minor": Severity.MINOR,
    "mineur": Severity.MINOR,
    "mineure": Severity.MINOR,
}

TICKET_TYPE_TO_TMF: dict[str, str] = {Kind.INCIDENT: "incident", Kind.REQUEST: "request"}
TICKET_TYPE_FROM_TMF: dict[str, str] = {
    "incident": Kind.INCIDENT,
    "request": Kind.REQUEST,
    "servicerequest": Kind.REQUEST,
    "demande": Kind.REQUEST,
}

# troubleTicketCharacteristic names ⇄ our fields.
CHARACTERISTIC_ESERVICE = "eservice"
CHARACTERISTIC_LINE = "lineReference"
CHARACTERISTIC_SITE = "siteAddress"
CHARACTERISTICS = (CHARACTERISTIC_ESERVICE, CHARACTERISTIC_LINE, CHARACTERISTIC_SITE)

ROLE_CUSTOMER = "customer"
ROLE_CONTACT = "contact"

# Every attribute of the resource, in output order ("fields" selects among these).
ATTRIBUTES = (
    "id",
    "href",
    "name",
    "description",
    "severity",
    "ticketType",
    "status",
    "statusChangeDate",
    "statusChangeReason",
    "creationDate",
    "lastUpdate",
    "resolutionDate",
    "expectedResolutionDate",
    "externalId",
    "relatedParty",
    "troubleTicketCharacteristic",
    "note",
    "attachment",
    "statusChange",
    "statusChangeHistory",
    "@type",
    "@baseType",
    "@schemaLocation",
)
ALWAYS = ("id", "href")
# Attributes needing the ticket's events or attachments (prefetched only when asked for).
NEEDS_EVENTS = frozenset(
    {"statusChangeDate", "statusChangeReason", "note", "statusChange", "statusChangeHistory"}
)
NEEDS_ATTACHMENTS = frozenset({"attachment"})

_TIMELINE_KINDS = (EventKind.CREATED, EventKind.STATUS, EventKind.COMMENT, EventKind.INQUIRY)
_NOTE_KINDS = (EventKind.COMMENT, EventKind.INQUIRY)


def severity_in(value: str) -> str | None:
    return SEVERITY_FROM_TMF.get((value or "").strip().lower())


def ticket_type_in(value: str) -> str | None:
    key = (value or "").strip().lower().replace(" ", "").replace("_", "")
    return TICKET_TYPE_FROM_TMF.get(key)


# --- Reading ----------------------------------------------------------------------------------


def prefetches(selected: Iterable[str] | None = None) -> list[Prefetch[Any]]:
    """The public events / attachments the selected attributes need (None: all of them)."""
    wanted = set(ATTRIBUTES if selected is None else selected)
    found: list[Prefetch[Any]] = []
    if wanted & NEEDS_EVENTS:
        events = (
            TicketEvent.objects.filter(public=True, kind__in=_TIMELINE_KINDS)
            .select_related("actor")
            .prefetch_related(
                Prefetch("attachments", queryset=Attachment.objects.filter(public=True))
            )
            .order_by("created_at", "id")
        )
        found.append(Prefetch("events", queryset=events, to_attr="tmf_events"))
    if wanted & NEEDS_ATTACHMENTS:
        files = Attachment.objects.filter(public=True).order_by("created_at", "id")
        found.append(Prefetch("attachments", queryset=files, to_attr="tmf_attachments"))
    return found


def _status_changes(events: list[TicketEvent]) -> list[dict[str, Any]]:
    changes = []
    for event in events:
        if event.kind in (EventKind.CREATED, EventKind.STATUS) and event.to_status:
            changes.append(
                {
                    "status": STATUS_TO_TMF[event.to_status],
                    "changeDate": event.created_at,
                    "changeReason": event.body,
                    "@type": "StatusChange",
                }
            )
    return changes


def _notes(events: list[TicketEvent], user: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": str(event.pk),
            "date": event.created_at,
            "author": event_out(event, user)["author"],
            "text": event.body,
            "@type": "Note",
        }
        for event in events
        if event.kind in _NOTE_KINDS and event.body
    ]


def _attachments(attachments: list[Attachment], request: Any) -> list[dict[str, Any]]:
    out = []
    for attachment in attachments:
        native = attachment_out(attachment, request)
        out.append(
            {
                "id": str(attachment.pk),
                "name": native["filename"],
                "mimeType": native["content_type"],
                "size": {"amount": native["size"], "units": "bytes"},
                "url": native["url"],
                "attachmentType": (
                    "resolutionReport" if attachment.kind == AttachmentKind.REPORT else "file"
                ),
                "@type": "Attachment",
            }
        )
    return out


def _related_parties(ticket: Ticket) -> list[dict[str, Any]]:
    parties: list[dict[str, Any]] = [
        {
            "id": ticket.operator.code,
            "name": ticket.operator.name,
            "role": ROLE_CUSTOMER,
            "@referredType": "Organization",
        }
    ]
    media: list[dict[str, Any]] = [
        {"mediumType": "email", "characteristic": {"emailAddress": ticket.contact_email}}
    ]
    if ticket.contact_phone:
        media.append(
            {"mediumType": "phone", "characteristic": {"phoneNumber": ticket.contact_phone}}
        )
    parties.append(
        {
            "name": ticket.contact_name,
            "role": ROLE_CONTACT,
            "@referredType": "Individual",
            "contactMedium": media,
        }
    )
    return parties


def _characteristics(ticket: Ticket) -> list[dict[str, Any]]:
    values = [
        (CHARACTERISTIC_ESERVICE, ticket.eservice.code),
        (CHARACTERISTIC_LINE, ticket.line_reference),
        (CHARACTERISTIC_SITE, ticket.site_address),
    ]
    return [
        {"name": name, "value": value, "valueType": "string"} for name, value in values if value
    ]


def expected_resolution_date(ticket: Ticket) -> datetime | None:
    """The SLA's resolution deadline (``sla.resolution_due`` of /api/v1); null without SLA."""
    return ticket.sla_resolution_due


def ticket_href(request: Any, reference: str) -> str:
    return str(
        request.build_absolute_uri(reverse("tmf621:retrieve_trouble_ticket", args=[reference]))
    )


def schema_location(request: Any) -> str:
    url = request.build_absolute_uri(reverse("tmf621:openapi-json"))
    return f"{url}#/components/schemas/TroubleTicket"


def trouble_ticket(
    ticket: Ticket, user: Any, request: Any, selected: Iterable[str] | None = None
) -> dict[str, Any]:
    """The TMF621 TroubleTicket for ``ticket`` as ``user`` sees it.

    ``selected``: the attributes to return (id and href always); None for all. The ticket must
    come with ``prefetches(selected)`` applied.
    """
    wanted = set(ATTRIBUTES) if selected is None else set(selected) | set(ALWAYS)
    events: list[TicketEvent] = getattr(ticket, "tmf_events", [])
    changes = _status_changes(events) if wanted & NEEDS_EVENTS else []
    last_change = changes[-1] if changes else None
    resolved = ticket.status in (Status.RESOLVED, Status.CLOSED)
    producers: dict[str, Any] = {
        "id": lambda: ticket.reference,
        "href": lambda: ticket_href(request, ticket.reference),
        "name": lambda: ticket.subject,
        "description": lambda: ticket.description,
        "severity": lambda: SEVERITY_TO_TMF[ticket.severity],
        "ticketType": lambda: TICKET_TYPE_TO_TMF[ticket.kind],
        "status": lambda: STATUS_TO_TMF[ticket.status],
        "statusChangeDate": lambda: last_change["changeDate"] if last_change else None,
        "statusChangeReason": lambda: last_change["changeReason"] if last_change else "",
        "creationDate": lambda: ticket.created_at,
        "lastUpdate": lambda: ticket.updated_at,
        "resolutionDate": lambda: ticket.resolved_at if resolved else None,
        "expectedResolutionDate": lambda: expected_resolution_date(ticket),
        "externalId": lambda: ticket.operator_reference,
        "relatedParty": lambda: _related_parties(ticket),
        "troubleTicketCharacteristic": lambda: _characteristics(ticket),
        "note": lambda: _notes(events, user),
        "attachment": lambda: _attachments(getattr(ticket, "tmf_attachments", []), request),
        "statusChange": lambda: changes,
        "statusChangeHistory": lambda: changes,
        "@type": lambda: "TroubleTicket",
        "@baseType": lambda: "TroubleTicket",
        "@schemaLocation": lambda: schema_location(request),
    }
    return {name: producers[name]() for name in ATTRIBUTES if name in wanted}
