"""Deep link from the Espace Opérateurs: /sso/espace-operateurs/?next=/portal/tickets/ES-…/"""

from __future__ import annotations

import logging

import requests
from allauth.socialaccount.adapter import get_adapter
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from esoutien.accounts.sso import SSO_PROVIDER_ID

log = logging.getLogger(__name__)


def local_next(request: HttpRequest) -> str:
    """``next`` when it is a path on this site, else ``/`` (never another host or scheme)."""
    next_url = request.GET.get("next") or ""
    if (
        next_url.startswith("/")
        and not next_url.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return next_url
    return "/"


def deep_link(request: HttpRequest) -> HttpResponse:
    """Start the SSO flow at once and land on ``next`` (local paths only) after login.

    A GET starts the flow (allauth's own login URL wants a POST): this is the link the
    Espace Opérateurs shows. Starting a flow is harmless; what matters, the callback, is
    bound to this browser's session by ``state`` and PKCE.
    """
    next_url = local_next(request)
    if request.user.is_authenticated:
        return redirect(next_url)
    if not settings.ESOUTIEN_SSO_ISSUER:
        raise Http404("Single sign-on is not configured.")
    provider = get_adapter().get_provider(request, SSO_PROVIDER_ID)
    try:
        # Reads the IdP's discovery document: the IdP may be unreachable.
        return provider.redirect(request, process="login", next_url=next_url)
    except requests.RequestException as exc:
        log.error("Espace Opérateurs unreachable: %s", exc)
        return render(request, "accounts/sso_refused.html", {"unavailable": True}, status=503)


def provider_login(request: HttpRequest, provider_id: str) -> HttpResponse:
    """allauth's OIDC login view, with a clear 503 page when the IdP cannot be reached."""
    from allauth.socialaccount.providers.openid_connect.views import login

    try:
        return login(request, provider_id)
    except requests.RequestException as exc:
        log.error("Espace Opérateurs unreachable: %s", exc)
        return render(request, "accounts/sso_refused.html", {"unavailable": True}, status=503)
