"""Tenants (operators) and people (users with a role)."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

operator_code_validator = RegexValidator(
    r"^[A-Z]{4}$", _("The operator code is four capital letters (Interop'Fibre code).")
)
siren_validator = RegexValidator(r"^\d{9}$", _("A SIREN number has exactly nine digits."))


def split_addresses(text: str) -> list[str]:
    return [a for a in re.split(r"[\s,;]+", text or "") if a]


class Operator(models.Model):
    """A tenant: one telecom operator company."""

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(
        _("code"), max_length=4, unique=True, validators=[operator_code_validator]
    )
    siren = models.CharField(_("SIREN"), max_length=9, validators=[siren_validator])
    notification_emails = models.TextField(
        _("notification contacts"),
        blank=True,
        help_text=_("E-mail addresses that receive announcements, one per line."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("operator")
        verbose_name_plural = _("operators")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def notification_addresses(self) -> list[str]:
        return split_addresses(self.notification_emails)

    def clean(self) -> None:
        self.code = (self.code or "").upper()
        for address in self.notification_addresses:
            try:
                validate_email(address)
            except ValidationError as exc:
                raise ValidationError(
                    {
                        "notification_emails": _("%(address)s is not a valid e-mail address.")
                        % {"address": address}
                    }
                ) from exc


class Role(models.TextChoices):
    OPERATOR_MEMBER = "operator_member", _("Operator member")
    OPERATOR_MANAGER = "operator_manager", _("Operator manager")
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMINISTRATOR = "administrator", _("Administrator")


OPERATOR_ROLES = frozenset({Role.OPERATOR_MEMBER, Role.OPERATOR_MANAGER})
PROVIDER_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMINISTRATOR})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("role", Role.OPERATOR_MEMBER)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(role=Role.ADMINISTRATOR, is_superuser=True)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person; operator users belong to one operator, provider staff to none."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    operator = models.ForeignKey(
        Operator,
        verbose_name=_("operator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    language = models.CharField(
        _("language"), max_length=5, default="fr", choices=[("fr", "Français"), ("en", "English")]
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="operator_roles_have_operator",
                condition=(
                    models.Q(role__in=sorted(OPERATOR_ROLES), operator__isnull=False)
                    | models.Q(role__in=sorted(PROVIDER_ROLES), operator__isnull=True)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = (self.email or "").strip().lower()
        if self.role in OPERATOR_ROLES and not self.operator_id:
            raise ValidationError({"operator": _("An operator user must belong to an operator.")})
        if self.role in PROVIDER_ROLES and self.operator_id:
            raise ValidationError({"operator": _("Provider staff do not belong to an operator.")})

    @property
    def is_staff(self) -> bool:  # Django admin access
        return self.is_active and self.role == Role.ADMINISTRATOR

    @property
    def is_provider_staff(self) -> bool:
        return self.role in PROVIDER_ROLES

    @property
    def is_operator_user(self) -> bool:
        return self.role in OPERATOR_ROLES

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email
