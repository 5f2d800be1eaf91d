"""The supervisors' maintenance pages: list, publish, change (reschedule or update), cancel.

Every action that e-mails operators goes through a confirmation step that says how many
addresses will be written to.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from esoutien.accounts import access
from esoutien.core import clock
from esoutien.core.errors import DomainError, InvalidInput
from esoutien.operations import maintenance
from esoutien.operations.forms import WindowForm
from esoutien.operations.models import LIVE_STATES, MaintenanceWindow


def _refused(request: HttpRequest) -> HttpResponse | None:
    if not access.may_manage_maintenance(request.user):
        return render(request, "accounts/no_access.html", status=403)
    return None


def _window(window_id: int) -> MaintenanceWindow:
    window = MaintenanceWindow.objects.prefetch_related("eservices").filter(pk=window_id).first()
    if window is None:
        raise Http404()
    return window


def _form_errors(form: WindowForm, exc: InvalidInput) -> None:
    for name, errors in exc.errors.items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)
    if not exc.errors:
        form.add_error(None, str(exc))


@login_required
@require_http_methods(["GET"])
def window_list(request: HttpRequest) -> HttpResponse:
    refused = _refused(request)
    if refused:
        return refused
    windows = (
        MaintenanceWindow.objects.prefetch_related("eservices")
        .annotate(mails=Count("announcements"))
        .order_by("-starts_at", "-id")
    )
    now = clock.now()
    return render(
        request,
        "operations/desk_list.html",
        {
            "coming": [w for w in windows if w.state in LIVE_STATES and w.ends_at > now][::-1],
            "past": [w for w in windows if not (w.state in LIVE_STATES and w.ends_at > now)][:50],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def window_new(request: HttpRequest) -> HttpResponse:
    refused = _refused(request)
    if refused:
        return refused
    form = WindowForm(request.POST or None)
    confirm = None
    if request.method == "POST" and form.is_valid():
        data = form.window_data()
        if request.POST.get("confirmed") == "yes":
            try:
                window = maintenance.publish(request.user, data, request=request)
            except InvalidInput as exc:
                _form_errors(form, exc)
            else:
                count = window.announcements.get().recipient_count
                messages.success(
                    request,
                    _("Maintenance published; %(count)s e-mails are on their way.")
                    % {"count": count},
                )
                return redirect("maintenance:desk_list")
        else:
            confirm = {"recipients": maintenance.recipient_count(data=data)}
    return render(
        request,
        "operations/desk_form.html",
        {"form": form, "confirm": confirm, "window": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def window_edit(request: HttpRequest, window_id: int) -> HttpResponse:
    refused = _refused(request)
    if refused:
        return refused
    window = _window(window_id)
    editable = window.state in LIVE_STATES
    form = WindowForm(
        request.POST if request.method == "POST" and editable else None,
        initial=WindowForm.initial_for(window),
    )
    confirm = None
    if request.method == "POST" and editable and form.is_valid():
        data = form.window_data()
        rescheduled = (data.starts_at, data.ends_at) != (window.starts_at, window.ends_at)
        if request.POST.get("confirmed") == "yes":
            try:
                changed = maintenance.change(
                    request.user,
                    window.pk,
                    request=request,
                    **{k: getattr(data, k) for k in (*maintenance.FIELDS, "starts_at", "ends_at")},
                    eservices=data.eservices,
                )
            except InvalidInput as exc:
                _form_errors(form, exc)
            except DomainError as exc:
                messages.error(request, str(exc))
                return redirect("maintenance:desk_edit", window.pk)
            else:
                if changed.sequence == window.sequence:
                    messages.info(request, _("Nothing changed; no e-mail was sent."))
                else:
                    messages.success(request, _("Maintenance changed; operators are told."))
                return redirect("maintenance:desk_list")
        else:
            confirm = {
                "recipients": maintenance.recipient_count(window=window),
                "rescheduled": rescheduled,
            }
    return render(
        request,
        "operations/desk_form.html",
        {"form": form, "confirm": confirm, "window": window, "editable": editable},
    )


@login_required
@require_http_methods(["GET", "POST"])
def window_cancel(request: HttpRequest, window_id: int) -> HttpResponse:
    refused = _refused(request)
    if refused:
        return refused
    window = _window(window_id)
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        try:
            maintenance.cancel(request.user, window.pk, request=request)
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Maintenance cancelled; operators are told."))
        return redirect("maintenance:desk_list")
    context: dict[str, Any] = {
        "window": window,
        "cancellable": window.state in LIVE_STATES,
        "recipients": maintenance.recipient_count(window=window),
    }
    return render(request, "operations/desk_cancel.html", context)
