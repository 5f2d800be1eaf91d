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
