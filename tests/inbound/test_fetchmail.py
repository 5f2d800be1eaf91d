"""`esoutien fetchmail`: store first, then flag or move; never lose, never take twice.

The IMAP server here is a stand-in (FakeImap, speaking imapclient's API), which can check
the one rule that matters at the moment it matters: when a message is flagged, moved or
deleted, it must already be committed in the database; and play servers without MOVE or
custom keywords. test_fetchmail_dovecot.py runs the same flows against a real Dovecot.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from esoutien.mail.inbound import imap
from esoutien.mail.inbound.imap import FetchLocked, ImapSettings, fetch, fetch_lock
from esoutien.mail.models import InboundEmail, InboundStatus
from tests.inbound.gateway_support import (
    HOTLINE,
    RECORDER,
    RECORDING_ROUTERS,
    SUPPORT,
    make_message,
)

CONFIG = ImapSettings(host="imap.example", port=993, user="support", password="secret")


class FakeImap:
    """Just enough of imapclient.IMAPClient, over an in-memory mailbox."""

    def __init__(
        self,
        messages: list[bytes],
        *,
        keywords: bool = True,
        capabilities: tuple[bytes, ...] = (b"MOVE", b"UIDPLUS"),
    ) -> None:
        self.folders: dict[str, dict[int, dict[str, Any]]] = {
            "INBOX": {uid: {"raw": raw, "flags": set()} for uid, raw in enumerate(messages, 1)}
        }
        self.keywords = keywords
        self.capabilities = capabilities
        self.selected = ""
        self.log: list[str] = []
        self.fail_on_flag = False

    # imapclient's API
    def folder_exists(self, name: str) -> bool:
        return name in self.folders

    def create_folder(self, name: str) -> None:
        self.folders[name] = {}

    def select_folder(self, name: str) -> dict[bytes, Any]:
        self.selected = name
        flags = (b"\\Seen", b"\\Deleted", b"\\*") if self.keywords else (b"\\Seen", b"\\Deleted")
        return {b"PERMANENTFLAGS": flags, b"EXISTS": len(self.folders[name])}

    def has_capability(self, name: str) -> bool:
        return name.encode() in self.capabilities

    def search(self, criteria: list[Any]) -> list[int]:
        box = self.folders[self.selected]
        if criteria == ["NOT", "KEYWORD", "$ESoutienStored"]:
            return [u for u, m in box.items() if b"$ESoutienStored" not in m["flags"]]
        assert criteria == ["UNSEEN"]
        return [u for u, m in box.items() if b"\\Seen" not in m["flags"]]

    def fetch(self, uids: list[int], items: list[str]) -> dict[int, dict[bytes, Any]]:
        assert items == ["BODY.PEEK[]"]  # PEEK: fetching must not mark the message read
        box = self.folders[self.selected]
        return {u: {b"BODY[]": box[u]["raw"], b"SEQ": u} for u in uids if u in box}

    def _assert_stored(self, uids: list[int], action: str) -> None:
        for uid in uids:
            raw = self.folders[self.selected][uid]["raw"]
            assert InboundEmail.objects.filter(raw=raw).exists(), f"{action} before store"
        self.log.append(f"{action} {uids}")

    def add_flags(self, uids: list[int], flags: list[bytes]) -> None:
        if self.fail_on_flag:
            raise ConnectionError("connection reset")
        self._assert_stored(uids, "flag")
        for uid in uids:
            self.folders[self.selected][uid]["flags"].update(flags)

    def move(self, uids: list[int], folder: str) -> None:
        self._assert_stored(uids, "move")
        for uid in uids:
            self.folders[folder][uid] = self.folders[self.selected].pop(uid)

    def copy(self, uids: list[int], folder: str) -> None:
        self._assert_stored(uids, "copy")
        for uid in uids:
            self.folders[folder][uid] = dict(self.folders[self.selected][uid])

    def delete_messages(self, uids: list[int]) -> None:
        self._assert_stored(uids, "delete")
        for uid in uids:
            assert any(uid in box for name, box in self.folders.items() if name != self.selected)
            self.folders[self.selected][uid]["flags"].add(b"\\Deleted")

    def uid_expunge(self, uids: list[int]) -> None:
        self.log.append(f"expunge {uids}")
        for uid in uids:
            self.folders[self.selected].pop(uid)

    def expunge(self) -> None:
        box = self.folders[self.selected]
        self.log.append("expunge all")
        for uid in [u for u, m in box.items() if b"\\Deleted" in m["flags"]]:
            box.pop(uid)

    def logout(self) -> None:
        self.log.append("logout")


@pytest.fixture(autouse=True)
def _routers(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.ESOUTIEN_SUPPORT_ADDRESS = SUPPORT
    settings.ESOUTIEN_HOTLINE_ADDRESS = HOTLINE
    settings.ESOUTIEN_INBOUND_ROUTERS = RECORDING_ROUTERS
    settings.DATA_DIR = tmp_path  # the lock file
    RECORDER.reset()
    yield
    RECORDER.reset()


def _run(server: FakeImap, config: ImapSettings = CONFIG) -> imap.FetchResult:
    return fetch(config, client_factory=lambda c: server)


@pytest.mark.django_db(transaction=True)
def test_new_messages_are_stored_then_flagged_and_fetched_once() -> None:
    server = FakeImap([make_message(), make_message(), make_message()])
    result = _run(server)
    assert (result.stored, result.duplicates, result.failed, result.marked) == (3, 0, 0, 3)
    assert server.log == ["flag [1, 2, 3]", "logout"]
    assert all(
        {b"$ESoutienStored", b"\\Seen"} <= m["flags"] for m in server.folders["INBOX"].values()
    )
    assert InboundEmail.objects.filter(transport="imap", status=InboundStatus.ROUTED).count() == 3
    again = _run(server)
    assert (again.stored, again.duplicates) == (0, 0)
    assert InboundEmail.objects.count() == 3


@pytest.mark.django_db
def test_a_message_that_cannot_be_stored_stays_for_the_next_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bad = make_message(subject="will fail once")
    server = FakeImap([make_message(), bad])
    real_store = imap.store_raw

    def flaky(raw: bytes, **kwargs: Any) -> Any:
        if raw == bad:
            raise ConnectionError("database unavailable")
        return real_store(raw, **kwargs)

    monkeypatch.setattr(imap, "store_raw", flaky)
    result = _run(server)
    assert (result.stored, result.failed) == (1, 1)
    assert "UID 2: ConnectionError" in result.errors[0]
    assert server.folders["INBOX"][2]["flags"] == set()  # untouched, not lost
    monkeypatch.setattr(imap, "store_raw", real_store)
    assert _run(server).stored == 1
    assert InboundEmail.objects.count() == 2


@pytest.mark.django_db
def test_a_crash_between_store_and_flag_makes_a_duplicate_not_a_second_message() -> None:
    server = FakeImap([make_message()])
    server.fail_on_flag = True
    with pytest.raises(ConnectionError):
        _run(server)
    assert InboundEmail.objects.count() == 1  # stored before the flag failed
    server.fail_on_flag = False
    result = _run(server)
    assert (result.stored, result.duplicates) == (0, 1)
    assert InboundEmail.objects.exclude(status=InboundStatus.DUPLICATE).count() == 1


@pytest.mark.django_db
def test_moved_to_the_processed_folder_after_store() -> None:
    server = FakeImap([make_message(), make_message()])
    config = ImapSettings(**{**CONFIG.__dict__, "processed_folder": "Traité"})
    assert _run(server, config).stored == 2
    assert server.log[0] == "move [1, 2]"
    assert server.folders["INBOX"] == {} and len(server.folders["Traité"]) == 2


@pytest.mark.django_db
def test_without_move_it_copies_then_deletes() -> None:
    server = FakeImap([make_message()], capabilities=())
    config = ImapSettings(**{**CONFIG.__dict__, "processed_folder": "Done"})
    _run(server, config)
    assert server.log[:3] == ["copy [1]", "delete [1]", "expunge all"]
    assert server.folders["INBOX"] == {} and len(server.folders["Done"]) == 1


@pytest.mark.django_db
def test_a_server_without_keywords_uses_seen() -> None:
    server = FakeImap([make_message()], keywords=False)
    assert _run(server).stored == 1
    assert server.folders["INBOX"][1]["flags"] == {b"\\Seen"}
    assert _run(server).stored == 0


@pytest.mark.django_db
def test_delivery_headers_give_the_recipient() -> None:
    raw = b"Delivered-To: " + HOTLINE.encode() + b"\r\n" + make_message(to="list@x.example")
    _run(FakeImap([raw]))
    row = InboundEmail.objects.get()
    assert row.envelope_recipients == HOTLINE
    from esoutien.mail.inbound import dispatch

    dispatch.process(row.pk)
    assert [call[0] for call in RECORDER.calls] == ["hotline"]


@pytest.mark.django_db
def test_two_fetches_at_once_do_not_fight() -> None:
    server = FakeImap([make_message()])
    with fetch_lock(), pytest.raises(FetchLocked):
        _run(server)
    assert server.log == []  # the second one did not even connect
    assert _run(server).stored == 1  # the lock is released


@pytest.mark.django_db
def test_the_same_mailbox_fetched_by_two_machines_is_harmless() -> None:
    # Two machines (two locks, one per data directory) read the same message before either
    # flagged it: the second copy is a duplicate.
    raw = make_message()
    first, second = FakeImap([raw]), FakeImap([raw])
    assert _run(first).stored == 1
    assert _run(second).duplicates == 1
    assert InboundEmail.objects.exclude(status=InboundStatus.DUPLICATE).count() == 1


@pytest.mark.django_db
def test_the_command(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.ESOUTIEN_IMAP_HOST = ""
    with pytest.raises(CommandError, match="ESOUTIEN_IMAP_HOST"):
        call_command("fetchmail")
    settings.ESOUTIEN_IMAP_HOST = "imap.example"
    server = FakeImap([make_message(), make_message()])
    real_fetch = imap.fetch

    def fetch_with_fake(config: Any = None, **kwargs: Any) -> Any:
        return real_fetch(config, client_factory=lambda c: server, **kwargs)

    monkeypatch.setattr("esoutien.mail.management.commands.fetchmail.fetch", fetch_with_fake)
    out = io.StringIO()
    call_command("fetchmail", stdout=out)
    assert "stored 2, duplicates 0, failed 0" in out.getvalue()
