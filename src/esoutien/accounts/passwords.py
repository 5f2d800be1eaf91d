"""Password rules beyond Django's validators (CNIL guidance, deliberation 2022-100)."""

from __future__ import annotations

import string
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassesValidator:
    """Require lower case, upper case, digits and special characters."""

    def validate(self, password: str, user: Any = None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() or c in string.punctuation for c in password),
        ]
        if not all(classes):
            raise ValidationError(self.get_help_text(), code="password_classes")

    def get_help_text(self) -> str:
        return _(
            "Your password must mix lower-case and upper-case letters, digits and special "
            "characters."
        )


class CommonBaseValidator:
    """Refuse a common password dressed up with capitals, digits and symbols.

    Django's CommonPasswordValidator (offline list of 20,000 passwords) only matches whole
    passwords; "Password123!" passes it. Here the letters-only core is checked against the
    same list, together with words tied to this service.
    """

    SERVICE_WORDS = frozenset({"esoutien", "soutien", "support", "fibre", "operateur"})

    def __init__(self) -> None:
        from django.contrib.auth.password_validation import CommonPasswordValidator

        self._common = CommonPasswordValidator().passwords

    def validate(self, password: str, user: Any = None) -> None:
        core = "".join(c for c in password.lower() if c.isalpha())
        if len(core) < 4 or core in self._common or core in self.SERVICE_WORDS:
            raise ValidationError(self.get_help_text(), code="password_common_base")

    def get_help_text(self) -> str:
        return _("Your password must not be built on a common word or password.")
