"""The audit log for supervisors and administrators: search, page through, export as CSV."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from esoutien.accounts import access
from esoutien.audit import export
from esoutien.audit.forms import AuditFilterForm
from esoutien.audit.models import AuditEvent
from esoutien.audit.recorder import record


def supervisor_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Supervisors and administrators only; any other account gets a recorded 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not access.sees_all_eservices(request.user):
            record("permission_denied", request=request, outcome="refused", target=request.path)
            return render(request, "accounts/no_access.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@require_GET
@supervisor_required
def event_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = form.filter(AuditEvent.objects.all())
    page = Paginator(events, settings.ESOUTIEN_PAGE_SIZE).get_page(request.GET.get("page"))
    query = _query_without_page(request)
    return render(
        request,
        "audit/event_list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "retention_days": settings.ESOUTIEN_AUDIT_RETENTION_DAYS,
        },
    )


@require_GET
@supervisor_required
def event_export(request: HttpRequest) -> StreamingHttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = form.filter(AuditEvent.objects.all())
    record("audit_exported", request=request, data=form.criteria())
    response = StreamingHttpResponse(
        export.csv_lines(events, translation.get_language() or settings.LANGUAGE_CODE),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localtime(timezone.now(), export.PARIS).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="journal-audit-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
