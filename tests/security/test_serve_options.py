"""`esoutien serve` refuses TLS and redirect options it cannot honour, before starting."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from esoutien.core.tls import ensure_self_signed
from esoutien.operations.management.commands import serve


@pytest.fixture(autouse=True)
def _never_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the command should have stopped before starting a server")

    monkeypatch.setattr(serve.os, "execv", refuse)
    monkeypatch.setattr(serve.subprocess, "Popen", refuse)


def test_certificate_from_the_environment(settings: Any, tmp_path: Path) -> None:
    cert, key = ensure_self_signed(tmp_path)
    settings.ESOUTIEN_TLS_CERT, settings.ESOUTIEN_TLS_KEY = str(cert), str(key)
    argv = serve.gunicorn_argv("127.0.0.1:8443", 1, 1, http=False)
    assert argv[argv.index("--certfile") + 1] == str(cert)
    assert argv[argv.index("--keyfile") + 1] == str(key)
    assert argv[argv.index("--forwarded-allow-ips") + 1] == "127.0.0.1,::1"

    settings.ESOUTIEN_TLS_KEY = ""
    with pytest.raises(CommandError, match="both"):
        serve.tls_files()
    settings.ESOUTIEN_TLS_KEY = str(tmp_path / "missing.key")
    with pytest.raises(CommandError, match="ESOUTIEN_TLS_KEY: no such file"):
        serve.tls_files()


def test_redirect_port_needs_https_and_a_free_port() -> None:
    with pytest.raises(CommandError, match="needs HTTPS"):
        call_command("serve", "--http", "--redirect-port", "8080", "--no-collectstatic")
    with pytest.raises(CommandError, match="HOST:PORT"):
        call_command("serve", "--bind", "unix:/tmp/x.sock", "--redirect-port", "8080")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match="already in use"):
            call_command("serve", "--redirect-port", str(port), "--no-collectstatic")
