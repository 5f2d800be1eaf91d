"""/api/v1 tickets and e-services: thin handlers over the same selectors, services and
workflow as the pages."""

from __future__ import annotations

from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Query, Router
from ninja.files import UploadedFile
from pydantic import Field

from esoutien.accounts import access
from esoutien.accounts.models import Operator
from esoutien.api import idempotency, pagination
from esoutien.api.errors import ERROR_RESPONSES
from esoutien.api.presenters import attachment_out, event_out, ticket_out
from esoutien.api.schemas import (
    ApiDateTime,
    AttachmentOut,
    CommentIn,
    EServiceOut,
    EventOut,
    InquiryIn,
    NoNulIn,
    TicketIn,
    TicketOut,
    TicketPage,
    TransitionIn,
)
from esoutien.catalogue.models import EService
from esoutien.catalogue.selectors import subscribed_eservices
from esoutien.core import clock
from esoutien.core.errors import Forbidden, InvalidInput, NotFound
from esoutien.tickets import search, selectors, services, workflow
from esoutien.tickets.models import Source, Ticket
from esoutien.tickets.views.files import attachment_response

router = Router(tags=["tickets"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _ticket(user: Any, reference: str) -> Ticket:
    """The ticket the caller may see; missing and foreign ones are the same 404."""
    if len(reference) > 32 or "\x00" in reference:
        raise NotFound()  # cannot be a reference; never reaches the database
    return selectors.get_ticket(user, reference)


MAX_ID = 2**63 - 1  # the largest primary key the databases store

# Downloads are files, not JSON: say so in the schema.
BINARY = {"schema": {"type": "string", "format": "binary"}}
DOWNLOAD_HEADERS = {
    "Content-Disposition": {
        "description": "attachment; filename=...",
        "schema": {"type": "string"},
    }
}


@router.get(
    "/eservices",
    response={200: list[EServiceOut], **ERROR_RESPONSES},
    summary="E-services the caller may file tickets for",
)
def list_eservices(request: HttpRequest) -> list[EService]:
    user = _user(request)
    if access.is_operator_user(user):
        return subscribed_eservices(user.operator_id, clock.now().date())
    return list(EService.objects.filter(is_active=True).order_by("name"))


StatusFilter = Literal[
    "open",
    "acknowledged",
    "in_progress",
    "pending",
    "held",
    "resolved",
    "closed",
    "rejected",
    "cancelled",
]


class TicketFilterQuery(NoNulIn):
    status: StatusFilter | None = Field(None, description="A status, or 'open' (any open one).")
    eservice: str | None = Field(None, max_length=50)
    kind: Literal["incident", "request"] | None = None
    operator: str | None = Field(None, max_length=10, description="Operator code (staff).")
    updated_after: ApiDateTime | None = Field(
        None, description="Only tickets changed after this time (ISO 8601)."
    )
    q: str | None = Field(None, max_length=100)
    cursor: str | None = Field(None, max_length=40, description="From a `next` link.")
    limit: int = Field(25, ge=1, le=100)


@router.get(
    "/tickets",
    response={200: TicketPage, **ERROR_RESPONSES},
    summary="Tickets the caller may see, newest first",
)
def list_tickets(request: HttpRequest, filters: Query[TicketFilterQuery]) -> dict[str, Any]:
    user = _user(request)
    qs = selectors.ticket_list(
        user,
        selectors.TicketFilters(
            status=filters.status or "",
            eservice=filters.eservice or "",
            kind=filters.kind or "",
            operator=(filters.operator or "") if access.is_desk_user(user) else "",
        ),
    )
    # Full-text search without ranking: the API pages newest first (keyset on id).
    qs = search.filter_text(qs, filters.q or "")
    if filters.updated_after:
        qs = qs.filter(updated_at__gt=filters.updated_after)
    rows, next_url = pagination.page(request, qs, filters.cursor, filters.limit)
    return {"items": [ticket_out(t, user, request) for t in rows], "next": next_url}


def _create(request: HttpRequest, payload: TicketIn) -> tuple[int, Any]:
    user = _user(request)
    if access.is_operator_user(user):
        operator = user.operator
    else:
        operator = Operator.objects.filter(code=(payload.operator or "").upper()).first()
        if operator is None:
            message = _("Give the code of the operator you file for.")
            raise InvalidInput(message, errors={"operator": [message]})
    draft = services.TicketDraft(
        eservice=EService.objects.filter(code=payload.eservice).first(),
        kind=payload.kind,
        severity=payload.severity,
        subject=payload.subject,
        description=payload.description,
        contact_email=str(payload.contact_email),
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
        operator_reference=payload.operator_reference,
        line_reference=payload.line_reference,
        site_address=payload.site_address,
        source=Source.API,
    )
    ticket = services.ticket_create(user, operator, draft)
    ticket = selectors.get_ticket(user, ticket.reference)
    return 201, TicketOut.model_validate(ticket_out(ticket, user, request)).model_dump(mode="json")


@router.post(
    "/tickets",
    response={201: TicketOut, **ERROR_RESPONSES},
    summary="File a ticket (honours Idempotency-Key)",
)
def create_ticket(request: HttpRequest, payload: TicketIn) -> tuple[int, Any]:
    return idempotency.run_once(
        _user(request),
        request.headers.get("Idempotency-Key"),
        payload.model_dump(mode="json"),
        lambda: _create(request, payload),
    )


@router.get(
    "/tickets/{reference}", response={200: TicketOut, **ERROR_RESPONSES}, url_name="ticket_detail"
)
def get_ticket(request: HttpRequest, reference: str) -> dict[str, Any]:
    user = _user(request)
    return ticket_out(_ticket(user, reference), user, request)


@router.get("/tickets/{reference}/events", response={200: list[EventOut], **ERROR_RESPONSES})
def list_events(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    user = _user(request)
    ticket = _ticket(user, reference)
    events = selectors.timeline(ticket, include_internal=access.can_see_internal(user))
    return [event_out(e, user) for e in events]


@router.post(
    "/tickets/{reference}/comments",
    response={201: EventOut, **ERROR_RESPONSES},
    summary="A complement (operator) or a reply / internal note (staff)",
)
def add_comment(request: HttpRequest, reference: str, payload: CommentIn) -> tuple[int, Any]:
    user = _user(request)
    ticket = _ticket(user, reference)
    event = services.comment_add(user, ticket, payload.body, internal=payload.internal)
    return 201, event_out(event, user)


@router.post(
    "/tickets/{reference}/status-inquiry",
    response={201: EventOut, **ERROR_RESPONSES},
    summary="Ask for news (operators)",
)
def status_inquiry(
    request: HttpRequest, reference: str, payload: InquiryIn | None = None
) -> tuple[int, Any]:
    user = _user(request)
    ticket = _ticket(user, reference)
    if not access.is_operator_user(user):
        raise Forbidden(_("Status inquiries are sent by the operator's users."))
    event = services.status_inquiry(user, ticket, payload.body if payload else "")
    return 201, event_out(event, user)


@router.get(
    "/tickets/{reference}/attachments", response={200: list[AttachmentOut], **ERROR_RESPONSES}
)
def list_attachments(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    user = _user(request)
    ticket = _ticket(user, reference)
    found = selectors.attachments(ticket, include_internal=access.can_see_internal(user))
    return [attachment_out(a, request) for a in found]


@router.post(
    "/tickets/{reference}/attachments",
    response={201: list[AttachmentOut], **ERROR_RESPONSES},
    summary="Upload files (multipart field 'files')",
)
def upload_attachments(
    request: HttpRequest, reference: str, files: File[list[UploadedFile]]
) -> tuple[int, Any]:
    user = _user(request)
    ticket = _ticket(user, reference)
    event = services.comment_add(user, ticket, "", list(files))
    return 201, [attachment_out(a, request) for a in event.attachments.all()]


@router.get(
    "/tickets/{reference}/attachments/{attachment_id}",
    response={200: None, **ERROR_RESPONSES},
    url_name="attachment_download",
    summary="Download an attachment",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as a download.",
                "content": {"application/octet-stream": BINARY, "*/*": BINARY},
                "headers": DOWNLOAD_HEADERS,
            }
        }
    },
)
def download_attachment(request: HttpRequest, reference: str, attachment_id: int) -> FileResponse:
    user = _user(request)
    ticket = _ticket(user, reference)
    if not 0 < attachment_id <= MAX_ID:
        raise NotFound()
    return attachment_response(selectors.get_attachment(user, ticket.reference, attachment_id))


@router.get(
    "/tickets/{reference}/report.pdf",
    response={200: None, **ERROR_RESPONSES},
    url_name="ticket_report",
    summary="The resolution report (PDF)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The resolution report.",
                "content": {"application/pdf": BINARY},
                "headers": DOWNLOAD_HEADERS,
            }
        }
    },
)
def report_pdf(request: HttpRequest, reference: str) -> FileResponse:
    ticket = _ticket(_user(request), reference)
    report = ticket.reports.select_related("pdf").first()
    if report is None or report.pdf is None:
        raise NotFound()
    return attachment_response(report.pdf)


