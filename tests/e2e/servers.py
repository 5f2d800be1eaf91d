"""The real servers of the browser tests, each its own process on loopback.

* the web application: ``esoutien serve`` (gunicorn, HTTPS with the generated certificate);
* the worker: ``esoutien worker`` (Huey; delivers the outbox to the relay);
* the inbound gateway: ``esoutien smtpd`` (operators' e-mail answers);
* the relay: an aiosmtpd sink in this process (``tests.support.SmtpSink``), named by
  ``EMAIL_URL``;
* the Espace Opérateurs: the test OpenID Provider of tests/sso (npm ``oidc-provider``).

They share one SQLite database with this process, which reads it (and writes set-up data)
through the ORM; see conftest.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.security.server import request, server_env
from tests.sso.conftest import CALLBACK_PATH, CLIENT_ID, CLIENT_SECRET, DEFAULT_PEOPLE, IDP_DIR
from tests.sso.conftest import _install as install_idp
from tests.support import SmtpSink, free_port

STARTUP_TIMEOUT = 60.0


@dataclass
class Stack:
    base_url: str  # https://localhost:PORT
    sink: SmtpSink
    smtpd_port: int
    idp_issuer: str
    data_dir: Path
    logs: Path

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def child_env(data_dir: Path, database_url: str, secret_key: str, **extra: str) -> dict[str, str]:
    """The environment of every e-soutien process: one data dir, database and secret key."""
    env = server_env(
        data_dir,
        DATABASE_URL=database_url,
        SECRET_KEY=secret_key,
        **extra,
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for this process only (conftest.py)
    return env


def run(env: Mapping[str, str], *args: str, timeout: float = 180) -> None:
    subprocess.run(
        [sys.executable, "-m", "esoutien", *args],
        env=dict(env),
        check=True,
        timeout=timeout,
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def process(
    argv: list[str], env: Mapping[str, str], log: Path, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` with its output in ``log``; terminate it (then kill) on the way out."""
    with log.open("wb") as output:
        child = subprocess.Popen(
            argv, env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
        try:
            yield child
        finally:
            child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def wait_until(ready: Any, child: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            if ready():
                return
        except OSError:
            pass
        if child.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{what} did not start (exit {child.poll()}):\n{tail}")
        time.sleep(0.2)


def _port_answers(port: int) -> bool:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def _idp_ready(child: subprocess.Popen[bytes], log: Path) -> None:
    wait_until(
        lambda: "READY" in log.read_text(errors="replace"), child, "the OpenID Provider", log
    )


def static_fingerprint() -> str:
    """Changes whenever a static file any app ships changes (name, size or time)."""
    from django.contrib.staticfiles import finders

    digest = hashlib.sha256()
    for finder in finders.get_finders():
        for path, storage in sorted(finder.list([]), key=lambda item: item[0]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def collected_static(cache: Path, env: Mapping[str, str]) -> Path:
    """The collected (hashed, compressed) static files, made once per version of them.

    collectstatic with WhiteNoise's compression takes one to three minutes here: the run
    would spend a third of its time on it. Kept under ``cache``, keyed by the sources.
    """
    target = cache / static_fingerprint()
    if not (target / "static" / "staticfiles.json").exists():
        shutil.rmtree(cache, ignore_errors=True)  # older versions
        target.mkdir(parents=True)
        run(
            {**env, "ESOUTIEN_DATA_DIR": str(target)},
            "collectstatic",
            "--noinput",
            "-v0",
            timeout=900,
        )
    return target / "static"


@contextmanager
def running_stack(
    data_dir: Path, static_cache: Path, database_url: str, secret_key: str, **extra: str
) -> Iterator[Stack]:
    """Migrate, seed the demo (without its tickets), start every server; stop them after."""
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    web_port, smtpd_port, idp_port = free_port(), free_port(), free_port()
    base_url = f"https://localhost:{web_port}"
    issuer = f"http://127.0.0.1:{idp_port}"
    sink = SmtpSink()
    env = child_env(
        data_dir,
        database_url,
        secret_key,
        ESOUTIEN_BASE_URL=base_url,
        EMAIL_URL=f"smtp://{sink.host}:{sink.port}",
        ESOUTIEN_SSO_ISSUER=issuer,
        ESOUTIEN_SSO_CLIENT_ID=CLIENT_ID,
        ESOUTIEN_SSO_CLIENT_SECRET=CLIENT_SECRET,
        ESOUTIEN_SSO_SCOPES="openid,email,profile,esoutien",
        ESOUTIEN_EMAIL_TIMEOUT="5",
        **extra,
    )
    (data_dir / "static").symlink_to(collected_static(static_cache, env), target_is_directory=True)
    run(env, "migrate", "-v0")
    run(env, "demo", "--no-tickets")
    install_idp()
    accounts = data_dir / "idp-accounts.json"
    accounts.write_text(json.dumps(DEFAULT_PEOPLE))
    idp_env = {
        **os.environ,
        "IDP_CLIENT_ID": CLIENT_ID,
        "IDP_CLIENT_SECRET": CLIENT_SECRET,
        "IDP_REDIRECT_URI": f"{base_url}{CALLBACK_PATH}",
    }
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is needed to run the test OpenID Provider (tests/sso/idp)")
    esoutien = [sys.executable, "-m", "esoutien"]
    with ExitStack() as stack:
        sink.start()
        stack.callback(sink.stop)
        idp = stack.enter_context(
            process(
                [node, "server.js", str(idp_port), str(accounts)],
                idp_env,
                logs / "idp.log",
                IDP_DIR,
            )
        )
        web = stack.enter_context(
            process(
                [
                    *esoutien,
                    "serve",
                    "--bind",
                    f"127.0.0.1:{web_port}",
                    "--workers",
                    "2",
                    "--no-collectstatic",
                ],
                env,
                logs / "web.log",
            )
        )
        # The web server first: `serve` starts its workers' metrics directory afresh, and
        # the other processes must not race it.
        wait_until(lambda: _port_answers(web_port), web, "esoutien serve", logs / "web.log")
        worker = stack.enter_context(process([*esoutien, "worker"], env, logs / "worker.log"))
        smtpd = stack.enter_context(
            process(
                [*esoutien, "smtpd", "--host", "127.0.0.1", "--port", str(smtpd_port)],
                env,
                logs / "smtpd.log",
            )
        )
        _idp_ready(idp, logs / "idp.log")
        wait_until(
            lambda: request(f"https://127.0.0.1:{web_port}/healthz").status == 200,
            web,
            "esoutien serve",
            logs / "web.log",
        )
        wait_until(lambda: _port_answers(smtpd_port), smtpd, "esoutien smtpd", logs / "smtpd.log")
        if worker.poll() is not None:
            raise RuntimeError(f"esoutien worker exited:\n{(logs / 'worker.log').read_text()}")
        yield Stack(base_url, sink, smtpd_port, issuer, data_dir, logs)
