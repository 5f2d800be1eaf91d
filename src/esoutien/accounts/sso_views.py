"""Deep link from the Espace Opérateurs: /sso/espace-operateurs/?next=/portal/tickets/ES-…/"""

from __future__ import annotations

from allauth.socialaccount.adapter import get_adapter
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from esoutien.accounts.sso import SSO_PROVIDER_ID


def deep_link(request: HttpRequest) -> HttpResponse:
    """Start the SSO flow at once and land on ``next`` (local paths only) after login."""
    next_url = request.GET.get("next") or ""
    if not (
        next_url.startswith("/")
        and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        next_url = "/"
    if request.user.is_authenticated:
        return redirect(next_url)
    if not settings.ESOUTIEN_SSO_ISSUER:
        raise Http404("Single sign-on is not configured.")
    provider = get_adapter().get_provider(request, SSO_PROVIDER_ID)
    return provider.redirect(request, process="login", next_url=next_url)
