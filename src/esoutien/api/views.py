"""The "Accès API" page: a person's own API tokens (create, see once, revoke)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from esoutien.accounts.models import User
from esoutien.api.models import ApiToken
from esoutien.api.tokens import create_token, revoke_token
from esoutien.core.errors import InvalidInput, NotFound


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    secret = None
    error = ""
    if request.method == "POST":
        try:
            _token, secret = create_token(
                request.user, request.POST.get("name", ""), request=request
            )
        except InvalidInput as exc:
            error = str(exc)
    response = render(
        request,
        "api/tokens.html",
        {
            "tokens": ApiToken.objects.filter(user=cast(User, request.user)),
            "secret": secret,
            "error": error,
        },
    )
    # The clear token is on this page only once: never cache it.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = revoke_token(request.user, token_id, request=request)
    except NotFound as exc:
        raise Http404() from exc
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api_tokens")
