"""Language choice and the staff MFA requirement."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from esoutien.accounts import access


class UserLanguageMiddleware:
    """Runs before LocaleMiddleware: French first, whatever the browser says.

    The language is the one chosen with the switch (cookie), else the signed-in user's
    preference, else French; the browser's Accept-Language is not consulted.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cookie = settings.LANGUAGE_COOKIE_NAME
        if cookie not in request.COOKIES:
            # The session is loaded lazily; the user id tells us whether someone is signed in.
            from django.contrib.auth import get_user

            user = get_user(request)
            # AuthenticationMiddleware reuses this instead of loading the user again.
            request._cached_user = user  # type: ignore[attr-defined]
            request.COOKIES[cookie] = getattr(user, "language", None) or settings.LANGUAGE_CODE
        return self.get_response(request)


class StaffMfaMiddleware:
    """Provider staff must enrol a TOTP authenticator before reaching any other page."""

    # Account pages (enrolment, logout, password), language switch, static files, health.
    OPEN_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            access.is_desk_user(user)
            and not request.path.startswith(self.OPEN_PREFIXES)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            messages.warning(
                request,
                _(
                    "Two-factor authentication is mandatory for the provider's staff: "
                    "set up an authenticator application to continue."
                ),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
