"""Activate the signed-in user's preferred language unless they chose one this session."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class UserLanguageMiddleware:
    """Runs before LocaleMiddleware; seeds the language cookie from the user's preference."""

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
            language = getattr(user, "language", None)
            if language:
                request.COOKIES[cookie] = language
        return self.get_response(request)
