"""django-allauth hooks for local accounts: no self-registration."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are created by administrators, by operator managers (invitations) or on a
        # first single sign-on; never by the visitor.
        return False
