"""Signed reply addresses: support+<token>@domain names one thread and cannot be forged."""

from __future__ import annotations

import pytest

from esoutien.mail.tokens import make_reply_token, reply_address, verify_reply_token


def test_round_trip() -> None:
    token = make_reply_token("ES-2026-000042")
    assert verify_reply_token(token) == "es-2026-000042"


def test_upper_case_variant_verifies() -> None:
    """Some MTAs change the case of local parts; the token must survive it."""
    token = make_reply_token("ES-2026-000042")
    assert verify_reply_token(token.upper()) == "es-2026-000042"
    assert verify_reply_token(f"  {token}\n") == "es-2026-000042"


def test_token_is_case_insensitive_in_the_key() -> None:
    assert make_reply_token("ES-2026-000042") == make_reply_token("es-2026-000042")


def _other(char: str) -> str:
    return "b" if char != "b" else "c"


@pytest.mark.parametrize(
    "index", [0, 5, -16, -1], ids=["key-start", "key-year", "mac-start", "mac-end"]
)
def test_tampered_token_is_refused(index: int) -> None:
    token = make_reply_token("ES-2026-000042")
    chars = list(token)
    chars[index] = _other(chars[index])
    tampered = "".join(chars)
    assert tampered != token
    assert verify_reply_token(tampered) is None


@pytest.mark.parametrize("garbage", ["", ".", "es-2026-000042", "es-2026-000042.", ".abc"])
def test_malformed_token_is_refused(garbage: str) -> None:
    assert verify_reply_token(garbage) is None


def test_token_of_one_thread_does_not_verify_another() -> None:
    mac = make_reply_token("ES-2026-000042").rpartition(".")[2]
    assert verify_reply_token(f"es-2026-000043.{mac}") is None
    assert verify_reply_token(make_reply_token("ES-2026-000043")) == "es-2026-000043"


def test_token_depends_on_the_secret_key(settings) -> None:  # type: ignore[no-untyped-def]
    token = make_reply_token("ES-2026-000042")
    settings.SECRET_KEY = "another-secret-key-for-another-installation-0123456789"
    assert verify_reply_token(token) is None


def test_reply_address_uses_the_support_mailbox(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ESOUTIEN_SUPPORT_ADDRESS = "soutien@fournisseur.example"
    address = reply_address("ES-2026-000042")
    local, _, domain = address.rpartition("@")
    assert domain == "fournisseur.example"
    assert local.startswith("soutien+")
    assert verify_reply_token(local.partition("+")[2]) == "es-2026-000042"
