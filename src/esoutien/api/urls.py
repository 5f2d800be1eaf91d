"""The REST API: /api/v1 (schema at /api/v1/openapi.json, docs at /api/v1/docs)."""

from __future__ import annotations

from ninja import NinjaAPI

from esoutien.api import errors
from esoutien.api.auth import AUTH, TokenRateThrottle
from esoutien.api.routers.tickets import router as tickets_router

api = NinjaAPI(
    title="e-soutien API",
    version="1.0.0",
    description=(
        "Everything the e-soutien portal and desk do, for operators' systems and provider "
        "tools. Authenticate with `Authorization: Bearer <token>` (a personal token from "
        "the portal's API access page or `esoutien apitoken create`). Errors are "
        "`application/problem+json` with a stable `code`."
    ),
    urls_namespace="api-1",
    auth=AUTH,
    throttle=[TokenRateThrottle()],
)
errors.install(api)
api.add_router("", tickets_router)
api.add_router("", "esoutien.api.routers.webhooks.router")
api.add_router("", "esoutien.api.routers.service_state.router")  # status app
api.add_router("", "esoutien.api.routers.maintenance.router")  # operations: maintenance
