"""Template context: the maintenance windows the banner of every page announces."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from esoutien.operations import windows


def _for(request: HttpRequest) -> list[windows.WindowSummary]:
    # Signed-in people only: the sign-in page stays free of queries (anonymous visitors
    # see the maintenance page itself while e-soutien is down, and /statut).
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return windows.for_banner()


def maintenance(request: HttpRequest) -> dict[str, Any]:
    # Lazy: pages that do not show the banner cost nothing.
    return {"maintenance_windows": SimpleLazyObject(lambda: _for(request))}
