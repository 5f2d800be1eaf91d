"""Maintenance mode: while a window makes e-soutien itself unavailable, answer 503.

Pages get the maintenance page (HTTP 503, ``Retry-After``: seconds until the planned end),
the APIs a ``503 application/problem+json``. Provider staff keep working, signed in or with
their API token; that bypass is recorded in the audit log once per session (per token for the
API) and window. Static files, health and status endpoints, the status page, the sign-in
pages and the operators' calendar feed stay reachable.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

from esoutien.accounts import access
from esoutien.audit.recorder import record
from esoutien.core import clock
from esoutien.operations import windows

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/tmf-api/")
OPEN_PREFIXES = (
    "/static/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/statut",
    "/status",
    "/navigateurs",  # the supported browsers, linked from the maintenance page's footer
    "/accessibilite",  # the accessibility statement (RGAA): always reachable
    "/accounts/",  # sign-in, two-factor step, sign-out, password reset
    "/i18n/",
    "/maintenance/calendar/",  # the operators' calendar feed says when it ends
    "/favicon.ico",
    "/robots.txt",
)
SESSION_KEY = "maintenance_bypass"
PROBLEM_JSON = "application/problem+json"


class MaintenanceModeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        now = clock.now()
        window = windows.portal_window(now)
        if window is None:
            return self.get_response(request)
        if self._bypass(request, window):
            return self.get_response(request)
        retry_after = max(math.ceil((window.ends_at - now).total_seconds()), 1)
        if request.path.startswith(API_PREFIXES):
            return _problem(window, retry_after)
        return _page(request, window, retry_after)

    def _bypass(self, request: HttpRequest, window: windows.WindowSummary) -> bool:
        user = getattr(request, "user", None)
        try:
            staff = access.may_bypass_maintenance(user)
        except DatabaseError:  # sessions unreadable: nobody is recognised, the 503 stands
            staff = False
        if staff:
            session = getattr(request, "session", None)
            if session is not None and session.get(SESSION_KEY) != window.uid:
                session[SESSION_KEY] = window.uid
                _record(request, user, window, "session")
            return True
        if not request.path.startswith(API_PREFIXES):
            return False
        token = _api_token(request)
        if token is None or not access.may_bypass_maintenance(token.user):
            return False
        # Once per token and window: cache.add is atomic, the key lives until the end.
        key = f"operations:maintenance:bypass:{window.uid}:{token.pk}"
        timeout = max(int((window.ends_at - clock.now()).total_seconds()), 60)
        if cache.add(key, 1, timeout):
            _record(request, token.user, window, "api_token")
        return True


def _api_token(request: HttpRequest) -> Any:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    try:
        authenticate = import_string(settings.ESOUTIEN_API_TOKEN_AUTHENTICATOR)
        return authenticate(secret.strip())
    except Exception:  # an unreadable token store: no bypass, the 503 stands
        log.warning("could not check an API token during maintenance", exc_info=True)
        return None


def _record(request: HttpRequest, user: Any, window: windows.WindowSummary, via: str) -> None:
    try:
        record(
            "maintenance_bypass",
            request=request,
            actor=user,
            target=f"maintenance {window.pk}",
            data={"title": window.title_fr, "via": via, "path": request.path[:200]},
        )
    except Exception:  # the audit log being down must not lock staff out of a maintenance
        log.exception("could not record a maintenance bypass")


def _planned(response: HttpResponse, retry_after: int) -> HttpResponse:
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    # A planned 503 is no server error: keep django.request from logging each one as ERROR.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _problem(window: windows.WindowSummary, retry_after: int) -> HttpResponse:
    # The body of api/errors.problem() (operations sits below api: same shape, built here).
    body = {
        "type": "about:blank",
        "title": "Service unavailable",
        "status": 503,
        "code": "maintenance",
        "detail": (
            f"e-soutien is under planned maintenance until "
            f"{window.ends_at.isoformat()} ({window.title_fr})."
        ),
        "errors": [],
        "maintenance": {
            "title": window.title_fr,
            "starts_at": window.starts_at.isoformat(),
            "ends_at": window.ends_at.isoformat(),
        },
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=503, content_type=PROBLEM_JSON
    )
    return _planned(response, retry_after)


def _page(request: HttpRequest, window: windows.WindowSummary, retry_after: int) -> HttpResponse:
    # Rendered without the request's context processors: no query, no session, nothing that
    # needs the database that may well be what the maintenance is about.
    from esoutien.operations import formatting

    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    html = render_to_string(
        "operations/maintenance_mode.html",
        {
            "window": window,
            "title": window.title(language),
            "when": formatting.format_range(window.starts_at, window.ends_at, language),
            "ends": formatting.format_when(window.ends_at, language),
            "hotline": settings.ESOUTIEN_HOTLINE_ADDRESS,
            "LANGUAGE_CODE": language,
        },
    )
    return _planned(HttpResponse(html, status=503), retry_after)
