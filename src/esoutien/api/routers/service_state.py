"""/api/v1/service-state: the state of e-soutien (read: anyone authenticated; write:
supervisors and administrators). The same service as the desk page and
``esoutien service-state set``; the public /statut.json needs no token."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from esoutien.api.errors import ERROR_RESPONSES
from esoutien.api.schemas import StrictIn
from esoutien.core import clock
from esoutien.status import state
from esoutien.status.models import ServiceState

router = Router(tags=["service state"])

StateName = Literal["operational", "degraded", "down"]


class ReasonOut(Schema):
    kind: Literal["incident", "maintenance", "health", "database"]
    state: StateName
    message_fr: str
    message_en: str
    since: datetime | None
    until: datetime | None


class ServiceStateOut(Schema):
    state: StateName = Field(description="The state now, whatever its cause.")
    message: str = Field(description="The declared incident's message (French); empty if none.")
    message_en: str
    declared: StateName = Field(
        description="The state a supervisor declared (maintenance and health checks aside)."
    )
    since: datetime | None = Field(description="Start of the declared incident.")
    reasons: list[ReasonOut]


class ServiceStateIn(StrictIn):
    state: StateName
    message: str = Field(
        "",
        max_length=2000,
        description="For the operators, in French (required unless operational).",
    )
    message_en: str = Field("", max_length=2000)


def _out() -> dict[str, Any]:
    current, reasons = state.state_at(clock.now())
    declared, incident = state.declared_state()
    return {
        "state": current,
        "message": incident.message_fr if incident else "",
        "message_en": incident.message_en if incident else "",
        "declared": declared,
        "since": incident.started_at if incident else None,
        "reasons": [
            {
                "kind": r.kind,
                "state": r.state,
                "message_fr": r.message_fr,
                "message_en": r.message_en,
                "since": r.since,
                "until": r.until,
            }
            for r in reasons
        ],
    }


@router.get(
    "/service-state",
    response={200: ServiceStateOut, **ERROR_RESPONSES},
    summary="The state of e-soutien and why",
)
def get_service_state(request: HttpRequest) -> dict[str, Any]:
    return _out()


@router.put(
    "/service-state",
    response={200: ServiceStateOut, **ERROR_RESPONSES},
    summary="Declare the state of e-soutien (supervisors)",
    description=(
        "`degraded` or `down` opens (or updates) the declared incident; `operational` ends "
        "it. While e-soutien is not operational, mail to the hotline becomes tickets."
    ),
)
def put_service_state(request: HttpRequest, payload: ServiceStateIn) -> dict[str, Any]:
    state.set_service_state(
        request.auth,  # type: ignore[attr-defined]
        ServiceState(payload.state),
        payload.message,
        payload.message_en,
        request=request,
    )
    return _out()
