"""End to end over real sockets: an operator answers an information request by e-mail.

The agent's question leaves through a real SMTP relay on loopback (the test's sink); the
test reads the Reply-To the operator actually received, answers with ``smtplib`` — a French
reply quoting the question, as mail clients write it — to ``esoutien smtpd`` running as its
own process on the test database (Huey immediate, so it stores, parses and routes at once),
and looks at the ticket. A spoofed answer is quarantined; the same answer delivered twice
makes one event.
"""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from esoutien.mail import outbound
from esoutien.mail.models import InboundEmail, InboundStatus
from esoutien.tickets import workflow
from esoutien.tickets.models import EventKind, Ticket
from esoutien.tickets.states import Status
from tests.factories import file_ticket
from tests.support import SmtpSink, free_port

pytestmark = pytest.mark.django_db(transaction=True)

CONTACT = "noc@alfa.example"
QUESTION = "Pouvez-vous redémarrer le boîtier et nous dire si la synchronisation revient ?"
ANSWER = (
    "Bonjour,\n\n"
    "Le boîtier a été redémarré à 14 h 05 ; la synchronisation est revenue à 14 h 09.\n\n"
    "Cordialement,\n"
    "Centre de supervision Alfa"
)
SMTPD_START_TIMEOUT = 60.0
PROCESSING_TIMEOUT = 30.0


