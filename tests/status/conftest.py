"""The status app's tests: public pages, probes, the hotline, the service state."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from esoutien.mail.inbound import dispatch
from esoutien.mail.inbound.store import store_raw
from esoutien.mail.models import InboundEmail


@pytest.fixture(autouse=True)
def _status_settings(settings: Any, tmp_path: Path) -> None:
    # Pages render {% static %}; tests do not run collectstatic, so no manifest exists.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.ESOUTIEN_BASE_URL = "http://testserver"
    settings.ESOUTIEN_STATUS_DIR = tmp_path / "status"
    settings.ESOUTIEN_HEALTH_FAILURE_MINUTES = 5


def hotline_mail(
    *,
    sender: str = "alice@alfa.example",
    subject: str = "Portail e-soutien inaccessible",
    body: str = "Bonjour, le portail ne répond plus depuis 9 h, nous ne pouvons rien déclarer.\n",
    date: Any = None,
    headers: dict[str, str] | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"NOC <{sender}>"
    message["To"] = settings.ESOUTIEN_HOTLINE_ADDRESS
    message["Subject"] = subject
    message["Date"] = format_datetime(date or timezone.now())
    message["Message-ID"] = make_msgid(domain="operateur.example")
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    if attachment:
        message.add_attachment(
            attachment[1], maintype="text", subtype="plain", filename=attachment[0]
        )
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def deliver(raw: bytes, *, envelope_sender: str = "alice@alfa.example") -> InboundEmail:
    """Through the real gateway: stored first, then dispatched (the worker's job)."""
    row = store_raw(
        raw,
        transport="smtp",
        envelope_sender=envelope_sender,
        envelope_recipients=[settings.ESOUTIEN_HOTLINE_ADDRESS],
    )
    dispatch.process(row.pk)
    row.refresh_from_db()
    return row
