"""Template context: which navigation the signed-in user gets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from esoutien.accounts import access


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "is_desk_user": access.is_desk_user(user),
        "is_operator_user": access.is_operator_user(user),
        "sees_all_eservices": access.sees_all_eservices(user),
        "sso_enabled": bool(settings.ESOUTIEN_SSO_ISSUER),
    }
