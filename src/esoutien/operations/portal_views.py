"""Maintenance pages for everyone signed in: the windows, the e-mail opt-in, the calendar feed
address (operator managers), and the feed itself (its secret address is the credential)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from esoutien.accounts import access
from esoutien.core import clock
from esoutien.core.errors import Forbidden
from esoutien.operations import feeds, ics, maintenance
from esoutien.operations.models import LIVE_STATES, MaintenanceWindow

RECENT_DAYS = 30


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    now = clock.now()
    windows = MaintenanceWindow.objects.prefetch_related("eservices")
    feed = None
    if access.may_manage_calendar_feed(user):
        feed = feeds.feed_for(user.operator_id)
    return render(
        request,
        "operations/maintenance_overview.html",
        {
            "coming": windows.filter(state__in=LIVE_STATES, ends_at__gt=now).order_by("starts_at"),
            "recent": windows.filter(ends_at__gte=now - timedelta(days=RECENT_DAYS))
            .exclude(state__in=LIVE_STATES, ends_at__gt=now)
            .order_by("-starts_at")[:20],
            "subscribed": maintenance.is_subscribed(user),
            "manages_feed": access.may_manage_calendar_feed(user),
            "feed_url": (
                request.build_absolute_uri(reverse("maintenance:feed", args=[feed.token]))
                if feed
                else ""
            ),
            "manages_windows": access.may_manage_maintenance(user),
        },
    )


@login_required
@require_POST
def subscription(request: HttpRequest) -> HttpResponse:
    on = request.POST.get("subscribe") == "on"
    maintenance.set_subscription(request.user, on)
    messages.success(
        request,
        _("You will receive the maintenance announcements by e-mail.")
        if on
        else _("You will no longer receive the maintenance announcements by e-mail."),
    )
    return redirect("maintenance:overview")


@login_required
@require_POST
def feed_regenerate(request: HttpRequest) -> HttpResponse:
    try:
        feeds.regenerate(request.user, request=request)
    except Forbidden:
        return render(request, "accounts/no_access.html", status=403)
    messages.success(
        request,
        _("New calendar address created; the previous one no longer works."),
    )
    return redirect(reverse("maintenance:overview") + "#calendar-feed")


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    found = feeds.by_token(token)
    if found is None:
        raise Http404()
    data = ics.feed(
        feeds.windows_for_operator(found.operator_id),
        name=_("e-soutien maintenance — %(operator)s") % {"operator": found.operator.code},
    )
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="maintenance-e-soutien.ics"'
    # The address is a secret: no shared cache may keep the answer.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
