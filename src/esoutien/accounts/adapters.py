"""django-allauth hooks for local accounts: no self-registration."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import get_language

from esoutien.mail.outbound import queue_message


def globals_context_request() -> HttpRequest | None:
    """The request allauth is handling (it keeps it in a context variable)."""
    from allauth.core import context

    return getattr(context, "request", None)


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are created by administrators, by operator managers (invitations) or on a
        # first single sign-on; never by the visitor.
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """allauth's e-mails (password reset...) go through the outbox like every other.

        So a relay outage never fails the request: the message waits and is retried.
        """
        request = globals_context_request()
        ctx = {"request": request, "email": email, **context}
        if request is not None:
            ctx["current_site"] = get_current_site(request)
        message = self.render_mail(template_prefix, email, ctx)
        html = next(
            (
                str(body)
                for body, kind in getattr(message, "alternatives", [])
                if kind == "text/html"
            ),
            "",
        )
        queue_message(
            kind=template_prefix.rsplit("/", 1)[-1],
            to=message.to,
            subject=str(message.subject),
            text_body=str(message.body),
            html_body=html,
            language=get_language() or "fr",
            with_reply_address=False,
        )

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # allauth refuses the attempt when the failed-login rate limit is spent: a lockout.
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            from esoutien.audit.receivers import record_lockout

            identifier = credentials.get("email") or credentials.get("username") or ""
            record_lockout(request, str(identifier))
            raise
