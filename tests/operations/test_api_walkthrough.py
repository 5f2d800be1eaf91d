"""Issue 4's "done when": a curl-only script files, follows and resolves a ticket through the
API of a real server, and the operator's webhook receiver gets a signed event per step."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support import SERVER_START_SECONDS, free_port
from tests.webhooks.receiver import WebhookReceiver

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "examples" / "api_walkthrough.sh"


def _esoutien(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "esoutien", *args],
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


@pytest.mark.slow
def test_curl_walkthrough_with_signed_webhooks(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ESOUTIEN_DATA_DIR": str(tmp_path),
        "ESOUTIEN_BASE_URL": base,
        "ESOUTIEN_SSL_REDIRECT": "0",
        "ESOUTIEN_WEBHOOK_ALLOW_HTTP_LOOPBACK": "1",
        "ESOUTIEN_LOG_LEVEL": "WARNING",
        "ESOUTIEN_HUEY_IMMEDIATE": "0",
    }
    env.pop("DATABASE_URL", None)  # the embedded default: SQLite under the data dir
    _esoutien(env, "migrate", "-v0")
    _esoutien(env, "demo", "--no-tickets", "-v0")
    operator_token = _esoutien(env, "apitoken", "create", "alice@alfa.example")
    agent_token = _esoutien(env, "apitoken", "create", "agent@provider.example")
    manager_token = _esoutien(env, "apitoken", "create", "manager@alfa.example")
    receiver = WebhookReceiver()
    receiver.start()
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "esoutien",
                "serve",
                "--http",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "esoutien", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        request = urllib.request.Request(
            f"{base}/api/v1/webhooks",
            data=json.dumps(
                {
                    "url": receiver.url,
                    "events": [
                        "ticket.created",
                        "ticket.status_changed",
                        "ticket.commented",
                        "ticket.resolved",
                    ],
                }
            ).encode(),
            headers={
                "Authorization": f"Bearer {manager_token}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            secret = json.loads(response.read())["secret"]
        walk = subprocess.run(
            ["sh", str(SCRIPT)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={
                **env,
                "ESOUTIEN_URL": base,
                "OPERATOR_TOKEN": operator_token,
                "AGENT_TOKEN": agent_token,
            },
        )
        assert walk.returncode == 0, walk.stdout + walk.stderr
        for step in ("filed ES-", "read ES-", "commented", "uploaded", "report saved"):
            assert step in walk.stdout, walk.stdout
        assert "→ resolved" in walk.stdout
        wanted = {"ticket.created", "ticket.commented", "ticket.status_changed", "ticket.resolved"}
        while time.monotonic() < deadline + 60:
            if wanted <= {r.event for r in receiver.received} and len(receiver.received) >= 7:
                break
            time.sleep(0.3)
        events = receiver.received
        assert wanted <= {r.event for r in events}, [r.event for r in events]
        assert all(r.signature_is_valid(secret) for r in events)
        transitions = {
            r.json["status_change"]["transition"]
            for r in events
            if r.event == "ticket.status_changed"
        }
        assert {"take", "request_info", "resume", "resolve"} <= transitions
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
        receiver.stop()
