"""API authentication (personal bearer tokens or the browser session) and rate limits."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.throttling import BaseThrottle
from ninja.utils import check_csrf

from esoutien.api.errors import CsrfFailed
from esoutien.api.tokens import authenticate_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = authenticate_token(token)
        if api_token is None:
            return None
        request.api_token = api_token  # type: ignore[attr-defined]
        request.user = api_token.user
        return api_token.user


class BrowserSession(APIKeyCookie):
    """Same-origin calls from a signed-in browser; CSRF is enforced for unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            # No signed-in session: this scheme does not apply, and the caller gets the 401
            # of a missing or bad token, not a CSRF refusal.
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise CsrfFailed()
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if key and user is not None and user.is_authenticated and user.is_active:
            return user
        return None


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(
    r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])(?:ec|econd|in|inute|our|ay)?s?\s*", re.IGNORECASE
)


def parse_rate(rate: str) -> tuple[int, int]:
    """ "N/s", "N/m", "N/h", "N/d" (or "N/10m", "N/min"...) → (requests, seconds)."""
    match = _RATE.fullmatch(rate or "")
    if match is None or int(match[1]) < 1:
        raise ValueError(f"Invalid API rate limit {rate!r}: use N/s, N/m, N/h or N/d.")
    return int(match[1]), int(match[2] or 1) * _PERIODS[match[3].lower()]


class TokenRateThrottle(BaseThrottle):
    """Per token (or per browser user) request budget; 429 with Retry-After beyond it.

    The rate is read from ``settings.ESOUTIEN_API_RATE_LIMIT`` at each request (it is checked
    once at start-up). One instance serves every request of every thread: what ``wait()``
    reports is kept per thread.
    """

    cache_format = "throttle_api_%s"

    def __init__(self) -> None:
        parse_rate(settings.ESOUTIEN_API_RATE_LIMIT)  # a bad setting fails at start-up
        self._local = threading.local()

    def ident(self, request: HttpRequest) -> str:
        token = getattr(request, "api_token", None)
        if token is not None:
            return f"token-{token.pk}"
        auth = getattr(request, "auth", None)
        if auth is not None:
            return f"user-{auth.pk}"
        return f"ip-{self.get_ident(request)}"

    def allow_request(self, request: HttpRequest) -> bool:
        count, duration = parse_rate(settings.ESOUTIEN_API_RATE_LIMIT)
        key = self.cache_format % self.ident(request)
        now = time.time()
        history = [t for t in cache.get(key, []) if t > now - duration]
        if len(history) >= count:
            # The oldest request in the window leaves it in this many seconds.
            self._local.wait = max(duration - (now - history[-1]), 1.0)
            return False
        history.insert(0, now)
        cache.set(key, history, duration)
        self._local.wait = None
        return True

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


AUTH = [BearerToken(), BrowserSession()]