def _assignee(email: str | None) -> Any:
    if email is None:
        return None
    staff = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if staff is None or not access.is_desk_user(staff):
        message = _("Tickets are assigned to the provider's staff only.")
        raise InvalidInput(message, errors={"assignee": [message]})
    return staff


# The workflow names some fields as the pages do; the API reports them by its own names.
_FIELD_NAMES: dict[str, dict[str, str]] = {
    "request_info": {"body": "question"},
    "resolve": {"actions_taken": "actions"},
}


def _apply(user: Any, ticket: Ticket, t: TransitionIn) -> None:
    try:
        _fire(user, ticket, t)
    except InvalidInput as exc:
        names = _FIELD_NAMES.get(t.action, {"body": "reason"})
        exc.errors = {names.get(field, field): m for field, m in exc.errors.items()}
        raise


def _fire(user: Any, ticket: Ticket, t: TransitionIn) -> None:
    reason = t.reason or ""
    if t.action == "take":
        workflow.take_charge(ticket, user)
    elif t.action == "assign":
        services.assign(user, ticket, _assignee(t.assignee))
    elif t.action == "request_info":
        workflow.request_info(ticket, user, t.question or "")
    elif t.action == "hold":
        workflow.hold(ticket, user, reason)
    elif t.action == "resume":
        workflow.resume(ticket, user)
    elif t.action == "resolve":
        workflow.resolve(
            ticket,
            user,
            cause=t.cause or "",
            actions_taken=t.actions or "",
            summary=t.summary or "",
            restored_at=t.restored_at,
        )
    elif t.action == "reject":
        workflow.reject(ticket, user, reason)
    elif t.action == "reopen":
        workflow.reopen(ticket, user, reason)
    elif t.action == "close":
        workflow.close(ticket, user)
    elif t.action == "cancel":
        workflow.cancel(ticket, user, reason)
    elif t.action == "accept":
        workflow.accept_resolution(ticket, user)
    elif t.action == "contest":
        workflow.contest_resolution(ticket, user, reason)


@router.post(
    "/tickets/{reference}/transitions",
    response={200: TicketOut, **ERROR_RESPONSES},
    summary="Move the ticket through its life cycle",
)
def transition(request: HttpRequest, reference: str, payload: TransitionIn) -> dict[str, Any]:
    user = _user(request)
    ticket = _ticket(user, reference)
    _apply(user, ticket, payload)
    return ticket_out(_ticket(user, reference), user, request)
