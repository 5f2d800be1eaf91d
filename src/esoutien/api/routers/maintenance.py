"""/api/v1/maintenance-windows: planned maintenance (docs/maintenance.md).

Everyone with a token reads the windows (an operator's systems plan around them); supervisors
and administrators publish, reschedule, update and cancel them, which e-mails the operators
concerned exactly as the desk does. Thin handlers over operations/maintenance.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from esoutien.accounts import access
from esoutien.api import idempotency
from esoutien.api.errors import ERROR_RESPONSES
from esoutien.api.schemas import ApiDateTime, NoNulIn, StrictIn
from esoutien.core import clock
from esoutien.core.errors import Forbidden, InvalidInput, NotFound
from esoutien.operations import maintenance
from esoutien.operations.models import LIVE_STATES, MaintenanceWindow, WindowState

router = Router(tags=["maintenance"])

StateName = Literal["NOUVEAU", "REPLANIFICATION", "MAJ", "CLOTURE", "ANNULE"]
MAX_ID = 2**63 - 1


class WindowIn(StrictIn):
    title_fr: str = Field(min_length=1, max_length=200, description="Title in French.")
    title_en: str = Field("", max_length=200)
    description_fr: str = Field("", max_length=5000)
    description_en: str = Field("", max_length=5000)
    starts_at: ApiDateTime = Field(description="ISO 8601; without an offset: Paris time.")
    ends_at: ApiDateTime
    affects_portal: bool = Field(
        False, description="e-soutien itself (portal, desk, API) is unavailable."
    )
    eservices: list[str] = Field(
        default_factory=list, max_length=50, description="Codes of the affected e-services."
    )


class WindowPatch(StrictIn):
    """Only the fields given change. New dates reschedule (REPLANIFICATION), other changes
    update (MAJ); ``state: ANNULE`` alone cancels. Each change is e-mailed."""

    title_fr: str | None = Field(None, min_length=1, max_length=200)
    title_en: str | None = Field(None, max_length=200)
    description_fr: str | None = Field(None, max_length=5000)
    description_en: str | None = Field(None, max_length=5000)
    starts_at: ApiDateTime | None = None
    ends_at: ApiDateTime | None = None
    affects_portal: bool | None = None
    eservices: list[str] | None = Field(None, max_length=50)
    state: Literal["ANNULE"] | None = Field(None, description="ANNULE cancels the window.")


class WindowOut(Schema):
    id: int
    uid: str = Field(description="The iCalendar UID of the window's event.")
    href: str
    title_fr: str
    title_en: str
    description_fr: str
    description_en: str
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    affects_portal: bool
    eservices: list[str] = Field(description="Codes of the affected e-services.")
    state: StateName = Field(description="Interop'Fibre works vocabulary.")
    sequence: int = Field(description="iCalendar SEQUENCE: grows with each announcement.")
    in_progress: bool
    created_at: datetime
    updated_at: datetime


class WindowFilterQuery(NoNulIn):
    state: StateName | None = None
    since: ApiDateTime | None = Field(
        None, description="Windows ending after this time (default: 30 days ago)."
    )
    limit: int = Field(100, ge=1, le=500)


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _require_manager(user: Any) -> None:
    if not access.may_manage_maintenance(user):
        raise Forbidden(_("Only supervisors manage maintenance windows."))


def _get(window_id: int) -> MaintenanceWindow:
    if not 0 < window_id <= MAX_ID:
        raise NotFound()
    window = MaintenanceWindow.objects.prefetch_related("eservices").filter(pk=window_id).first()
    if window is None:
        raise NotFound()
    return window


def window_out(window: MaintenanceWindow, request: HttpRequest) -> dict[str, Any]:
    now = clock.now()
    return {
        "id": window.pk,
        "uid": window.uid,
        "href": request.build_absolute_uri(
            reverse("api-1:maintenance_window_detail", args=[window.pk])
        ),
        "title_fr": window.title_fr,
        "title_en": window.title_en,
        "description_fr": window.description_fr,
        "description_en": window.description_en,
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "duration_minutes": int((window.ends_at - window.starts_at).total_seconds() // 60),
        "affects_portal": window.affects_portal,
        "eservices": sorted(e.code for e in window.eservices.all()),
        "state": window.state,
        "sequence": window.sequence,
        "in_progress": window.state in LIVE_STATES and window.starts_at <= now < window.ends_at,
        "created_at": window.created_at,
        "updated_at": window.updated_at,
    }


@router.get(
    "/maintenance-windows",
    response={200: list[WindowOut], **ERROR_RESPONSES},
    summary="Maintenance windows, by start (ended ones: the last 30 days by default)",
)
def list_maintenance_windows(
    request: HttpRequest, filters: Query[WindowFilterQuery]
) -> list[dict[str, Any]]:
    since = filters.since or clock.now() - timedelta(days=30)
    qs = MaintenanceWindow.objects.filter(ends_at__gt=since).prefetch_related("eservices")
    if filters.state:
        qs = qs.filter(state=filters.state)
    return [window_out(w, request) for w in qs.order_by("starts_at", "id")[: filters.limit]]


def _create(request: HttpRequest, payload: WindowIn) -> tuple[int, Any]:
    window = maintenance.publish(
        _user(request),
        maintenance.WindowData(
            title_fr=payload.title_fr,
            title_en=payload.title_en,
            description_fr=payload.description_fr,
            description_en=payload.description_en,
            starts_at=payload.starts_at,
            ends_at=payload.ends_at,
            affects_portal=payload.affects_portal,
            eservices=payload.eservices,
        ),
        request=request,
    )
    body = WindowOut.model_validate(window_out(_get(window.pk), request))
    return 201, body.model_dump(mode="json")


@router.post(
    "/maintenance-windows",
    response={201: WindowOut, **ERROR_RESPONSES},
    summary="Publish a maintenance window (supervisors; e-mails operators; Idempotency-Key)",
)
def create_maintenance_window(request: HttpRequest, payload: WindowIn) -> Status[Any]:
    user = _user(request)
    _require_manager(user)
    status, body = idempotency.run_once(
        user,
        request.headers.get("Idempotency-Key"),
        payload.model_dump(mode="json"),
        lambda: _create(request, payload),
    )
    return Status(status, body)


@router.get(
    "/maintenance-windows/{window_id}",
    response={200: WindowOut, **ERROR_RESPONSES},
    url_name="maintenance_window_detail",
)
def get_maintenance_window(request: HttpRequest, window_id: int) -> dict[str, Any]:
    return window_out(_get(window_id), request)


@router.patch(
    "/maintenance-windows/{window_id}",
    response={200: WindowOut, **ERROR_RESPONSES},
    summary="Reschedule, update or cancel a window (supervisors; e-mails operators)",
)
def update_maintenance_window(
    request: HttpRequest, window_id: int, payload: WindowPatch
) -> dict[str, Any]:
    user = _user(request)
    _require_manager(user)
    window = _get(window_id)
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    if changes.pop("state", None) == WindowState.CANCELLED:
        if changes:
            message = _("Cancel alone: send only the state.")
            raise InvalidInput(message, errors={"state": [message]})
        maintenance.cancel(user, window.pk, request=request)
    elif changes:
        maintenance.change(user, window.pk, request=request, **changes)
    return window_out(_get(window.pk), request)
