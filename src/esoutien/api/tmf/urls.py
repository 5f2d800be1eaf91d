"""The TMF621 Trouble Ticket facade: /tmf-api/troubleTicket/v4/ (schema at .../openapi.json)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from esoutien.api import errors
from esoutien.api.auth import AUTH, TokenRateThrottle
from esoutien.api.tmf.hub import router as hub_router
from esoutien.api.tmf.views import router as trouble_ticket_router


class TmfNinjaAPI(NinjaAPI):
    """Errors stay application/problem+json (as /api/v1); each also carries the members of
    TMF's Error (``code``, ``reason``, ``message``, ``status``) for TMF clients."""

    def on_exception(self, request: HttpRequest, exc: Any) -> HttpResponse:
        response = super().on_exception(request, exc)
        if response.get("Content-Type", "").startswith(errors.PROBLEM_JSON):
            body: dict[str, Any] = json.loads(response.content)
            body.setdefault("reason", body.get("title", ""))
            body.setdefault("message", body.get("detail", ""))
            response.content = json.dumps(body, ensure_ascii=False).encode()
        return response


tmf_api = TmfNinjaAPI(
    title="e-soutien TMF621 Trouble Ticket API",
    version="4.0.0",
    description=(
        "A TM Forum TMF621 (v4) facade over the e-soutien tickets, for operators' OSS. The "
        "mapping between our tickets and the TroubleTicket resource is in docs/tmf621.md. "
        "Authenticate with `Authorization: Bearer <token>` (the same personal tokens as "
        "/api/v1). Errors are `application/problem+json` with a stable `code`, plus TMF's "
        "`reason` and `message`."
    ),
    urls_namespace="tmf621",
    auth=AUTH,
    throttle=[TokenRateThrottle()],
)
errors.install(tmf_api)
tmf_api.add_router("", trouble_ticket_router)
tmf_api.add_router("", hub_router)