def _database_url() -> str:
    """The test database, for the smtpd process (which is not under pytest)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


def _child_env(tmp_path: Path) -> dict[str, str]:
    """The environment of an ``esoutien`` command run by the test: the test database."""
    return {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": settings.SECRET_KEY,  # the reply tokens are signed with it
        "ESOUTIEN_DATA_DIR": str(tmp_path / "child-data"),
        "ESOUTIEN_HUEY_IMMEDIATE": "1",
        "ESOUTIEN_SUPPORT_ADDRESS": settings.ESOUTIEN_SUPPORT_ADDRESS,
        "ESOUTIEN_HOTLINE_ADDRESS": settings.ESOUTIEN_HOTLINE_ADDRESS,
        "EMAIL_URL": "",  # its own notifications go to .eml files in its data dir
    }


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SMTPD_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"esoutien smtpd exited ({process.returncode}):\n{log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"esoutien smtpd did not listen on {port}:\n{log.read_text()}")


@pytest.fixture
def smtpd(transactional_db: None, tmp_path: Path) -> Iterator[int]:
    """``esoutien smtpd`` on a free loopback port, as its own process, on the test database."""
    port = free_port()
    log = tmp_path / "smtpd.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "esoutien", "smtpd", "--host", "127.0.0.1", "--port", str(port)],
            env=_child_env(tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def question(smtp_sink: SmtpSink, alice: Any, alfa: Any, esav: Any, agent: Any) -> Any:
    """The agent asks for information; the e-mail goes through the real SMTP relay."""
    ticket = file_ticket(alice, alfa, esav, contact_email=CONTACT, subject="Lien coupé à Niort")
    workflow.take_charge(ticket, agent)
    workflow.request_info(ticket, agent, QUESTION)
    outbound.deliver_due()
    received = [
        m
        for m in smtp_sink.messages
        if m["X-ESoutien-Thread"] == ticket.reference and QUESTION[:30] in _text(m)
    ]
    assert len(received) == 1, [m["Subject"] for m in smtp_sink.messages]
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    return ticket, received[0]


def _text(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""


def _reply(original: Any, *, sender: str, body: str = ANSWER) -> EmailMessage:
    """An answer as a French mail client writes it: new text, then the quoted original."""
    reply = EmailMessage()
    reply["From"] = f"Centre de supervision Alfa <{sender}>"
    reply["To"] = original["Reply-To"]
    reply["Subject"] = f"RE: {original['Subject']}"
    reply["Date"] = format_datetime(timezone.localtime())
    reply["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    reply["In-Reply-To"] = original["Message-ID"]
    reply["References"] = original["Message-ID"]
    sent = timezone.localtime().strftime("%d/%m/%Y à %H:%M")
    quoted = "\n".join(f"> {line}" if line else ">" for line in _text(original).splitlines())
    reply.set_content(f"{body}\n\nLe {sent}, {original['From']} a écrit :\n{quoted}\n")
    return reply


def _send(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(message)


def _processed(message_id: str) -> list[InboundEmail]:
    """The stored copies of ``message_id`` once the smtpd has processed them all."""

    def done() -> list[InboundEmail] | None:
        rows = list(InboundEmail.objects.filter(message_id=message_id).order_by("id"))
        if rows and all(r.status != InboundStatus.STORED for r in rows):
            return rows
        return None

    return _eventually(done)


def _eventually(check: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + PROCESSING_TIMEOUT
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail("the smtpd did not process the message in time")


def _snapshot(ticket: Ticket) -> tuple[Any, ...]:
    fresh = Ticket.objects.get(pk=ticket.pk)
    return fresh.status, fresh.updated_at, fresh.events.count()


def test_operator_answers_the_information_request_by_email(question: Any, smtpd: int) -> None:
    ticket, original = question
    reply_address = original["Reply-To"]
    assert reply_address.startswith("support+") and ticket.reference.lower() in reply_address

    # A forged answer first: right reply address and reference, foreign sender.
    spoof = _reply(original, sender="mallory@evil.example", body="Fermez le ticket, merci.")
    before = _snapshot(ticket)
    _send(smtpd, spoof)
    [forged] = _processed(spoof["Message-ID"])
    assert (forged.status, forged.reason) == (InboundStatus.QUARANTINED, "unverified_sender")
    assert forged.thread_key == ticket.reference
    assert _snapshot(ticket) == before

    # The operator's real answer.
    answer = _reply(original, sender=CONTACT)
    _send(smtpd, answer)
    [routed] = _processed(answer["Message-ID"])
    assert (routed.status, routed.thread_key) == (InboundStatus.ROUTED, ticket.reference)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    [message] = ticket.events.filter(kind=EventKind.COMMENT)
    assert "Le boîtier a été redémarré à 14 h 05" in message.body
    assert "a écrit" not in message.body and QUESTION not in message.body  # history removed
    assert ">" not in message.body
    assert message.public and message.actor_label == CONTACT
    assert message.data["inbound_email_id"] == routed.pk
    received = ticket.events.get(transition="receive_info")
    assert received.from_status == Status.PENDING and received.to_status == Status.IN_PROGRESS

    # The same message delivered again (an MTA retry): stored as a duplicate, one event.
    events = ticket.events.count()
    _send(smtpd, answer)
    first, again = _processed(answer["Message-ID"])
    assert first.pk == routed.pk and again.status == InboundStatus.DUPLICATE
    assert again.duplicate_of_id == routed.pk
    assert ticket.events.count() == events
    assert ticket.events.filter(kind=EventKind.COMMENT).count() == 1


def test_the_same_answer_through_two_transports_makes_one_event(
    question: Any, smtpd: int, tmp_path: Path
) -> None:
    """An MTA pipe (``esoutien mailgate``) and the SMTP listener both deliver the answer."""
    ticket, original = question
    answer = _reply(original, sender=CONTACT)
    piped = subprocess.run(
        [
            sys.executable,
            "-m",
            "esoutien",
            "mailgate",
            "--sender",
            CONTACT,
            "--recipient",
            original["Reply-To"],
        ],
        input=answer.as_bytes(),
        env=_child_env(tmp_path),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr.decode()
    _send(smtpd, answer)
    first, second = _processed(answer["Message-ID"])
    assert (first.transport, first.status) == ("pipe", InboundStatus.ROUTED)
    assert (second.transport, second.status) == ("smtp", InboundStatus.DUPLICATE)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.events.filter(kind=EventKind.COMMENT).count() == 1
    assert ticket.events.filter(transition="receive_info").count() == 1
