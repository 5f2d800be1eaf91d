"""Store first (dedupe, size limit), then dispatch (routers from settings, bounces, failures,
idempotence), the sweep and `esoutien mail_replay`."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from esoutien.mail.inbound import dispatch
from esoutien.mail.inbound.message import RouteResult
from esoutien.mail.inbound.store import store_raw
from esoutien.mail.models import InboundEmail, InboundStatus, OutboundEmail, OutboundStatus
from esoutien.mail.tasks import sweep_inbound
from tests.inbound.gateway_support import (
    HOTLINE,
    RECORDER,
    RECORDING_ROUTERS,
    SUPPORT,
    corpus,
    make_message,
)


@pytest.fixture(autouse=True)
def _recording_routers(settings: Any) -> Iterator[None]:
    settings.ESOUTIEN_SUPPORT_ADDRESS = SUPPORT
    settings.ESOUTIEN_HOTLINE_ADDRESS = HOTLINE
    settings.ESOUTIEN_INBOUND_ROUTERS = RECORDING_ROUTERS
    RECORDER.reset()
    yield
    RECORDER.reset()


# --- store ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_store_keeps_the_raw_bytes_and_envelope() -> None:
    raw = make_message(subject="Réponse")
    row = store_raw(
        raw, transport="smtp", envelope_sender="c@alfa.example", envelope_recipients=[SUPPORT]
    )
    row.refresh_from_db()
    assert bytes(row.raw) == raw
    assert row.status == InboundStatus.STORED
    assert len(row.sha256) == 64
    assert row.message_id.startswith("<") and row.message_id.endswith("@alfa.example>")
    assert (row.envelope_sender, row.envelope_recipients) == ("c@alfa.example", SUPPORT)
    assert (row.sender, row.subject, row.transport) == (
        "claire.martin@alfa.example",
        "Réponse",
        "smtp",
    )


@pytest.mark.django_db
def test_the_same_message_twice_or_by_two_transports_is_one_message() -> None:
    raw = make_message()
    first = store_raw(raw, transport="smtp")
    again = store_raw(raw, transport="smtp")
    by_imap = store_raw(raw.replace(b"\r\n", b"\n"), transport="imap")  # same Message-ID
    assert first.status == InboundStatus.STORED
    for copy in (again, by_imap):
        assert copy.status == InboundStatus.DUPLICATE
        assert copy.duplicate_of_id == first.pk
    assert InboundEmail.objects.exclude(status=InboundStatus.DUPLICATE).count() == 1


@pytest.mark.django_db
def test_without_message_id_the_bytes_decide() -> None:
    raw = b"From: a@b.example\r\nSubject: no id\r\n\r\nbody\r\n"
    first = store_raw(raw, transport="pipe")
    assert first.message_id == ""
    assert store_raw(raw, transport="pipe").duplicate_of_id == first.pk
    other = store_raw(raw + b"more\r\n", transport="pipe")
    assert other.status == InboundStatus.STORED


@pytest.mark.django_db
def test_an_oversized_message_is_stored_and_quarantined_unparsed(settings: Any) -> None:
    settings.ESOUTIEN_INBOUND_MAX_BYTES = 1000
    raw = make_message(body="x" * 2000)
    row = store_raw(raw, transport="pipe")
    assert (row.status, row.reason) == (InboundStatus.QUARANTINED, "too_large")
    assert bytes(row.raw) == raw
    assert row.sender == "claire.martin@alfa.example"  # from the cheap header scan
    assert dispatch.process(row.pk) is None  # not due
    assert dispatch.process(row.pk, allowed=dispatch.REPLAYABLE) == InboundStatus.QUARANTINED
    assert RECORDER.calls == []


@pytest.mark.django_db
def test_store_refuses_to_run_inside_a_transaction() -> None:
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        store_raw(make_message(), transport="pipe")


@pytest.mark.django_db(transaction=True)
def test_concurrent_copies_make_one_message() -> None:
    raw = make_message()
    rows: list[InboundEmail] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:
        try:
            barrier.wait()
            rows.append(store_raw(raw, transport="smtp"))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert InboundEmail.objects.count() == 4
    assert InboundEmail.objects.exclude(status=InboundStatus.DUPLICATE).count() == 1


# --- dispatch -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_stored_message_is_routed_after_commit() -> None:
    row = store_raw(make_message(), transport="smtp", envelope_recipients=[SUPPORT])
    row.refresh_from_db()  # Huey runs immediately in tests: processed on commit
    assert (row.status, row.thread_key) == (InboundStatus.ROUTED, "ES-2026-000042")
    assert row.processed_at is not None and row.attempts == 1
    [(name, pk, parsed)] = RECORDER.calls
    assert (name, pk) == ("support", row.pk)
    assert parsed.reply_text == "La référence PTO est FI-1234-5678."


@pytest.mark.django_db
def test_process_is_idempotent() -> None:
    row = store_raw(make_message(), transport="smtp")
    assert dispatch.process(row.pk) == InboundStatus.ROUTED
    assert dispatch.process(row.pk) is None
    assert dispatch.process(row.pk, allowed=dispatch.FORCEABLE) is None  # routed: never again
    assert len(RECORDER.calls) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("envelope", "to", "expected"),
    [
        ([SUPPORT], SUPPORT, "support"),
        (["SUPPORT+es-2026-000042.abc@e-soutien.localhost"], SUPPORT, "support"),
        ([HOTLINE.upper()], HOTLINE, "hotline"),
        ([], HOTLINE, "hotline"),  # IMAP: no envelope, the headers say
        ([], "Someone <someone@elsewhere.example>", "support"),
    ],
)
def test_the_router_is_chosen_by_recipient(envelope: list[str], to: str, expected: str) -> None:
    row = store_raw(make_message(to=to), transport="smtp", envelope_recipients=envelope)
    dispatch.process(row.pk)
    assert [c[0] for c in RECORDER.calls] == [expected]


@pytest.mark.django_db
def test_router_verdicts_are_saved() -> None:
    RECORDER.answer = RouteResult(status="quarantined", reason="unverified_sender")
    row = store_raw(make_message(), transport="smtp")
    assert dispatch.process(row.pk) == InboundStatus.QUARANTINED
    row.refresh_from_db()
    assert (row.status, row.reason, row.thread_key) == ("quarantined", "unverified_sender", "")


@pytest.mark.django_db
def test_a_missing_router_leaves_the_message_failed_and_replayable(settings: Any) -> None:
    settings.ESOUTIEN_INBOUND_ROUTERS = {"support": "tests.inbound.no_such_module.route"}
    row = store_raw(make_message(), transport="smtp")
    assert dispatch.process(row.pk) == InboundStatus.FAILED
    row.refresh_from_db()
    assert (row.status, row.reason, row.attempts) == ("failed", "router_unavailable", 1)
    assert "no_such_module" in row.last_error
    settings.ESOUTIEN_INBOUND_ROUTERS = RECORDING_ROUTERS
    assert dispatch.process(row.pk) == InboundStatus.ROUTED
    row.refresh_from_db()
    assert row.last_error == ""


@pytest.mark.django_db
def test_a_router_crash_rolls_back_and_marks_failed() -> None:
    RECORDER.error = ValueError("boom")
    row = store_raw(make_message(), transport="smtp")
    assert dispatch.process(row.pk) == InboundStatus.FAILED
    row.refresh_from_db()
    assert row.status == InboundStatus.FAILED
    assert "ValueError: boom" in row.last_error
    RECORDER.answer = "nonsense"  # type: ignore[assignment]
    RECORDER.error = None
    assert dispatch.process(row.pk) == InboundStatus.FAILED
    row.refresh_from_db()
    assert "TypeError" in row.last_error and row.attempts == 2


@pytest.mark.django_db
def test_a_bounce_marks_our_outbound_mail_bounced(settings: Any) -> None:
    sent = OutboundEmail.objects.create(
        kind="info_request",
        to="claire.martin@alfa.example",
        subject="Demande d'informations",
        text_body="…",
        message_id="<44565655.JitbitHelpdesk.13439.691a0afc-a0a0-457c-8208-f20b7c4a4cb1@jitbit.com>",
        status=OutboundStatus.SENT,
    )
    other = OutboundEmail.objects.create(
        kind="info_request", to="x@y.example", subject="s", text_body="t", message_id="<other@x>"
    )
    row = store_raw(corpus("mimekit_bounce_postfix.eml"), transport="smtp", envelope_sender="")
    assert dispatch.process(row.pk) == InboundStatus.IGNORED
    row.refresh_from_db()
    assert row.reason == "bounce"
    sent.refresh_from_db()
    other.refresh_from_db()
    assert sent.status == OutboundStatus.BOUNCED
    assert f"inbound e-mail #{row.pk}" in sent.last_error
    assert other.status == OutboundStatus.QUEUED
    assert RECORDER.calls == []  # bounces never reach a router


@pytest.mark.django_db
def test_our_own_mail_coming_back_is_ignored() -> None:
    from django.core.mail import EmailMessage as DjangoEmail

    from esoutien.mail.outbound import build_message

    email = OutboundEmail.objects.create(
        kind="notice", to=SUPPORT, subject="Notice", text_body="t", message_id="<n@e-soutien>"
    )
    message: DjangoEmail = build_message(email)
    row = store_raw(message.message().as_bytes(), transport="smtp")
    assert dispatch.process(row.pk) == InboundStatus.IGNORED
    row.refresh_from_db()
    assert row.reason == "loop"


@pytest.mark.django_db
def test_a_fatal_parse_is_quarantined(monkeypatch: pytest.MonkeyPatch) -> None:
    row = store_raw(make_message(), transport="smtp")

    def broken(raw: bytes, **kwargs: Any) -> Any:
        from esoutien.mail.inbound import parse

        monkeypatch.setattr(parse, "_parse", lambda *a: 1 / 0)
        return parse.parse_message(raw, **kwargs)

    monkeypatch.setattr(dispatch, "parse_message", broken)
    assert dispatch.process(row.pk) == InboundStatus.QUARANTINED
    row.refresh_from_db()
    assert row.reason == "parse_error"
    assert row.parse_errors and row.parse_errors[0].startswith("fatal: ZeroDivisionError")


# --- the sweep and replay -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_processes_what_the_queue_missed() -> None:
    stored = store_raw(make_message(), transport="smtp")  # on_commit never ran (test transaction)
    RECORDER.error = RuntimeError("router down")
    failing = store_raw(make_message(), transport="smtp")
    dispatch.process(failing.pk)
    RECORDER.error = None
    assert sweep_inbound.call_local() == 1  # the failed one waits a minute
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert sweep_inbound.call_local() == 1
    assert set(InboundEmail.objects.values_list("status", flat=True)) == {"routed"}
    assert [pk for _, pk, _ in RECORDER.calls] == [failing.pk, stored.pk, failing.pk]


@pytest.mark.django_db
def test_the_sweep_gives_up_after_max_attempts() -> None:
    RECORDER.error = RuntimeError("router down")
    row = store_raw(make_message(), transport="smtp")
    now = timezone.now()
    for minute in range(dispatch.MAX_ATTEMPTS + 2):
        with time_machine.travel(now + timedelta(minutes=2 * minute + 2)):
            dispatch.process_due()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (InboundStatus.FAILED, dispatch.MAX_ATTEMPTS)


@pytest.mark.django_db
def test_mail_replay_reruns_quarantined_and_failed_messages_only_once() -> None:
    RECORDER.answer = RouteResult(status="quarantined", reason="unverified_sender")
    quarantined = store_raw(make_message(), transport="smtp")
    dispatch.process(quarantined.pk)
    RECORDER.answer = RouteResult(status="routed", thread_key="ES-2026-000001")
    routed = store_raw(make_message(), transport="smtp")
    dispatch.process(routed.pk)
    RECORDER.calls.clear()

    out, err = io.StringIO(), io.StringIO()
    call_command("mail_replay", "--quarantined", stdout=out, stderr=err)
    assert "1 message(s): routed 1" in out.getvalue()
    assert "1/1" in err.getvalue()  # the progress
    quarantined.refresh_from_db()
    assert quarantined.status == InboundStatus.ROUTED

    out = io.StringIO()
    call_command("mail_replay", str(routed.pk), str(quarantined.pk), "--force", stdout=out)
    assert "2 message(s): skipped 2" in out.getvalue()
    assert [pk for _, pk, _ in RECORDER.calls] == [quarantined.pk]


@pytest.mark.django_db
def test_mail_replay_since_and_arguments() -> None:
    RECORDER.error = RuntimeError("down")
    with time_machine.travel(timezone.now() - timedelta(days=10)):
        old = store_raw(make_message(), transport="smtp")
        dispatch.process(old.pk)
    recent = store_raw(make_message(), transport="smtp")
    dispatch.process(recent.pk)
    RECORDER.error = None
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    out = io.StringIO()
    call_command("mail_replay", "--since", since, stdout=out, stderr=io.StringIO())
    assert "1 message(s): routed 1" in out.getvalue()
    old.refresh_from_db()
    assert old.status == InboundStatus.FAILED
    call_command("mail_replay", "--failed", stdout=io.StringIO(), stderr=io.StringIO())
    old.refresh_from_db()
    assert old.status == InboundStatus.ROUTED
    with pytest.raises(CommandError):
        call_command("mail_replay")
    with pytest.raises(CommandError):
        call_command("mail_replay", "--since", "12/03/2026")


def test_the_cli_knows_mail_replay_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from esoutien import cli

    seen: list[list[str]] = []
    monkeypatch.setattr(sys, "argv", ["esoutien", "mail-replay", "--failed"])
    monkeypatch.setattr(
        "django.core.management.execute_from_command_line", lambda argv: seen.append(argv)
    )
    cli.main()
    assert seen == [["esoutien", "mail_replay", "--failed"]]
