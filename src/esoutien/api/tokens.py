"""Create, check and revoke personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.utils.translation import gettext as _

from esoutien.api.models import ApiToken
from esoutien.audit.recorder import record
from esoutien.core import clock
from esoutien.core.errors import InvalidInput, NotFound

TOKEN_PREFIX = "es_"  # noqa: S105  (a visible prefix, not a secret)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: Any, name: str, *, request: Any = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; the clear secret is returned once and never stored."""
    name = (name or "").strip()[:100]
    if not name:
        raise InvalidInput(_("Name the token."), errors={"name": [_("Name the token.")]})
    if not user.is_active:
        raise InvalidInput(_("This account is disabled."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[: len(TOKEN_PREFIX) + 6], key_hash=_hash(secret)
    )
    record(
        "api_token_created", request=request, actor=user, target=token.prefix, data={"name": name}
    )
    return token, secret


def authenticate_token(secret: str) -> ApiToken | None:
    """The live token matching ``secret`` (its user active), recording its use."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__operator")
        .filter(key_hash=_hash(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = clock.now()
    # One write per minute at most: last-used is informative, not an audit trail.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke_token(user: Any, token_id: int, *, request: Any = None) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound()
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    record("api_token_revoked", request=request, actor=user, target=token.prefix)
    return token
