"""Two small middlewares of the status app (placed before the session middleware).

* ``request_metrics_middleware`` counts every request for /metrics (method, status class,
  area of the site) and times it.
* ``public_pages_middleware`` serves the public status pages and the probes as to an
  anonymous visitor: the session cookie is not read, so no database query happens before
  the view — these pages must answer while the database is unreachable.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Paths served without reading the session (prefixes).
PUBLIC_PREFIXES = ("/statut", "/navigateurs", "/healthz", "/readyz", "/metrics")

_AREAS = (
    ("/api/", "api"),
    ("/tmf-api/", "api"),
    ("/portal/", "portal"),
    ("/desk/", "desk"),
    ("/admin/", "admin"),
    ("/accounts/", "accounts"),
    ("/static/", "static"),
    ("/statut", "status"),
    ("/healthz", "probe"),
    ("/readyz", "probe"),
    ("/metrics", "probe"),
)


def area_of(path: str) -> str:
    """A coarse label (never the path itself: it holds references and ids)."""
    for prefix, area in _AREAS:
        if path.startswith(prefix):
            return area
    return "other"


def request_metrics_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    from esoutien.status import metrics

    def middleware(request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = get_response(request)
        metrics.observe_request(
            request.method or "GET",
            response.status_code,
            area_of(request.path),
            time.perf_counter() - started,
        )
        return response

    return middleware


def public_pages_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith(PUBLIC_PREFIXES):
            request.COOKIES.pop(settings.SESSION_COOKIE_NAME, None)
        return get_response(request)

    return middleware
