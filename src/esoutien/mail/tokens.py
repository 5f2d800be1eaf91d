"""Signed reply addresses: support+<token>@domain names a thread and cannot be forged.

Tokens survive MTAs that lower-case local parts: the thread key is lower-cased and the MAC
is base32 (case-insensitive alphabet) over the lower-cased key.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "esoutien.mail.reply-token"
_MAC_LENGTH = 16


def _mac(thread_key: str) -> str:
    digest = salted_hmac(_SALT, thread_key, algorithm="sha256").digest()
    return base64.b32encode(digest).decode("ascii").lower()[:_MAC_LENGTH]


def make_reply_token(thread_key: str) -> str:
    key = thread_key.strip().lower()
    return f"{key}.{_mac(key)}"


def verify_reply_token(token: str) -> str | None:
    """The (lower-cased) thread key the token was made for, or None when it is not genuine."""
    key, _, mac = token.strip().lower().rpartition(".")
    if not key or not constant_time_compare(mac, _mac(key)):
        return None
    return key


def reply_address(thread_key: str) -> str:
    local, _, domain = settings.ESOUTIEN_SUPPORT_ADDRESS.rpartition("@")
    return f"{local}+{make_reply_token(thread_key)}@{domain}"
