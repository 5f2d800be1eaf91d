"""Shared by the mail-gateway tests (store, parse, dispatch, transports): the corpus, a
router that records what it is given, messages made to order, the test database's URL."""

from __future__ import annotations

import threading
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection
from django.utils import timezone

from esoutien.mail.inbound.message import ParsedEmail, RouteResult
from esoutien.mail.models import InboundEmail

CORPUS = Path(__file__).parent / "corpus"
CATEGORIES = (
    "replies",
    "replies-fr",
    "html",
    "encodings",
    "attachments",
    "autoreply",
    "bounce",
    "malformed",
    "other",
)
SUPPORT = "support@e-soutien.localhost"
HOTLINE = "hotline@e-soutien.localhost"
RECORDING_ROUTERS = {
    "support": "tests.inbound.gateway_support.record_support",
    "hotline": "tests.inbound.gateway_support.record_hotline",
}


def corpus_files(category: str | None = None) -> list[Path]:
    folders = [CORPUS / category] if category else [CORPUS / c for c in CATEGORIES]
    return sorted(p for folder in folders for p in folder.glob("*.eml"))


def corpus(name: str) -> bytes:
    [path] = [p for p in corpus_files() if p.name == name]
    return path.read_bytes()


class Recorder:
    """What the recording routers were called with; the answer they give."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str, int, ParsedEmail]] = []
        self.answer = RouteResult(status="routed", reason="", thread_key="ES-2026-000042")
        self.error: Exception | None = None

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
        self.answer = RouteResult(status="routed", reason="", thread_key="ES-2026-000042")
        self.error = None

    def __call__(self, name: str, inbound: InboundEmail, parsed: ParsedEmail) -> RouteResult:
        with self.lock:
            self.calls.append((name, int(inbound.pk), parsed))
        if self.error is not None:
            raise self.error
        return self.answer


RECORDER = Recorder()


def record_support(inbound: InboundEmail, parsed: ParsedEmail) -> RouteResult:
    return RECORDER("support", inbound, parsed)


def record_hotline(inbound: InboundEmail, parsed: ParsedEmail) -> RouteResult:
    return RECORDER("hotline", inbound, parsed)


def make_message(
    *,
    to: str = SUPPORT,
    sender: str = "claire.martin@alfa.example",
    subject: str = "Re: [ES-2026-000042] Demande d'informations",
    body: str = "La référence PTO est FI-1234-5678.\n",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="alfa.example")
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def database_url() -> str:
    """The test database, for a process that is not under pytest."""
    db: dict[str, Any] = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"
