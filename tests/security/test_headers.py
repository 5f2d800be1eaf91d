"""Security headers and cookies on real responses of the portal (Django test client).

The settings are computed once, at import, from the environment of the test run
(ESOUTIEN_BASE_URL defaults to https://localhost:8443, not debug). The test client speaks
plain http to "testserver": requests here say ``secure=True`` as the browser would after
the redirect, and the tests about the redirect itself turn it on (it is off under pytest;
see the settings and test_settings_from_the_environment below).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from esoutien.core.redirect_app import make_app
from tests.factories import file_ticket
from tests.security.headers import (
    HSTS,
    assert_cookie_is_locked_down,
    assert_security_headers,
)


def test_login_page(client: Client) -> None:
    response = client.get(reverse("account_login"), secure=True)
    assert response.status_code == 200
    assert_security_headers(response.headers)
    assert_cookie_is_locked_down(response.cookies["csrftoken"].OutputString())


def test_authenticated_portal_page(client: Client, alice: Any) -> None:
    client.force_login(alice)
    response = client.get(reverse("portal:dashboard"), secure=True)
    assert response.status_code == 200
    assert_security_headers(response.headers)
    # The idle timeout saves the session on every request: its cookie comes back each time.
    assert_cookie_is_locked_down(response.cookies["sessionid"].OutputString())


def test_attachment_download(client: Client, alice: Any, alfa: Any, esav: Any) -> None:
    upload = SimpleUploadedFile("notes.txt", b"<script>alert(1)</script>", "text/plain")
    ticket = file_ticket(alice, alfa, esav, files=[upload])
    client.force_login(alice)
    response = client.get(
        reverse("portal:attachment", args=[ticket.reference, ticket.attachments.get().pk]),
        secure=True,
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    # Stricter than the pages: the file is sandboxed and may load nothing at all.
    sandboxed = {"default-src": ["'none'"], "frame-ancestors": ["'none'"], "sandbox": []}
    assert_security_headers(response.headers, sandboxed)


def test_plain_http_is_redirected_to_https_except_the_health_check(
    client: Client, settings: Any, db: None
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/accounts/login/?next=/portal/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/?next=/portal/"
    assert "Strict-Transport-Security" not in response  # only ever sent over HTTPS
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/", secure=True).status_code == 200


def test_proxy_header_is_believed_only_from_trusted_proxies(client: Client, settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ESOUTIEN_FORWARDED_ALLOW_IPS = ["127.0.0.1", "10.0.0.0/8"]
    url = reverse("account_login")
    for proxy in ("127.0.0.1", "10.1.2.3", "::ffff:10.1.2.3", ""):  # "": a unix socket
        response = client.get(url, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_PROTO="https")
        assert response.status_code == 200, proxy
        assert response["Strict-Transport-Security"] == HSTS
    # A client reaching the application directly cannot claim HTTPS.
    response = client.get(url, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    # And the proxy saying "http" is redirected like anyone.
    response = client.get(url, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="http")
    assert response.status_code == 301


def test_templates_have_no_inline_script_or_style() -> None:
    """The CSP forbids them: pages must keep scripts and styles in static files.

    Mail templates are exempt (mail clients need inline styles; they are never served).
    """
    import re

    templates = Path(__file__).resolve().parents[2] / "src/esoutien/templates"
    inline = re.compile(
        r"<script(?![^>]*\b(src=|type=\"application/json\"))|\son[a-z]+=|style=|javascript:",
        re.IGNORECASE,
    )
    offenders = [
        f"{path.relative_to(templates)}: {match.group(0).strip()}"
        for path in templates.rglob("*.html")
        if "mail" not in path.relative_to(templates).parts[:1]
        for match in inline.finditer(path.read_text())
    ]
    assert offenders == []


# --- The settings as the environment makes them (outside pytest) ----------------------------

_PROBE = """
import json
from django.conf import settings as s
print(json.dumps({
    "redirect": s.SECURE_SSL_REDIRECT,
    "hsts": s.SECURE_HSTS_SECONDS,
    "cookies_secure": [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE],
    "csrf_origins": s.CSRF_TRUSTED_ORIGINS,
    "proxy": s.SECURE_PROXY_SSL_HEADER,
    "form_action": s.CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"],
}))
"""


def _settings_with(tmp_path: Path, **variables: str) -> dict[str, Any]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ESOUTIEN_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(ESOUTIEN_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="esoutien.config.settings")
    env.update(variables)
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, check=True, capture_output=True, timeout=60
    )
    return dict(json.loads(result.stdout))


@pytest.mark.slow
def test_settings_from_the_environment(tmp_path: Path) -> None:
    production = _settings_with(
        tmp_path,
        ESOUTIEN_BASE_URL="https://support.example.fr",
        ESOUTIEN_BEHIND_PROXY="1",
        ESOUTIEN_SSO_ISSUER="https://espace.example.fr/oidc/",
    )
    assert production == {
        "redirect": True,
        "hsts": 31536000,
        "cookies_secure": [True, True],
        "csrf_origins": ["https://support.example.fr"],
        "proxy": ["HTTP_X_FORWARDED_PROTO", "https"],
        "form_action": ["'self'", "https://espace.example.fr"],
    }
    debug = _settings_with(tmp_path, ESOUTIEN_DEBUG="1")
    assert (debug["redirect"], debug["hsts"]) == (False, 0)
    assert debug["form_action"] == ["'self'"]
    plain = _settings_with(tmp_path, ESOUTIEN_BASE_URL="http://intranet.example")
    assert (plain["redirect"], plain["hsts"], plain["cookies_secure"]) == (False, 0, [False] * 2)
    tuned = _settings_with(tmp_path, ESOUTIEN_HSTS_SECONDS="300", ESOUTIEN_SSL_REDIRECT="0")
    assert (tuned["redirect"], tuned["hsts"]) == (False, 300)


# --- The plain-HTTP port ----------------------------------------------------------------------


def _redirect(app: Any, host: str, path: str = "/", query: str = "") -> tuple[str, str]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.update(status=status, headers=dict(headers))

    environ = {"REQUEST_METHOD": "GET", "HTTP_HOST": host, "PATH_INFO": path}
    environ["QUERY_STRING"] = query
    b"".join(app(environ, start_response))
    return seen["status"], seen["headers"]["Location"]


def test_redirect_app_keeps_allowed_hosts_and_refuses_others(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", ".example.fr", "*"]
    settings.ESOUTIEN_BASE_URL = "https://support.example.fr"
    app = make_app(8443)
    assert _redirect(app, "localhost:8080", "/portal/", "next=/a%20b") == (
        "301 Moved Permanently",
        "https://localhost:8443/portal/?next=/a%20b",
    )
    assert _redirect(app, "[::1]:8080")[1] == "https://[::1]:8443/"
    assert _redirect(app, "www.example.fr")[1] == "https://www.example.fr:8443/"
    # A host ALLOWED_HOSTS does not name ("*" does not count): the base URL's host.
    assert _redirect(app, "evil.example:8080", "//evil.example/")[1] == (
        "https://support.example.fr:8443//evil.example/"
    )
    assert _redirect(app, "")[1] == "https://support.example.fr:8443/"
    # WSGI gives the path as latin-1 decoded bytes: é arrives as two characters.
    raw = "/tickets/é x".encode().decode("latin-1")
    assert _redirect(make_app(443), "localhost", raw)[1] == ("https://localhost/tickets/%C3%A9%20x")
