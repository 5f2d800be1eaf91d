"""`esoutien serve` really serves the product over HTTPS (gunicorn, generated certificate)."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support import SERVER_START_SECONDS, free_port


def _get(url: str, context: ssl.SSLContext) -> tuple[int, str]:
    with urllib.request.urlopen(url, context=context, timeout=5) as response:
        return response.status, response.read().decode()


@pytest.mark.slow
def test_serve_answers_over_https_with_a_generated_certificate(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "ESOUTIEN_DATA_DIR": str(tmp_path), "ESOUTIEN_LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)  # the embedded default: SQLite under the data dir
    subprocess.run(
        [sys.executable, "-m", "esoutien", "migrate", "-v0"], env=env, check=True, timeout=120
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "esoutien",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        context = ssl.create_default_context(cafile=None)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                status, body = _get(f"https://127.0.0.1:{port}/healthz", context)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
        assert status == 200 and json.loads(body)["status"] == "ok"
        # Served by the app itself, with its database (readiness, not just liveness).
        status, body = _get(f"https://127.0.0.1:{port}/readyz", context)
        assert status == 200 and json.loads(body)["checks"]["database"]["ok"] is True
        # The certificate is the generated one, and it names localhost.
        cert = tmp_path / "tls" / "localhost.crt"
        assert cert.exists()
        verified = ssl.create_default_context(cafile=str(cert))
        status, page = _get(f"https://localhost:{port}/accounts/login/", verified)
        assert status == 200 and "Se connecter" in page
        status, css = _get(f"https://localhost:{port}/static/esoutien/site.css", verified)
        assert status == 200 and "--blue" in css
    finally:
        server.terminate()
        server.wait(timeout=20)
