"""A real OpenID Provider (npm ``oidc-provider``, tests/sso/idp) for the single sign-on tests.

How the flow is driven. e-soutien is exercised with Django's test ``Client`` and the IdP with
a ``requests.Session`` playing the browser there. Django's client is in-process: each test
keeps pytest-django's rolled-back transaction (no ``transaction=True``, no live server
thread), which keeps the tests fast and isolated, while everything that crosses the network in
production still does: allauth fetches the discovery document, exchanges the code (with the
PKCE verifier and the client secret), fetches userinfo and the JWKS over real HTTP from the
IdP. Only the browser's hops are carried by hand: the IdP's redirect to
``http://testserver/accounts/oidc/.../callback/?code=…&state=…`` is handed to the Django client.

Settings. allauth reads SOCIALACCOUNT_PROVIDERS at every request and keeps no cache of the
discovery document or the JWKS between requests (65.22 fetches both per request, on the
adapter instance), so the ``sso`` fixture's per-test settings are enough. The one cache it
uses, the ID tokens' ``jti`` replay list, is the Django cache the root conftest clears.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from tests.support import free_port

IDP_DIR = Path(__file__).parent / "idp"
CLIENT_ID = "esoutien"
CLIENT_SECRET = "esoutien-test-secret"
CALLBACK_PATH = "/accounts/oidc/espace-operateurs/login/callback/"
STARTUP_TIMEOUT = 30.0

# The people the Espace Opérateurs knows, reset before every test.
DEFAULT_PEOPLE: list[dict[str, Any]] = [
    {
        "sub": "eo-claire",
        "email": "claire@alfa.example",
        "name": "Claire Fontaine",
        "operator_code": "ALFA",
        "role": "member",
    },
    {
        "sub": "eo-marc",
        "email": "marc@alfa.example",
        "name": "Marc Lenoir",
        "operator_code": "alfa",  # any case: operator codes are compared upper-case
        "role": "manager",
    },
    {
        "sub": "eo-zoe",
        "email": "zoe@zulu.example",
        "name": "Zoé Inconnue",
        "operator_code": "ZULU",  # no such operator in e-soutien
        "role": "member",
    },
    {
        "sub": "eo-noop",
        "email": "noop@nowhere.example",
        "name": "Sans Opérateur",
        "operator_code": None,  # no operator_code claim at all
        "role": "member",
    },
]


def _install() -> None:
    """``npm ci`` once, under a lock: pytest-xdist workers start their IdPs side by side."""
    # npm writes node_modules/.package-lock.json last: its presence means a complete install.
    if (IDP_DIR / "node_modules" / ".package-lock.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to install the test OpenID Provider (tests/sso/idp)")
    lock_path = Path(tempfile.gettempdir()) / f"esoutien-idp-{os.getuid()}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (IDP_DIR / "node_modules" / ".package-lock.json").exists():
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=IDP_DIR,
                capture_output=True,
                text=True,
                timeout=300,
            )
            if done.returncode:
                pytest.fail(f"npm ci failed in tests/sso/idp:\n{done.stderr[-2000:]}")


@dataclass
class Idp:
    """The running test IdP: its issuer and the people it knows."""

    issuer: str
    accounts_file: Path
    people: list[dict[str, Any]] = field(default_factory=list)

    def set_people(self, people: list[dict[str, Any]]) -> None:
        self.people = [dict(p) for p in people]
        self._write()

    def update(self, sub: str, **claims: Any) -> None:
        """Change what the IdP says about ``sub`` from the next login on."""
        for person in self.people:
            if person["sub"] == sub:
                person.update(claims)
        self._write()

    def _write(self) -> None:
        tmp = self.accounts_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.people))
        tmp.replace(self.accounts_file)  # the server never reads half a file


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    # Pages render {% static %}; tests do not run collectstatic, so no manifest exists.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.ESOUTIEN_BASE_URL = "http://testserver"


@pytest.fixture(scope="session")
def idp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Idp]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run the test OpenID Provider (tests/sso/idp)")
    _install()
    port = free_port()
    idp = Idp(
        issuer=f"http://127.0.0.1:{port}",
        accounts_file=tmp_path_factory.mktemp("idp") / "accounts.json",
    )
    idp.set_people(DEFAULT_PEOPLE)
    env = {
        **os.environ,
        "IDP_CLIENT_ID": CLIENT_ID,
        "IDP_CLIENT_SECRET": CLIENT_SECRET,
        "IDP_REDIRECT_URI": f"http://testserver{CALLBACK_PATH}",
    }
    process = subprocess.Popen(
        [node, "server.js", str(port), str(idp.accounts_file)],
        cwd=IDP_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    errors: list[str] = []

    def pump(stream: Any, sink: Any) -> None:
        for line in stream:
            sink(line)

    threading.Thread(target=pump, args=(process.stdout, lines.put), daemon=True).start()
    threading.Thread(target=pump, args=(process.stderr, errors.append), daemon=True).start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    try:
        while True:
            try:
                if lines.get(timeout=0.1).strip() == "READY":
                    break
            except queue.Empty:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the test OpenID Provider did not start: {''.join(errors)}")
        yield idp
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def idp(idp_server: Idp) -> Idp:
    """The IdP, knowing exactly DEFAULT_PEOPLE at the start of the test."""
    idp_server.set_people(DEFAULT_PEOPLE)
    return idp_server


def sso_provider_settings(issuer: str) -> dict[str, Any]:
    """SOCIALACCOUNT_PROVIDERS as config/settings.py builds it, for the test IdP."""
    return {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "espace-operateurs",
                    "name": "Espace Opérateurs",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {
                        "server_url": issuer,
                        "scope": ["openid", "email", "profile", "esoutien"],
                        "token_auth_method": "client_secret_basic",
                    },
                }
            ],
        }
    }


@pytest.fixture
def sso(settings: Any, idp: Idp) -> Idp:
    """e-soutien configured for the test IdP (as the ESOUTIEN_SSO_* variables would)."""
    settings.ESOUTIEN_SSO_ISSUER = idp.issuer
    settings.ESOUTIEN_SSO_CLIENT_ID = CLIENT_ID
    settings.ESOUTIEN_SSO_CLIENT_SECRET = CLIENT_SECRET
    settings.ESOUTIEN_SSO_SCOPES = ["openid", "email", "profile", "esoutien"]
    settings.SOCIALACCOUNT_PROVIDERS = sso_provider_settings(idp.issuer)
    # The test client speaks plain HTTP to "testserver", and the IdP knows the callback as
    # http://testserver/...: keep allauth from forcing https into the redirect_uri should
    # the settings ever ask for it (allauth itself accepts an http issuer and callback).
    settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
    return idp


# --- Driving the flow ---------------------------------------------------------------------


@dataclass
class Authorization:
    """What happened at the IdP: the authorization request and the way back to e-soutien."""

    request_url: str
    callback_url: str

    @property
    def params(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.request_url).query).items()}

    @property
    def callback_params(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.callback_url).query).items()}

    @property
    def callback_path(self) -> str:
        return urlsplit(self.callback_url).path

    @property
    def callback(self) -> str:
        """The IdP's redirect back to e-soutien, as the Django test client requests it."""
        parts = urlsplit(self.callback_url)
        return f"{parts.path}?{parts.query}"


def authorize_at_idp(authorize_url: str, sub: str) -> Authorization:
    """Play the browser at the IdP: open the authorization URL, sign in as ``sub``.

    Returns when the IdP sends the browser back to e-soutien (the callback URL).
    """
    browser = requests.Session()
    url = authorize_url
    for _ in range(10):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200 and 'name="prompt" value="login"' in response.text:
            # oidc-provider's development login form: any password.
            response = browser.post(
                url,
                data={"prompt": "login", "login": sub, "password": "x"},
                allow_redirects=False,
                timeout=10,
            )
        if response.status_code not in (302, 303):
            raise AssertionError(f"IdP answered {response.status_code}: {response.text[:500]}")
        url = urljoin(url, response.headers["Location"])
        if urlsplit(url).hostname == "testserver":
            return Authorization(request_url=authorize_url, callback_url=url)
    raise AssertionError("the IdP never sent the browser back to e-soutien")
