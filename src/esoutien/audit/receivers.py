"""Signal receivers writing the audit log for what Django and django-allauth do by themselves.

Connected in ``AuditConfig.ready()``. The domain never relies on these signals (rule 4): they
only observe sign-ins, MFA changes and the admin site's own change log.

Allauth's ``AccountMiddleware`` keeps the current request in ``allauth.core.context``; signals
sent without one (the admin's ``LogEntry``) take the address from there.
"""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from allauth.account.authentication import get_authentication_records
from allauth.core import context
from allauth.mfa import signals as mfa_signals
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth import signals as auth_signals
from django.db.models.signals import post_save
from django.http import HttpRequest

from esoutien.audit import admin_log
from esoutien.audit.recorder import record

# Keys under which a login form passes the identifier to ``authenticate()``.
_IDENTIFIER_KEYS = ("email", "login", "username")


def _request(request: HttpRequest | None) -> HttpRequest | None:
    return request if request is not None else context.request


def _login_method(request: HttpRequest, user: Any) -> dict[str, Any]:
    """How the session was opened, from allauth's per-session authentication records."""
    try:
        records = get_authentication_records(request, user)
    except AttributeError:  # a request without a session
        records = []
    methods = [r.get("method") for r in records]
    data: dict[str, Any] = {}
    if "socialaccount" in methods:
        data["method"] = "sso"
        data["provider"] = next(
            (r.get("provider") for r in records if r.get("method") == "socialaccount"), ""
        )
    elif "password" in methods:
        data["method"] = "password"
    elif "password_reset" in methods:
        data["method"] = "password_reset"
    else:
        # Not through allauth's login (the admin's own login page, an impersonation, a test):
        # name the authentication backend instead.
        data["method"] = "other"
        data["backend"] = getattr(user, "backend", "") or ""
    if "mfa" in methods:
        data["mfa"] = True
    return data


def on_user_logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record("login", request=request, actor=user, data=_login_method(request, user))


def on_user_logged_out(
    sender: Any, request: HttpRequest | None, user: Any = None, **kwargs: Any
) -> None:
    if user is None:  # the session had already expired
        return
    record("logout", request=_request(request), actor=user)


def on_user_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # ``credentials`` has the password masked by Django; only the identifier is kept.
    identifier = next(
        (str(credentials[k]) for k in _IDENTIFIER_KEYS if credentials.get(k)), ""
    ).strip()
    user = None
    if identifier:
        user = get_user_model().objects.filter(email__iexact=identifier).first()
    record(
        "login_failed",
        request=_request(request),
        actor=user,
        email=identifier.lower()[:254],
        outcome="failure",
        data={"known_account": user is not None},
    )


def record_lockout(request: HttpRequest, identifier: str) -> None:
    """Called by the account adapter when allauth's rate limit refuses a login attempt."""
    identifier = identifier.strip()
    user = None
    if identifier:
        user = get_user_model().objects.filter(email__iexact=identifier).first()
    record(
        "lockout",
        request=request,
        actor=user,
        email=identifier.lower()[:254],
        outcome="refused",
    )


def _account_event(action: str) -> Any:
    def receiver(
        sender: Any, request: HttpRequest | None = None, user: Any = None, **kw: Any
    ) -> None:
        record(action, request=_request(request), actor=user)

    receiver.__name__ = f"on_{action}"
    return receiver


def on_email_changed(
    sender: Any,
    request: HttpRequest | None = None,
    user: Any = None,
    from_email_address: Any = None,
    to_email_address: Any = None,
    **kwargs: Any,
) -> None:
    record(
        "email_changed",
        request=_request(request),
        actor=user,
        data={
            "from": getattr(from_email_address, "email", "") or "",
            "to": getattr(to_email_address, "email", "") or "",
        },
    )


def _mfa_event(action: str, outcome: str = "success") -> Any:
    def receiver(
        sender: Any,
        request: HttpRequest | None = None,
        user: Any = None,
        authenticator: Any = None,
        **kwargs: Any,
    ) -> None:
        data: dict[str, Any] = {"type": getattr(authenticator, "type", "")}
        if kwargs.get("reauthentication"):
            data["reauthentication"] = True
        record(action, request=_request(request), actor=user, outcome=outcome, data=data)

    receiver.__name__ = f"on_{action}"
    return receiver


def on_log_entry_saved(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if created:
        admin_log.record_log_entry(instance, request=context.request)


_RECEIVERS: list[tuple[Any, Any, Any]] = [
    (auth_signals.user_logged_in, on_user_logged_in, None),
    (auth_signals.user_logged_out, on_user_logged_out, None),
    (auth_signals.user_login_failed, on_user_login_failed, None),
    (account_signals.password_changed, _account_event("password_changed"), None),
    (account_signals.password_set, _account_event("password_set"), None),
    (account_signals.password_reset, _account_event("password_reset"), None),
    (account_signals.email_changed, on_email_changed, None),
    (mfa_signals.authenticator_added, _mfa_event("mfa_added"), None),
    (mfa_signals.authenticator_removed, _mfa_event("mfa_removed"), None),
    (mfa_signals.authenticator_reset, _mfa_event("mfa_reset"), None),
    (mfa_signals.authentication_failed, _mfa_event("mfa_failed", "failure"), None),
    (post_save, on_log_entry_saved, LogEntry),
]


def connect() -> None:
    for signal, receiver, sender in _RECEIVERS:
        signal.connect(
            receiver, sender=sender, weak=False, dispatch_uid=f"audit.{receiver.__name__}"
        )
