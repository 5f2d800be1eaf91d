"""The SMTP/LMTP listener over real sockets on loopback: recipient policy, 250 only after the
commit, 451 when the store fails, LMTP per-recipient replies, and a listener killed
mid-stream that loses no message it had accepted."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esoutien.mail.inbound import smtp as gateway
from esoutien.mail.inbound.smtp import GatewayController, GatewayHandler, accepts_recipient
from esoutien.mail.models import InboundEmail, InboundStatus
from tests.inbound.gateway_support import (
    HOTLINE,
    RECORDER,
    RECORDING_ROUTERS,
    SUPPORT,
    database_url,
    make_message,
)
from tests.support import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _addresses(settings: Any) -> Iterator[None]:
    settings.ESOUTIEN_SUPPORT_ADDRESS = SUPPORT
    settings.ESOUTIEN_HOTLINE_ADDRESS = HOTLINE
    settings.ESOUTIEN_INBOUND_ROUTERS = RECORDING_ROUTERS
    RECORDER.reset()
    yield
    RECORDER.reset()


def _listener(lmtp: bool = False) -> Iterator[int]:
    port = free_port()
    handler = GatewayHandler(lmtp=lmtp, workers=2)
    controller = GatewayController(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
        handler.close()


@pytest.fixture
def listener(transactional_db: None) -> Iterator[int]:
    yield from _listener()


@pytest.fixture
def lmtp_listener(transactional_db: None) -> Iterator[int]:
    yield from _listener(lmtp=True)


@pytest.mark.parametrize(
    ("address", "accepted"),
    [
        (SUPPORT, True),
        ("Support@E-Soutien.localhost", True),
        ("support+es-2026-000042.abcdefgh@e-soutien.localhost", True),
        ("<SUPPORT+X@e-soutien.localhost>", True),
        (HOTLINE, True),
        ("hotline+x@e-soutien.localhost", False),
        ("supportx@e-soutien.localhost", False),
        ("support@sub.e-soutien.localhost", False),
        ("support@e-soutien.localhost.evil.example", False),
        ("someone@e-soutien.localhost", False),
        ("support", False),
        ("", False),
    ],
)
def test_recipient_policy(address: str, accepted: bool, settings: Any) -> None:
    assert accepts_recipient(address) is accepted


def test_a_foreign_recipient_is_refused_at_rcpt(listener: int) -> None:
    with smtplib.SMTP("127.0.0.1", listener, timeout=10) as client:
        client.ehlo()
        client.mail("claire.martin@alfa.example")
        code, reply = client.rcpt("someone@elsewhere.example")
        assert code == 550 and reply.startswith(b"5.1.1")
    with (
        smtplib.SMTP("127.0.0.1", listener, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused),
    ):
        client.sendmail("c@alfa.example", ["x@e-soutien.localhost"], make_message())
    assert InboundEmail.objects.count() == 0


def test_250_means_stored_and_then_routed(listener: int) -> None:
    raw = make_message(to="support+es-2026-000042.x@e-soutien.localhost")
    with smtplib.SMTP("127.0.0.1", listener, timeout=10) as client:
        refused = client.sendmail(
            "claire.martin@alfa.example",
            ["support+es-2026-000042.x@e-soutien.localhost", "nobody@elsewhere.example"],
            raw,
        )
    assert list(refused) == ["nobody@elsewhere.example"]
    row = InboundEmail.objects.get()
    assert bytes(row.raw).replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    assert row.transport == "smtp"
    assert row.envelope_sender == "claire.martin@alfa.example"
    assert row.envelope_recipients == "support+es-2026-000042.x@e-soutien.localhost"
    assert row.status == InboundStatus.ROUTED  # processed on commit (Huey immediate in tests)
    assert [call[0] for call in RECORDER.calls] == ["support"]


def test_a_store_failure_answers_451_and_stores_nothing(
    listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def database_down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(gateway, "store_raw", database_down)
    with smtplib.SMTP("127.0.0.1", listener, timeout=10) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("c@alfa.example", [SUPPORT], make_message())
        assert refused.value.smtp_code == 451
        monkeypatch.undo()  # the database is back: the MTA's retry goes through
        client.rset()
        client.sendmail("c@alfa.example", [SUPPORT], make_message())
    assert InboundEmail.objects.count() == 1


def test_sizes(listener: int, settings: Any) -> None:
    settings.ESOUTIEN_INBOUND_MAX_BYTES = 3000  # the store reads it for every message
    with smtplib.SMTP("127.0.0.1", listener, timeout=10) as client:
        client.sendmail("c@alfa.example", [SUPPORT], make_message(body="y" * 4000))
    row = InboundEmail.objects.get()
    assert (row.status, row.reason) == (InboundStatus.QUARANTINED, "too_large")

    # Above the listener's ceiling (twice the limit by default) SMTP refuses with 552: the
    # sender's server bounces it to the sender, who learns it did not arrive.
    port = free_port()
    handler = GatewayHandler(workers=1)
    controller = GatewayController(handler, hostname="127.0.0.1", port=port, data_size_limit=6000)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as refused:
                client.sendmail("c@alfa.example", [SUPPORT], make_message(body="z" * 9000))
            assert refused.value.smtp_code == 552
    finally:
        controller.stop()
        handler.close()
    assert InboundEmail.objects.count() == 1


def test_lmtp_answers_each_recipient(lmtp_listener: int) -> None:
    raw = make_message()
    with socket.create_connection(("127.0.0.1", lmtp_listener), timeout=10) as sock:
        reader = sock.makefile("rb")

        def say(line: bytes) -> None:
            sock.sendall(line + b"\r\n")

        def reply() -> bytes:
            lines = [reader.readline()]
            while lines[-1][3:4] == b"-":
                lines.append(reader.readline())
            return b"".join(lines)

        assert reply().startswith(b"220")
        say(b"LHLO mta.example")
        assert reply().startswith(b"250")
        say(b"MAIL FROM:<claire.martin@alfa.example>")
        assert reply().startswith(b"250")
        for rcpt, code in ((SUPPORT, b"250"), ("x@elsewhere.example", b"550"), (HOTLINE, b"250")):
            say(b"RCPT TO:<" + rcpt.encode() + b">")
            assert reply().startswith(code)
        say(b"DATA")
        assert reply().startswith(b"354")
        sock.sendall(raw + b"\r\n.\r\n")
        first, second = reader.readline(), reader.readline()
        assert first.startswith(b"250") and second.startswith(b"250")
        say(b"QUIT")
    row = InboundEmail.objects.get()
    assert row.transport == "lmtp"
    assert row.envelope_recipients.splitlines() == [SUPPORT, HOTLINE]
    assert [call[0] for call in RECORDER.calls] == ["hotline"]


# --- the listener as its own process, killed mid-stream --------------------------------------


def _start_smtpd(port: int, data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "ESOUTIEN_DATA_DIR": str(data_dir),
        "ESOUTIEN_HUEY_IMMEDIATE": "0",  # store only: the worker would route later
        "ESOUTIEN_SUPPORT_ADDRESS": SUPPORT,
        "ESOUTIEN_HOTLINE_ADDRESS": HOTLINE,
        "ESOUTIEN_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "esoutien", "smtpd", "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"esoutien smtpd exited:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"esoutien smtpd did not listen:\n{log.read_text()}")


def test_killing_the_listener_loses_no_accepted_message(
    transactional_db: None, tmp_path: Path
) -> None:
    port = free_port()
    process = _start_smtpd(port, tmp_path / "data", tmp_path / "smtpd.log")
    accepted: list[str] = []
    unanswered: list[bytes] = []
    stop = threading.Event()

    def stream() -> None:
        """One MTA delivering as fast as it can, a connection per message."""
        n = 0
        while not stop.is_set():
            n += 1
            message_id = f"<stream-{n}@alfa.example>"
            raw = make_message(message_id=message_id, body=f"message {n}\n" * 200)
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                    client.sendmail("claire.martin@alfa.example", [SUPPORT], raw)
                accepted.append(message_id)  # the 250 came back
            except (OSError, smtplib.SMTPException):
                unanswered.append(raw)  # no 250: the MTA keeps it and retries
                if len(unanswered) > 3:
                    return

    sender = threading.Thread(target=stream)
    sender.start()
    try:
        deadline = time.monotonic() + 20
        while len(accepted) < 15 and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)  # no goodbye, mid-stream
        process.wait(timeout=10)
    finally:
        stop.set()
        sender.join(timeout=30)
        if process.poll() is None:
            process.kill()
    assert len(accepted) >= 15
    assert unanswered  # it was killed while the MTA was still sending

    stored = set(InboundEmail.objects.values_list("message_id", flat=True))
    assert set(accepted) <= stored  # every 250 is in the database

    # The MTA retries what got no answer once the listener is back: nothing is lost, and a
    # message stored just before the kill (no 250 sent) becomes a duplicate, not a second copy.
    process = _start_smtpd(port, tmp_path / "data", tmp_path / "smtpd2.log")
    try:
        for raw in unanswered:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.sendmail("claire.martin@alfa.example", [SUPPORT], raw)
    finally:
        process.terminate()
        process.wait(timeout=15)
    originals = InboundEmail.objects.exclude(status=InboundStatus.DUPLICATE)
    assert originals.count() == len(accepted) + len(unanswered)
    assert originals.filter(status=InboundStatus.STORED).count() == originals.count()
