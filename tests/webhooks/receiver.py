"""A real HTTP receiver on the loopback interface, as an operator's system would run one."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support import free_port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event(self) -> str:
        return self.headers["X-ESoutien-Event"]

    @property
    def delivery_id(self) -> str:
        return self.headers["X-ESoutien-Delivery"]

    def signature_is_valid(self, secret: str, *, tolerance: int = 300) -> bool:
        """The check a receiver does, written from the documentation, not from our code."""
        timestamp = self.headers["X-ESoutien-Timestamp"]
        if abs(time.time() - int(timestamp)) > tolerance:
            return False
        expected = hmac.new(
            secret.encode(), timestamp.encode() + b"." + self.body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(self.headers["X-ESoutien-Signature"], f"sha256={expected}")


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


@dataclass
class Behaviour:
    statuses: list[int] = field(default_factory=list)  # answered in turn, then `default`
    default: int = 200
    delay: float = 0.0
    answer: str = "ok"
    location: str = ""


class WebhookReceiver:
    """An HTTP server on 127.0.0.1:<port> that keeps what it receives.

    Created stopped; ``start()`` / ``stop()`` may be called repeatedly (receiver down, then
    up again on the same port).
    """

    host = "127.0.0.1"

    def __init__(self, path: str = "/hooks/esoutien") -> None:
        self.port = free_port()
        self.path = path
        self.behaviour = Behaviour()
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"

    def answer_with(self, statuses: Iterable[int], default: int = 200, answer: str = "ok") -> None:
        self.behaviour = Behaviour(list(statuses), default, self.behaviour.delay, answer)

    def start(self) -> None:
        if self._server is not None:
            return
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                behaviour = receiver.behaviour
                with receiver._lock:
                    receiver._received.append(
                        Received(self.path, dict(self.headers.items()), body, time.time())
                    )
                    status = behaviour.statuses.pop(0) if behaviour.statuses else behaviour.default
                if behaviour.delay:
                    time.sleep(behaviour.delay)
                payload = behaviour.answer.encode()
                self.send_response(status)
                if behaviour.location:
                    self.send_header("Location", behaviour.location)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _Server((self.host, self.port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self._thread = None

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def events(self) -> list[str]:
        return [r.event for r in self.received]
