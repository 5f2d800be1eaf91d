"""The security headers, cookies and the HTTP → HTTPS redirect on a real server.

`esoutien serve` runs in a subprocess with the production defaults (not debug, not under
pytest), a certificate given by ESOUTIEN_TLS_CERT/ESOUTIEN_TLS_KEY and a plain-HTTP
redirect port; then, in a second test, with ``--http`` behind a (simulated) TLS proxy.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from esoutien.core.tls import ensure_self_signed
from tests.security.headers import (
    HSTS,
    assert_cookie_is_locked_down,
    assert_security_headers,
    page_policy,
)
from tests.security.server import esoutien, request, server_env, serving
from tests.support import free_port

pytestmark = pytest.mark.slow

ISSUER = "https://espace-operateurs.example/oidc"
PASSWORD = "Un-mot-de-passe-solide-42"


@dataclass
class Server:
    base: str  # https://localhost:PORT
    port: int
    redirect_port: int
    data_dir: Path
    certificate: Path

    def verified(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.certificate))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("https-data")
    # "A real certificate": any pair given by the environment, here made by the same code.
    certificate, key = ensure_self_signed(tmp_path_factory.mktemp("real-certificate"))
    port, redirect_port = free_port(), free_port()
    base = f"https://localhost:{port}"
    env = server_env(
        data_dir,
        ESOUTIEN_BASE_URL=base,
        ESOUTIEN_TLS_CERT=str(certificate),
        ESOUTIEN_TLS_KEY=str(key),
        ESOUTIEN_SSO_ISSUER=ISSUER,
        ESOUTIEN_SSO_CLIENT_ID="e-soutien",
        ESOUTIEN_SSO_CLIENT_SECRET="not-used",
    )
    esoutien(env, "migrate", "-v0")
    esoutien(
        env,
        "shell",
        "-c",
        "from esoutien.accounts.models import Operator, User; "
        "operator = Operator.objects.create(code='ALFA', name='Alfa', siren='111111111'); "
        f"User.objects.create_user('alice@alfa.example', {PASSWORD!r}, operator=operator)",
    )
    with serving(
        env,
        "--bind",
        f"127.0.0.1:{port}",
        "--redirect-port",
        str(redirect_port),
        ready=[f"{base}/healthz", f"http://127.0.0.1:{redirect_port}/"],
    ):
        yield Server(base, port, redirect_port, data_dir, certificate)


def test_pages_carry_the_security_headers(server: Server) -> None:
    reply = request(f"{server.base}/accounts/login/", context=server.verified())
    assert reply.status == 200
    # The SSO button posts to us and we redirect to the issuer: form-action allows it.
    assert_security_headers(reply.headers, page_policy(("https://espace-operateurs.example",)))
    assert_cookie_is_locked_down(reply.cookies()["csrftoken"])
    # Static files too (WhiteNoise answers before most middleware).
    css = request(f"{server.base}/static/esoutien/site.css", context=server.verified())
    assert css.status == 200
    assert css.headers["Strict-Transport-Security"] == HSTS
    assert css.headers["X-Content-Type-Options"] == "nosniff"


def test_login_sets_locked_down_cookies_and_pages_keep_the_headers(server: Server) -> None:
    context = server.verified()
    page = request(f"{server.base}/accounts/login/", context=context)
    csrf_cookie = page.cookies()["csrftoken"].split(";", 1)[0]
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert match
    form = {"csrfmiddlewaretoken": match[1].decode(), "login": "alice@alfa.example"}
    form["password"] = PASSWORD
    reply = request(
        f"{server.base}/accounts/login/",
        "POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": csrf_cookie,
            "Origin": server.base,  # an https origin from CSRF_TRUSTED_ORIGINS
            "Referer": f"{server.base}/accounts/login/",
        },
        body=urlencode(form).encode(),
        context=context,
    )
    assert reply.status == 302, reply.body[:500]
    cookies = reply.cookies()
    assert_cookie_is_locked_down(cookies["sessionid"])
    assert_cookie_is_locked_down(cookies["csrftoken"])  # rotated at login
    session = "; ".join(cookies[name].split(";", 1)[0] for name in ("sessionid", "csrftoken"))
    dashboard = request(f"{server.base}/portal/", headers={"Cookie": session}, context=context)
    assert dashboard.status == 200
    assert_security_headers(dashboard.headers, page_policy(("https://espace-operateurs.example",)))
    assert_cookie_is_locked_down(dashboard.cookies()["sessionid"])


def test_the_certificate_is_the_configured_one(server: Server) -> None:
    # Verified against the configured certificate only; nothing was generated in DATA_DIR.
    reply = request(f"{server.base}/healthz", context=server.verified())
    assert reply.status == 200
    assert not (server.data_dir / "tls").exists()


def test_plain_http_port_only_redirects_to_https(server: Server) -> None:
    plain = f"http://127.0.0.1:{server.redirect_port}"
    for method in ("GET", "HEAD", "POST"):
        reply = request(f"{plain}/portal/tickets/?status=open", method)
        assert reply.status == 301, method
        assert reply.headers["Location"] == (
            f"https://127.0.0.1:{server.port}/portal/tickets/?status=open"
        )
    # The health check too: that port serves nothing but redirects.
    assert request(f"{plain}/healthz").status == 301
    # A Host the site does not answer to is not echoed: the base URL's host is used.
    reply = request(f"{plain}/accounts/login/", headers={"Host": "evil.example"})
    assert reply.headers["Location"] == f"{server.base}/accounts/login/"
    # Following the redirect lands on the HTTPS site, certificate verified.
    landed = request(f"https://localhost:{server.port}/accounts/login/", context=server.verified())
    assert landed.status == 200


def test_behind_a_tls_proxy(tmp_path: Path) -> None:
    """`serve --http` behind a proxy: redirect unless the proxy says the client used HTTPS."""
    port = free_port()
    env = server_env(
        tmp_path,
        ESOUTIEN_BASE_URL="https://support.example.fr",
        ESOUTIEN_ALLOWED_HOSTS="support.example.fr",
        ESOUTIEN_BEHIND_PROXY="1",
        ESOUTIEN_FORWARDED_ALLOW_IPS="127.0.0.1",
    )
    esoutien(env, "migrate", "-v0")
    app = f"http://127.0.0.1:{port}"
    host = {"Host": "support.example.fr"}
    with serving(env, "--http", "--bind", f"127.0.0.1:{port}", ready=[f"{app}/healthz"]):
        # Load balancers probe over plain HTTP.
        assert request(f"{app}/healthz", headers=host).status == 200
        reply = request(f"{app}/accounts/login/", headers=host)
        assert reply.status == 301
        assert reply.headers["Location"] == "https://support.example.fr/accounts/login/"
        proxied = request(f"{app}/accounts/login/", headers={**host, "X-Forwarded-Proto": "https"})
        assert proxied.status == 200
        assert_security_headers(proxied.headers)
        assert_cookie_is_locked_down(proxied.cookies()["csrftoken"])
