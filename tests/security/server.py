"""`esoutien serve` in a subprocess, and raw HTTP(S) requests to it (no redirect following)."""

from __future__ import annotations

import http.client
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

from tests.support import SERVER_START_SECONDS

# Variables of the test run that would change what the server under test does.
_OWN = ("ESOUTIEN_", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SECRET_KEY")


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def cookies(self) -> dict[str, str]:
        """Set-Cookie lines by cookie name."""
        return {line.split("=", 1)[0]: line for line in self.headers.get_all("Set-Cookie") or []}


def request(
    url: str,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    context: ssl.SSLContext | None = None,
) -> Reply:
    parts = urlsplit(url)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, timeout=10, context=context or insecure()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target or "/", body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def insecure() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def server_env(data_dir: Path, **variables: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(_OWN)}
    env.update(ESOUTIEN_DATA_DIR=str(data_dir), ESOUTIEN_LOG_LEVEL="WARNING", **variables)
    return env


def esoutien(env: Mapping[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "esoutien", *args],
        env=dict(env),
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def serving(env: Mapping[str, str], *args: str, ready: list[str]) -> Iterator[None]:
    """Run ``esoutien serve ARGS`` until every URL of ``ready`` answers; stop it after."""
    server = subprocess.Popen(
        [sys.executable, "-m", "esoutien", "serve", "--workers", "1", *args],
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        for url in ready:
            while True:
                try:
                    request(url)
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.3)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)
