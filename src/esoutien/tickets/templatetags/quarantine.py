"""``{% quarantine_count user as n %}``: how many received mails wait in the desk's quarantine."""

from __future__ import annotations

from typing import Any

from django import template

from esoutien.accounts import access

register = template.Library()


@register.simple_tag
def quarantine_count(user: Any) -> int:
    """One COUNT query, for desk users only (0 for anyone else)."""
    if not access.is_desk_user(user):
        return 0
    from esoutien.tickets.quarantine import quarantine_count as count

    return count(user)
