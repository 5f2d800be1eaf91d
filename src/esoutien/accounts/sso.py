"""Single sign-on with the Espace Opérateurs (OpenID Connect through django-allauth).

Provisioning rules: the claim ``ESOUTIEN_SSO_OPERATOR_CLAIM`` names the operator by its
4-letter code. An unknown or inactive operator or a missing claim is refused before any
account is created; a returning user whose claim names another operator is refused, not
moved; name and e-mail follow the claims at every login.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render

from esoutien.accounts.models import OPERATOR_ROLES, Operator, Role, User

log = logging.getLogger(__name__)

SSO_PROVIDER_ID = "espace-operateurs"
_MANAGER_VALUES = {"manager", "operator_manager", "gestionnaire"}


def claims_of(sociallogin: SocialLogin) -> dict[str, Any]:
    """ID-token claims overlaid with userinfo (allauth keeps both in extra_data)."""
    data = sociallogin.account.extra_data or {}
    return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}


def _full_name(claims: dict[str, Any]) -> str:
    name = str(claims.get("name") or "").strip()
    if not name:
        name = " ".join(
            str(claims.get(k) or "").strip() for k in ("given_name", "family_name")
        ).strip()
    return name[:200]


def _refuse(request: HttpRequest, reason: str, **context: Any) -> ImmediateHttpResponse:
    """A clear page for the person, a precise reason for the audit log (not shown)."""
    log.warning("SSO login refused: %s %s", reason, context)
    try:
        from esoutien.audit.recorder import record

        record(
            "sso_refused", request=request, outcome="refused", data={"reason": reason, **context}
        )
    except ImportError:  # audit app not installed
        pass
    return ImmediateHttpResponse(render(request, "accounts/sso_refused.html", status=403))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # Federated operator users are provisioned on their first login.
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        claims = claims_of(sociallogin)
        code = str(claims.get(settings.ESOUTIEN_SSO_OPERATOR_CLAIM) or "").strip().upper()
        if not code:
            raise _refuse(request, "missing_operator_claim", sub=claims.get("sub"))
        operator = Operator.objects.filter(code=code, is_active=True).first()
        if operator is None:
            raise _refuse(request, "unknown_or_inactive_operator", operator=code)
        email = str(claims.get("email") or "").strip().lower()
        if sociallogin.is_existing:
            user = sociallogin.user
            if user.operator_id != operator.pk or user.role not in OPERATOR_ROLES:
                raise _refuse(request, "operator_changed", operator=code, user=user.pk)
            changed: list[str] = []
            name = _full_name(claims)
            if name and name != user.full_name:
                user.full_name, changed = name, [*changed, "full_name"]
            if email and email != user.email:
                if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                    raise _refuse(request, "email_taken", user=user.pk)
                user.email, changed = email, [*changed, "email"]
            if changed:
                user.save(update_fields=changed)
            return
        if not email:
            raise _refuse(request, "missing_email", operator=code)
        local = User.objects.filter(email__iexact=email).first()
        if local is not None:
            # A local account of the same operator becomes federated; any other clash is refused.
            if local.operator_id != operator.pk or not local.is_active:
                raise _refuse(request, "email_taken", operator=code)
            sociallogin.connect(request, local)
            return
        sociallogin.user.operator = operator  # used by populate_user below
        request.session["esoutien_sso_operator"] = operator.pk

    def populate_user(
        self, request: HttpRequest, sociallogin: SocialLogin, data: dict[str, Any]
    ) -> User:
        user: User = super().populate_user(request, sociallogin, data)
        claims = claims_of(sociallogin)
        code = str(claims.get(settings.ESOUTIEN_SSO_OPERATOR_CLAIM) or "").strip().upper()
        user.operator = Operator.objects.get(code=code, is_active=True)
        role = str(claims.get(settings.ESOUTIEN_SSO_ROLE_CLAIM) or "").strip().lower()
        user.role = Role.OPERATOR_MANAGER if role in _MANAGER_VALUES else Role.OPERATOR_MEMBER
        user.full_name = _full_name(claims)
        user.email = (user.email or "").lower()
        return user

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Any = None) -> User:
        user: User = super().save_user(request, sociallogin, form)
        try:
            from esoutien.audit.recorder import record

            record(
                "sso_provisioned",
                request=request,
                actor=user,
                data={"operator": user.operator.code if user.operator else None},
            )
        except ImportError:
            pass
        return user
