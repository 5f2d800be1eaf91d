"""django-allauth hooks for local accounts: no self-registration."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are created by administrators, by operator managers (invitations) or on a
        # first single sign-on; never by the visitor.
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # allauth refuses the attempt when the failed-login rate limit is spent: a lockout.
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            from esoutien.audit.receivers import record_lockout

            identifier = credentials.get("email") or credentials.get("username") or ""
            record_lockout(request, str(identifier))
            raise
