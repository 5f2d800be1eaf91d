"""Helpers shared by tests: files on disk, a tiny PDF, a real SMTP server to deliver to."""

from __future__ import annotations

import email
import email.policy
import io
import socket
import threading
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

# How long a test waits for `esoutien serve` to answer: it runs collectstatic first
# (compressing every file), which takes a minute of CPU on a busy 2-core machine.
SERVER_START_SECONDS = 240


def stored_files(directory: Path) -> list[Path]:
    """Every file under ``directory`` (empty when the directory was never created)."""
    if not directory.exists():
        return []
    return sorted(p for p in directory.rglob("*") if p.is_file())


def tiny_pdf() -> bytes:
    """A valid one-page PDF, made without WeasyPrint."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def free_port() -> int:
    """A TCP port nothing listens on (aiosmtpd's Controller cannot take port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Collector:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real SMTP server on 127.0.0.1:<port> that keeps what it receives.

    Created stopped; ``start()`` / ``stop()`` may be called repeatedly (relay down, then up).
    """

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = free_port()
        self._collector = _Collector()
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(
                self._collector, hostname=self.host, port=self.port, server_hostname="localhost"
            )
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def envelopes(self) -> list[Any]:
        with self._collector.lock:
            return list(self._collector.envelopes)

    @property
    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(e.original_content or e.content, policy=email.policy.default)
            for e in self.envelopes
        ]


def queries_to_render(client: Any, url: str) -> int:
    """How many SQL queries one GET of ``url`` costs in a running session (must answer 200).

    A first request is made and not counted: it records the session (allauth.usersessions).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def wsgi_app() -> Any:
    """Django's WSGI application, called as the test client calls it: the end of a request
    does not close the test's database connection (which would end its transaction)."""
    from collections.abc import Callable, Iterator

    from django.core.signals import request_finished, request_started
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    handler = get_wsgi_application()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = handler(environ, start_response)
            try:
                body = b"".join(response)
            finally:
                response.close()  # type: ignore[attr-defined]
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return iter([body])

    return app
