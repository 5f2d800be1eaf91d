"""Single sign-on with the Espace Opérateurs (OpenID Connect through django-allauth).

Provisioning rules: the claim ``ESOUTIEN_SSO_OPERATOR_CLAIM`` names the operator by its
4-letter code. An unknown or inactive operator or a missing claim is refused before any
account is created; a returning user whose claim names another operator is refused, not
moved; name and e-mail follow the claims at every login.

Order of allauth's calls at the callback: ``populate_user`` (while the response is read, for
every login, before anything is checked), then ``pre_social_login`` (the decisions), then for
a new person ``save_user``. So ``populate_user`` only copies claims and never fails, and
``pre_social_login`` decides and attaches the operator.

A failed or forged response (bad or replayed ``state``, a code the IdP refuses, an invalid
ID token) never reaches ``pre_social_login``: ``on_authentication_error`` records it and
shows the same refusal page, without saying why.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base.constants import AuthError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.shortcuts import render

from esoutien.accounts.models import OPERATOR_ROLES, Operator, Role, User
from esoutien.audit.recorder import record

log = logging.getLogger(__name__)

SSO_PROVIDER_ID = "espace-operateurs"
_MANAGER_VALUES = {"manager", "operator_manager", "gestionnaire"}


def claims_of(sociallogin: SocialLogin) -> dict[str, Any]:
    """ID-token claims overlaid with userinfo (allauth keeps both in extra_data)."""
    data = sociallogin.account.extra_data or {}
    return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}


def _operator_code(claims: dict[str, Any]) -> str:
    value = claims.get(settings.ESOUTIEN_SSO_OPERATOR_CLAIM)
    return value.strip().upper() if isinstance(value, str) else ""


def _email(claims: dict[str, Any]) -> str:
    """The ``email`` claim, lower-cased; "" when missing or not an address."""
    value = claims.get("email")
    value = value.strip().lower() if isinstance(value, str) else ""
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value


def _role(claims: dict[str, Any]) -> Role:
    value = claims.get(settings.ESOUTIEN_SSO_ROLE_CLAIM)
    value = value.strip().lower() if isinstance(value, str) else ""
    return Role.OPERATOR_MANAGER if value in _MANAGER_VALUES else Role.OPERATOR_MEMBER


def _full_name(claims: dict[str, Any]) -> str:
    name = str(claims.get("name") or "").strip()
    if not name:
        name = " ".join(
            str(claims.get(k) or "").strip() for k in ("given_name", "family_name")
        ).strip()
    return name[:200]


def _refusal_page(request: HttpRequest, *, failed: bool = False) -> ImmediateHttpResponse:
    return ImmediateHttpResponse(
        render(request, "accounts/sso_refused.html", {"failed": failed}, status=403)
    )


def _refuse(
    request: HttpRequest, reason: str, claims: dict[str, Any], **context: Any
) -> ImmediateHttpResponse:
    """A clear page for the person, a precise reason for the audit log (not shown)."""
    data = {"reason": reason, "sub": claims.get("sub"), **context}
    log.warning("SSO login refused: %s", data)
    record("sso_refused", request=request, outcome="refused", email=_email(claims), data=data)
    return _refusal_page(request)


def _follow_claims(request: HttpRequest, user: User, claims: dict[str, Any]) -> None:
    """Name and e-mail follow the Espace Opérateurs at every login."""
    changed: list[str] = []
    name = _full_name(claims)
    if name and name != user.full_name:
        user.full_name = name
        changed.append("full_name")
    email = _email(claims)
    if email and email != user.email.lower():
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise _refuse(request, "email_taken", claims, user=user.pk)
        user.email = email
        changed.append("email")
    if changed:
        user.save(update_fields=changed)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # Federated operator users are provisioned on their first login.
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        claims = claims_of(sociallogin)
        code = _operator_code(claims)
        if not code:
            raise _refuse(request, "missing_operator_claim", claims)
        operator = Operator.objects.filter(code=code, is_active=True).first()
        if operator is None:
            raise _refuse(request, "unknown_or_inactive_operator", claims, operator=code)
        if sociallogin.is_existing:
            user = sociallogin.user
            if user.operator_id != operator.pk or user.role not in OPERATOR_ROLES:
                raise _refuse(request, "operator_changed", claims, operator=code, user=user.pk)
            _follow_claims(request, user, claims)
            return
        email = _email(claims)
        if not email:
            raise _refuse(request, "missing_email", claims, operator=code)
        local = User.objects.filter(email__iexact=email).first()
        if local is not None:
            # A local account of the same operator becomes federated, when the IdP vouches
            # for the address; any other clash (staff, another operator) is refused.
            if (
                local.operator_id != operator.pk
                or local.role not in OPERATOR_ROLES
                or not local.is_active
                or claims.get("email_verified") is False
            ):
                raise _refuse(request, "email_taken", claims, operator=code)
            sociallogin.connect(request, local)
            record("sso_linked", request=request, actor=local, data={"sub": claims.get("sub")})
            _follow_claims(request, local, claims)
            return
        sociallogin.user.operator = operator  # role, name and e-mail: populate_user

    def populate_user(
        self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]
    ) -> User:
        # Called while the IdP's answer is read, before pre_social_login checks anything:
        # copy, never look up or refuse here. The operator is set by pre_social_login.
        user: User = super().populate_user(request, sociallogin, data)
        claims = claims_of(sociallogin)
        user.role = _role(claims)
        user.full_name = _full_name(claims)
        user.email = _email(claims)
        return user

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> User:
        user: User = super().save_user(request, sociallogin, form)
        record(
            "sso_provisioned",
            request=request,
            actor=user,
            data={"sub": sociallogin.account.uid, "role": user.role},
        )
        return user

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        """A failed, forged or replayed answer: recorded, then a page that does not say why."""
        if error == AuthError.CANCELLED:
            return  # the person cancelled at the IdP: allauth's "login cancelled" page
        detail = f"{type(exception).__name__}: {exception}"[:300] if exception else ""
        log.warning("SSO authentication failed: %s %s", error, detail)
        record(
            "sso_failed",
            request=request,
            outcome="refused",
            data={"provider": getattr(provider, "sub_id", ""), "error": str(error or "")}
            | ({"exception": detail} if detail else {}),
        )
        raise _refusal_page(request, failed=True)
