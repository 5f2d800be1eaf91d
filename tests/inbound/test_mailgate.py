"""`esoutien mailgate`: one message on standard input, sysexits exit codes for the MTA."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from esoutien.mail.management.commands import mailgate
from esoutien.mail.models import InboundEmail, InboundStatus
from tests.inbound.gateway_support import (
    RECORDER,
    RECORDING_ROUTERS,
    SUPPORT,
    database_url,
    make_message,
)


@pytest.fixture(autouse=True)
def _routers(settings: Any) -> Iterator[None]:
    settings.ESOUTIEN_SUPPORT_ADDRESS = SUPPORT
    settings.ESOUTIEN_INBOUND_ROUTERS = RECORDING_ROUTERS
    RECORDER.reset()
    yield
    RECORDER.reset()


def _gate(monkeypatch: pytest.MonkeyPatch, data: bytes, *args: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.BytesIO(data))  # no .buffer: read as bytes directly
    call_command("mailgate", *args, stdout=io.StringIO())


@pytest.mark.django_db
def test_a_message_on_stdin_is_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = make_message()
    _gate(monkeypatch, raw, "--sender", "c@alfa.example", "--recipient", SUPPORT)
    row = InboundEmail.objects.get()
    assert bytes(row.raw) == raw
    assert (row.transport, row.envelope_sender, row.envelope_recipients) == (
        "pipe",
        "c@alfa.example",
        SUPPORT,
    )
    _gate(monkeypatch, raw)  # the MTA delivers it again: a duplicate, still exit 0
    assert InboundEmail.objects.filter(status=InboundStatus.DUPLICATE).count() == 1


@pytest.mark.django_db
def test_empty_input_is_a_data_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CommandError) as error:
        _gate(monkeypatch, b"  \r\n")
    assert error.value.returncode == mailgate.EX_DATAERR == 65
    assert InboundEmail.objects.count() == 0


@pytest.mark.django_db
def test_a_message_over_the_ceiling_is_a_data_error(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.ESOUTIEN_INBOUND_MAX_BYTES = 1000
    with pytest.raises(CommandError) as error:
        _gate(monkeypatch, make_message(body="x" * 3000))
    assert error.value.returncode == 65
    _gate(monkeypatch, make_message(body="x" * 1500))  # over the limit, under the ceiling
    assert InboundEmail.objects.get().reason == "too_large"


@pytest.mark.django_db
def test_a_store_failure_is_a_temporary_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def database_down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(mailgate, "store_raw", database_down)
    with pytest.raises(CommandError) as error:
        _gate(monkeypatch, make_message())
    assert error.value.returncode == mailgate.EX_TEMPFAIL == 75


def _console_script() -> list[str]:
    script = Path(sys.executable).parent / "esoutien"
    return [str(script)] if script.exists() else [sys.executable, "-m", "esoutien"]


def test_the_console_script_as_an_mta_runs_it(transactional_db: None, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "ESOUTIEN_DATA_DIR": str(tmp_path / "data"),
        "ESOUTIEN_HUEY_IMMEDIATE": "0",
        "ESOUTIEN_LOG_LEVEL": "WARNING",
    }
    raw = make_message()
    ran = subprocess.run(
        [*_console_script(), "mailgate"], input=raw, env=env, capture_output=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr.decode()
    assert bytes(InboundEmail.objects.get().raw) == raw

    empty = subprocess.run(
        [*_console_script(), "mailgate"], input=b"", env=env, capture_output=True, timeout=60
    )
    assert empty.returncode == 65

    # Broken before the command even runs (no database reachable): still EX_TEMPFAIL.
    broken = {**env, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    down = subprocess.run(
        [*_console_script(), "mailgate"], input=raw, env=broken, capture_output=True, timeout=60
    )
    assert down.returncode == 75, down.stderr.decode()
    assert InboundEmail.objects.count() == 1
