"""Invitations: operator managers create the accounts of their operator's people.

The invitee gets an e-mail with a one-time link to choose a password. The link is signed,
expires after ESOUTIEN_INVITATION_DAYS and stops working once a password is set (its hash
covers the password hash).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from esoutien.accounts import access
from esoutien.accounts.models import OPERATOR_ROLES, User
from esoutien.audit.recorder import record
from esoutien.core.errors import Forbidden, InvalidInput, NotFound
from esoutien.mail.outbound import queue_email


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "esoutien.accounts.invitation"

    def check_token(self, user: Any, token: str | None) -> bool:
        # Django's check uses PASSWORD_RESET_TIMEOUT; invitations have their own validity.
        if not (user and token):
            return False
        try:
            ts = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        age = self._num_seconds(self._now()) - ts
        return age <= settings.ESOUTIEN_INVITATION_DAYS * 86400


invitation_tokens = InvitationTokenGenerator()


def invitation_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/accounts/invitation/{uid}/{invitation_tokens.make_token(user)}/"


def invite(
    manager: Any, *, email: str, full_name: str, role: str, request: HttpRequest | None = None
) -> User:
    """Create an operator user of the manager's operator and e-mail the invitation."""
    if not access.may_manage_operator_users(manager, manager.operator_id):
        raise Forbidden(_("Only your operator's managers invite new users."))
    email = (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors["email"] = [_("An account already exists with this e-mail address.")]
    if role not in OPERATOR_ROLES:
        errors["role"] = [_("Choose a role of your operator.")]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors=errors)
    with transaction.atomic():
        user = User(
            email=email,
            full_name=(full_name or "").strip()[:200],
            role=role,
            operator_id=manager.operator_id,
            language=manager.language,
        )
        user.set_unusable_password()
        user.save()
        queue_email(
            kind="invitation",
            to=[email],
            template="accounts/invitation",
            context={
                "invitee": user,
                "manager": manager,
                "link": settings.ESOUTIEN_BASE_URL + invitation_path(user),
                "days": settings.ESOUTIEN_INVITATION_DAYS,
            },
            language=user.language,
            with_reply_address=False,
        )
        record("user_invited", request=request, actor=manager, target=email, data={"role": role})
    return user


def invited_user(uidb64: str, token: str) -> User:
    """The user an invitation link is for; NotFound when it is unknown, used or expired."""
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist) as exc:
        raise NotFound() from exc
    if not user.is_active or user.has_usable_password():
        raise NotFound()
    if not invitation_tokens.check_token(user, token):
        raise NotFound()
    return user


def accept(user: User, password1: str, password2: str, request: HttpRequest | None = None) -> User:
    if password1 != password2:
        raise InvalidInput(
            _("The two passwords differ."), errors={"password2": [_("The two passwords differ.")]}
        )
    try:
        validate_password(password1, user)
    except ValidationError as exc:
        raise InvalidInput(exc.messages[0], errors={"password1": list(exc.messages)}) from exc
    user.set_password(password1)
    user.save(update_fields=["password"])
    record("invitation_accepted", request=request, actor=user)
    return user


def set_active(manager: Any, user: User, active: bool, request: HttpRequest | None = None) -> None:
    """A manager disables (or re-enables) an account of their operator."""
    if not access.may_manage_operator_users(manager, user.operator_id) or user.pk == manager.pk:
        raise Forbidden(_("You may not change this account."))
    user.is_active = active
    user.save(update_fields=["is_active"])
    record(
        "user_enabled" if active else "user_disabled",
        request=request,
        actor=manager,
        target=user.email,
    )
