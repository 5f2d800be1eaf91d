"""Where webhooks may go: HTTPS to public servers; plain HTTP to loopback in development."""

from __future__ import annotations

from typing import Any

import pytest

from esoutien.core.errors import InvalidInput
from esoutien.webhooks import signatures, targets


@pytest.mark.parametrize(
    "url",
    [
        "https://oss.operateur.example/hooks/esoutien",
        "https://oss.operateur.example:8443/hooks?source=esoutien",
        "https://8.8.8.8/hooks",
    ],
)
def test_public_https_urls_are_accepted(url: str) -> None:
    assert targets.check_url(f"  {url} ") == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ftp://oss.operateur.example/hooks",
        "http://oss.operateur.example/hooks",
        "https://user:secret@oss.operateur.example/hooks",
        "https://oss.operateur.example/hooks#fragment",
        "https://oss.operateur.example:99999/hooks",
        "https://10.0.0.5/hooks",
        "https://172.16.3.4/hooks",
        "https://192.168.0.1/hooks",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://[fd00::1]/hooks",
        "https://localhost/hooks",
        "http://127.0.0.1:8000/hooks",
        "https://oss.operateur.example/" + "a" * 500,
    ],
)
def test_other_urls_are_refused(settings: Any, url: str) -> None:
    settings.DEBUG = False
    settings.ESOUTIEN_WEBHOOK_ALLOW_HTTP_LOOPBACK = False
    with pytest.raises(InvalidInput) as refused:
        targets.check_url(url)
    assert list(refused.value.errors) == ["url"]


@pytest.mark.parametrize("switch", ["DEBUG", "ESOUTIEN_WEBHOOK_ALLOW_HTTP_LOOPBACK"])
def test_loopback_in_development_only(settings: Any, switch: str) -> None:
    settings.DEBUG = False
    settings.ESOUTIEN_WEBHOOK_ALLOW_HTTP_LOOPBACK = False
    setattr(settings, switch, True)
    for url in ("http://127.0.0.1:8000/hooks", "http://localhost:8000/hooks", "http://[::1]/h"):
        assert targets.check_url(url) == url
    with pytest.raises(InvalidInput):
        targets.check_url("http://oss.operateur.example/hooks")
    with pytest.raises(InvalidInput):
        targets.check_url("https://10.0.0.5/hooks")


def test_a_host_resolving_to_a_private_address_is_refused_at_send_time(settings: Any) -> None:
    settings.DEBUG = False
    settings.ESOUTIEN_WEBHOOK_ALLOW_HTTP_LOOPBACK = False
    # "localhost" passes no URL check in production, but a public name may resolve anywhere.
    with pytest.raises(targets.DestinationRefused):
        targets.check_destination("https://localhost/hooks")
    settings.ESOUTIEN_WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    targets.check_destination("https://localhost/hooks")


def test_the_reference_verifier_accepts_only_fresh_genuine_signatures() -> None:
    secret = signatures.new_secret()
    body = b'{"event":"ticket.created"}'
    header = signatures.signature(secret, 1_776_000_000, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert signatures.verify(secret, "1776000000", body, header, now=1_776_000_100)
    assert not signatures.verify(secret, "1776000000", body + b" ", header, now=1_776_000_100)
    assert not signatures.verify(secret, "1776000001", body, header, now=1_776_000_100)
    assert not signatures.verify("whsec_other", "1776000000", body, header, now=1_776_000_100)
    assert not signatures.verify(secret, "1776000000", body, header, now=1_776_000_000 + 301)
    assert not signatures.verify(secret, "not-a-time", body, header)
