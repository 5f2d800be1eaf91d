"""Public status pages, probes, metrics, and the supervisors' service-state page.

The public pages (/statut, its JSON and feed, /navigateurs) and the probes read no session
(status/middleware.py) and render from the status snapshot, so they answer while the
database is unreachable.
"""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from esoutien.accounts import access
from esoutien.audit.recorder import record
from esoutien.core import clock
from esoutien.core.errors import DomainError, InvalidInput
from esoutien.status import browsers, feeds, health, metrics, snapshot, state
from esoutien.status.forms import ServiceStateForm
from esoutien.status.models import ServiceState

# Browsers and proxies may keep the public pages this long (the state changes rarely).
PUBLIC_MAX_AGE = 30


def _public(response: HttpResponse, *, shared: bool = False) -> HttpResponse:
    """Cacheable briefly; by shared caches only when the answer is the same for everyone
    (pages and the feed follow the reader's language cookie and carry a CSRF cookie)."""
    if shared:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    else:
        patch_cache_control(response, private=True, max_age=PUBLIC_MAX_AGE)
        patch_vary_headers(response, ["Cookie"])
    return response


@require_GET
def status_page(request: HttpRequest) -> HttpResponse:
    data = snapshot.current()
    response = render(
        request,
        "status/page.html",
        {
            "status": snapshot.for_display(data, get_language() or "fr"),
            "state_labels": dict(ServiceState.choices),
            "hotline_address": settings.ESOUTIEN_HOTLINE_ADDRESS,
            "history_days": snapshot.HISTORY_DAYS,
        },
    )
    return _public(response)


@require_GET
def status_json(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(snapshot.current(), json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"  # public data, for operators' dashboards
    return _public(response, shared=True)


@require_GET
def status_feed(request: HttpRequest) -> HttpResponse:
    body, content_type = feeds.atom(snapshot.current(), request)
    return _public(HttpResponse(body, content_type=content_type))


@require_GET
def browsers_page(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "status/browsers.html",
        {
            "rules": browsers.rules(),
            "your_browser": browsers.parse(request.headers.get("User-Agent", "")),
        },
    )
    return _public(response)


# --- Probes and metrics -----------------------------------------------------------------------


def health_view(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. No database, no queue (that is /readyz)."""
    response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = "no-store"
    return response


def ready(request: HttpRequest) -> HttpResponse:
    """Readiness: the database and the queue answer (503 otherwise)."""
    results = health.run_checks(["database", "queue"])
    ok = all(r.ok for r in results)
    response = JsonResponse(
        {
            "status": "ok" if ok else "unavailable",
            "checks": {r.name: {"ok": r.ok, "detail": r.detail} for r in results},
        },
        status=200 if ok else 503,
    )
    response["Cache-Control"] = "no-store"
    return response


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition; 404 when no token is configured, 401 without the right one."""
    token = settings.ESOUTIEN_METRICS_TOKEN
    if not token:
        raise Http404()
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.render()
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


# --- The supervisors' page --------------------------------------------------------------------


def supervisor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.may_declare_service_state(request.user):
            record("permission_denied", request=request, outcome="refused", target=request.path)
            return render(request, "accounts/no_access.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


@supervisor_required
def desk_state(request: HttpRequest) -> HttpResponse:
    declared, incident = state.declared_state()
    initial = {"state": declared}
    if incident is not None:
        initial.update(message_fr=incident.message_fr, message_en=incident.message_en)
    form = ServiceStateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            state.set_service_state(
                request.user,
                form.cleaned_data["state"],
                form.cleaned_data["message_fr"],
                form.cleaned_data["message_en"],
                request=request,
            )
        except InvalidInput as exc:
            for name, errors in exc.errors.items():
                for error in errors:
                    form.add_error("message_fr" if name == "message" else None, error)
            if not exc.errors:
                form.add_error(None, exc.message)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The state of e-soutien is saved."))
            with contextlib.suppress(DatabaseError):
                snapshot.refresh()
            return redirect("status:desk_state")
    current, reasons = state.state_at(clock.now())
    return render(
        request,
        "status/desk_state.html",
        {
            "form": form,
            "current": current,
            "current_label": ServiceState(current).label,
            "reasons": snapshot.for_display([r.as_dict() for r in reasons], get_language() or "fr"),
        },
    )
