"""/tmf-api/troubleTicket/v4/troubleTicket: thin TMF621 handlers over the facade."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from esoutien.api import idempotency
from esoutien.api.tmf import facade, mapping
from esoutien.api.tmf.schemas import (
    TMF_ERROR_RESPONSES,
    TmfProblem,
    TroubleTicketCreate,
    TroubleTicketOut,
    TroubleTicketPatch,
)
from esoutien.core.errors import InvalidInput
from esoutien.tickets import selectors

router = Router(tags=["troubleTicket"])

TOTAL_COUNT_CAP = 10_000


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _selected(fields: str | None) -> list[str] | None:
    """The ``fields`` query parameter: None for every attribute."""
    names = [f.strip() for f in (fields or "").split(",") if f.strip()]
    if not names:
        return None
    if names == ["none"]:
        return []
    unknown = [n for n in names if n not in mapping.ATTRIBUTES]
    if unknown:
        message = _("Unknown attribute(s) in fields: %(names)s.") % {"names": ", ".join(unknown)}
        raise InvalidInput(message, errors={"fields": [message]})
    return names


def _out(ticket: Any, request: HttpRequest, selected: list[str] | None = None) -> dict[str, Any]:
    return mapping.trouble_ticket(ticket, _user(request), request, selected)


# --- List ---------------------------------------------------------------------------------------

_DATE_FILTERS = {
    f"{attribute}.{op}": f"{column}__{op}"
    for attribute, column in (("lastUpdate", "updated_at"), ("creationDate", "created_at"))
    for op in ("gt", "gte", "lt", "lte")
}


class TroubleTicketQuery(Schema):
    fields: str | None = Field(
        None, description="Comma-separated attributes to return (id and href always)."
    )
    offset: int = Field(0, ge=0, le=1_000_000)
    limit: int = Field(25, ge=1, le=100)
    status: str | None = Field(None, description="TMF status name(s), comma-separated.")
    severity: str | None = Field(None, description="Critical, Major, Minor (comma-separated).")
    ticketType: str | None = Field(None, description="incident or request.")
    externalId: str | None = Field(None, max_length=64, description="The operator's reference.")
    lastUpdate_gt: datetime | None = Field(None, alias="lastUpdate.gt")
    lastUpdate_gte: datetime | None = Field(None, alias="lastUpdate.gte")
    lastUpdate_lt: datetime | None = Field(None, alias="lastUpdate.lt")
    lastUpdate_lte: datetime | None = Field(None, alias="lastUpdate.lte")
    creationDate_gt: datetime | None = Field(None, alias="creationDate.gt")
    creationDate_gte: datetime | None = Field(None, alias="creationDate.gte")
    creationDate_lt: datetime | None = Field(None, alias="creationDate.lt")
    creationDate_lte: datetime | None = Field(None, alias="creationDate.lte")


_LIST_PARAMS = frozenset(
    {"fields", "offset", "limit", "status", "severity", "ticketType", "externalId"}
) | frozenset(_DATE_FILTERS)


@router.get(
    "/troubleTicket",
    response={200: list[TroubleTicketOut], **TMF_ERROR_RESPONSES},
    summary="List trouble tickets, newest first (X-Total-Count, X-Result-Count)",
    operation_id="listTroubleTicket",
    by_alias=True,
    exclude_unset=True,
)
def list_trouble_tickets(
    request: HttpRequest, response: HttpResponse, query: Query[TroubleTicketQuery]
) -> list[dict[str, Any]]:
    unknown = sorted(set(request.GET) - _LIST_PARAMS)
    if unknown:
        message = _("Filter(s) not supported: %(names)s. Supported: %(known)s.") % {
            "names": ", ".join(unknown),
            "known": ", ".join(sorted(_LIST_PARAMS)),
        }
        raise InvalidInput(message, errors={name: [message] for name in unknown})
    selected = _selected(query.fields)
    bounds = {
        lookup: request_value
        for param, lookup in _DATE_FILTERS.items()
        if (request_value := getattr(query, param.replace(".", "_"))) is not None
    }
    qs = facade.ticket_queryset(
        _user(request),
        facade.ListFilters(
            status=query.status,
            severity=query.severity,
            ticketType=query.ticketType,
            externalId=query.externalId,
            date_bounds=bounds,
        ),
    )
    total = qs.order_by()[: TOTAL_COUNT_CAP + 1].count()
    rows = list(qs[query.offset : query.offset + query.limit])
    prefetch_related_objects(rows, *mapping.prefetches(selected))
    if total <= TOTAL_COUNT_CAP:
        response["X-Total-Count"] = str(total)
    response["X-Result-Count"] = str(len(rows))
    return [_out(t, request, selected) for t in rows]


# --- Retrieve -----------------------------------------------------------------------------------


class FieldsQuery(Schema):
    fields: str | None = Field(
        None, description="Comma-separated attributes to return (id and href always)."
    )


@router.get(
    "/troubleTicket/{id}",
    response={200: TroubleTicketOut, **TMF_ERROR_RESPONSES},
    summary="Retrieve a trouble ticket by its reference",
    operation_id="retrieveTroubleTicket",
    url_name="retrieve_trouble_ticket",
    by_alias=True,
    exclude_unset=True,
)
def retrieve_trouble_ticket(
    request: HttpRequest, id: str, query: Query[FieldsQuery]
) -> dict[str, Any]:
    selected = _selected(query.fields)
    ticket = facade.get_ticket(_user(request), id, selected)
    return _out(ticket, request, selected)


# --- Create -------------------------------------------------------------------------------------


def _create(request: HttpRequest, payload: TroubleTicketCreate) -> tuple[int, Any]:
    user = _user(request)
    ticket = facade.create_ticket(user, payload)
    ticket = facade.get_ticket(user, ticket.reference, None)
    body = TroubleTicketOut.model_validate(_out(ticket, request)).model_dump(
        mode="json", by_alias=True, exclude_unset=True
    )
    return 201, body


@router.post(
    "/troubleTicket",
    response={201: TroubleTicketOut, **TMF_ERROR_RESPONSES},
    summary="Create a trouble ticket (honours Idempotency-Key)",
    operation_id="createTroubleTicket",
    by_alias=True,
    exclude_unset=True,
)
def create_trouble_ticket(
    request: HttpRequest, response: HttpResponse, payload: TroubleTicketCreate
) -> Status[Any]:
    status, body = idempotency.run_once(
        _user(request),
        request.headers.get("Idempotency-Key"),
        {"tmf621": payload.model_dump(mode="json", by_alias=True)},
        lambda: _create(request, payload),
    )
    response["Location"] = body["href"]
    return Status(status, body)


# --- Patch --------------------------------------------------------------------------------------


@router.patch(
    "/troubleTicket/{id}",
    response={200: TroubleTicketOut, 415: TmfProblem, **TMF_ERROR_RESPONSES},
    summary="Add notes to a trouble ticket (JSON merge patch: only 'note')",
    description=(
        "Send `application/merge-patch+json` (or `application/json`) with a `note` list. "
        "Notes without an `id` (or with an id unknown on the ticket) are added as public "
        "messages from the caller; notes already on the ticket are left as they are and none "
        "is ever removed. Any other attribute is refused with 422."
    ),
    operation_id="patchTroubleTicket",
    by_alias=True,
    exclude_unset=True,
)
def patch_trouble_ticket(request: HttpRequest, id: str, payload: TroubleTicketPatch) -> Any:
    user = _user(request)
    ticket = selectors.get_ticket(user, id)
    facade.add_notes(user, ticket, payload.note)
    return _out(facade.get_ticket(user, id, None), request)
