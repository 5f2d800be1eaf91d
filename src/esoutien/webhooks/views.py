"""The "Webhooks" page of operator managers: their operator's endpoints and deliveries."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from esoutien.accounts import access
from esoutien.core.errors import DomainError, InvalidInput, NotFound
from esoutien.webhooks import endpoints
from esoutien.webhooks.forms import EndpointForm
from esoutien.webhooks.models import WebhookEndpoint


def _refused(request: HttpRequest) -> HttpResponse | None:
    """This page is for the managers of an operator (administrators use the API)."""
    user: Any = request.user
    if not access.may_manage_operator_users(user, getattr(user, "operator_id", None)):
        return render(request, "accounts/no_access.html", status=403)
    return None


def _endpoint(request: HttpRequest, endpoint_id: int) -> WebhookEndpoint:
    try:
        return endpoints.get_endpoint(request.user, endpoint_id)
    except NotFound as exc:
        raise Http404() from exc


@login_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    refused = _refused(request)
    if refused:
        return refused
    user: Any = request.user
    form = EndpointForm(request.POST or None)
    secret = None
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = endpoints.create_endpoint(
                user,
                user.operator_id,
                url=form.cleaned_data["url"],
                event_types=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
                request=request,
            )
        except InvalidInput as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
            if not exc.errors:
                form.add_error(None, str(exc))
        else:
            form = EndpointForm()
    response = render(
        request,
        "webhooks/endpoint_list.html",
        {
            "form": form,
            "endpoints": endpoints.manageable(user).order_by("created_at", "id"),
            "created": created,
            "secret": secret,
            "max_endpoints": endpoints.MAX_ENDPOINTS_PER_OPERATOR,
        },
    )
    # The signing secret is on this page only once: never cache it.
    response["Cache-Control"] = "no-store"
    return response


@login_required
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    refused = _refused(request)
    if refused:
        return refused
    endpoint = _endpoint(request, endpoint_id)
    deliveries = list(endpoints.recent_deliveries(endpoint)[: endpoints.RECENT_DELIVERIES])
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {"endpoint": endpoint, "deliveries": deliveries},
    )


@login_required
@require_POST
def endpoint_active(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    refused = _refused(request)
    if refused:
        return refused
    endpoint = _endpoint(request, endpoint_id)
    active = request.POST.get("active") == "1"
    endpoints.set_active(request.user, endpoint, active, request=request)
    messages.success(
        request,
        _("The webhook is enabled.") if active else _("The webhook is disabled: nothing is sent."),
    )
    return redirect("webhooks:detail", endpoint.pk)


@login_required
@require_POST
def endpoint_delete(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    refused = _refused(request)
    if refused:
        return refused
    endpoint = _endpoint(request, endpoint_id)
    url = endpoint.url
    endpoints.delete_endpoint(request.user, endpoint, request=request)
    messages.success(request, _("The webhook to %(url)s is deleted.") % {"url": url})
    return redirect("webhooks:list")


@login_required
@require_POST
def delivery_redeliver(request: HttpRequest, endpoint_id: int, delivery_id: UUID) -> HttpResponse:
    refused = _refused(request)
    if refused:
        return refused
    endpoint = _endpoint(request, endpoint_id)
    try:
        delivery = endpoints.get_delivery(endpoint, delivery_id)
    except NotFound as exc:
        raise Http404() from exc
    try:
        endpoints.redeliver(request.user, delivery)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Delivery %(id)s is queued to be sent again.") % {"id": delivery.delivery_id},
        )
    return redirect("webhooks:detail", endpoint.pk)
