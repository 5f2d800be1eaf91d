"""Helpers shared by the portal and desk views (paging, error display)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from esoutien.accounts import access
from esoutien.accounts.models import Operator, User
from esoutien.audit.recorder import record
from esoutien.core.errors import NotFound
from esoutien.tickets import selectors
from esoutien.tickets.models import Ticket


def paginate(request: HttpRequest, queryset: QuerySet[Any]) -> Page[Any]:
    paginator = Paginator(queryset, settings.ESOUTIEN_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _guard(check: Callable[[Any], bool]) -> Callable[..., Any]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not check(request.user):
                record("permission_denied", request=request, outcome="refused", target=request.path)
                return render(request, "accounts/no_access.html", status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


operator_required = _guard(access.is_operator_user)
desk_required = _guard(access.is_desk_user)


def current_user(request: HttpRequest) -> User:
    """The signed-in user (views using this are behind login_required)."""
    return cast(User, request.user)


def current_operator(request: HttpRequest) -> Operator:
    """The signed-in operator user's operator (views using this are operator_required)."""
    operator = current_user(request).operator
    assert operator is not None
    return operator


def ticket_or_404(request: HttpRequest, reference: str) -> Ticket:
    """The ticket if the user may see it; a foreign one is the same 404 as a missing one."""
    try:
        return selectors.get_ticket(request.user, reference)
    except NotFound as exc:
        raise Http404(_("No ticket with this reference.")) from exc
