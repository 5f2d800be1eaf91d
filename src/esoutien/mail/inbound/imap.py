"""IMAP polling (imapclient): store each new message, and only then mark it as taken.

For each message not yet taken — not flagged ``$ESoutienStored`` (or, on a server without
custom keywords, not ``\\Seen``) — the raw bytes are fetched with ``BODY.PEEK[]`` (which does
not set ``\\Seen``), committed by ``store_raw``, and then flagged ``$ESoutienStored \\Seen``,
or moved to the processed folder when one is configured. Nothing is deleted before it is
stored; a message whose store failed stays untouched for the next run.

Two runs at once are harmless (a message fetched twice is a duplicate, recorded as such) but
wasteful, so a run takes a lock first: a file lock in the data directory, plus a PostgreSQL
advisory lock when several machines share the mailbox. A run that finds the lock taken
returns at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from esoutien.mail.inbound.headers import first_address, raw_headers, scan_headers
from esoutien.mail.inbound.store import store_raw
from esoutien.mail.models import InboundStatus

log = logging.getLogger(__name__)

STORED_KEYWORD = b"$ESoutienStored"
SEEN = b"\\Seen"
BATCH = 50
_ADVISORY_KEY = 0x45534F55  # "ESOU": one fetch at a time across machines (PostgreSQL)


class FetchLocked(Exception):
    """Another fetch is running."""


@dataclass
class FetchResult:
    stored: int = 0
    duplicates: int = 0
    failed: int = 0
    marked: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    processed_folder: str = ""
    use_ssl: bool = True
    ca_file: str = ""  # a private CA for the mail server's certificate (else the system's)

    @classmethod
    def from_settings(cls) -> ImapSettings:
        return cls(
            host=settings.ESOUTIEN_IMAP_HOST,
            port=settings.ESOUTIEN_IMAP_PORT,
            user=settings.ESOUTIEN_IMAP_USER,
            password=settings.ESOUTIEN_IMAP_PASSWORD,
            folder=settings.ESOUTIEN_IMAP_FOLDER,
            processed_folder=settings.ESOUTIEN_IMAP_PROCESSED_FOLDER,
            use_ssl=settings.ESOUTIEN_IMAP_SSL,
            ca_file=settings.ESOUTIEN_IMAP_CA_FILE,
        )


def connect(config: ImapSettings) -> Any:
    """A logged-in IMAPClient (TLS by default, certificate verified)."""
    from imapclient import IMAPClient

    client = IMAPClient(
        config.host,
        port=config.port,
        ssl=config.use_ssl,
        ssl_context=(
            ssl.create_default_context(cafile=config.ca_file or None) if config.use_ssl else None
        ),
        timeout=60,
    )
    client.login(config.user, config.password)
    return client


@contextlib.contextmanager
def fetch_lock() -> Iterator[None]:
    """One fetch at a time: a file lock here, an advisory lock on PostgreSQL."""
    path = Path(settings.DATA_DIR) / "fetchmail.lock"
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise FetchLocked("another fetchmail is running on this machine") from exc
        try:
            with _database_lock():
                yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def _database_lock() -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_ADVISORY_KEY])
        if not cursor.fetchone()[0]:
            raise FetchLocked("another fetchmail is running (database lock)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_ADVISORY_KEY])


def _supports_keywords(client: Any, select_info: dict[Any, Any]) -> bool:
    flags = select_info.get(b"PERMANENTFLAGS") or ()
    return b"\\*" in tuple(flags)


def _delivery_recipients(raw: bytes) -> list[str]:
    """Where the server delivered the message (Delivered-To, X-Original-To), if it says."""
    headers = scan_headers(raw)
    found = []
    for name in ("X-Original-To", "Delivered-To", "Envelope-To"):
        for value in raw_headers(headers, name):
            address = first_address(value)[1] or value.strip().lower()
            if "@" in address:
                found.append(address)
    return list(dict.fromkeys(found))


def _mark(client: Any, uids: list[int], config: ImapSettings, keywords: bool) -> None:
    if config.processed_folder:
        if client.has_capability("MOVE"):
            client.move(uids, config.processed_folder)
        else:  # copy, then remove from the inbox: the copy exists before anything goes
            client.copy(uids, config.processed_folder)
            client.delete_messages(uids)
            if client.has_capability("UIDPLUS"):
                client.uid_expunge(uids)
            else:
                client.expunge()
        return
    client.add_flags(uids, [STORED_KEYWORD, SEEN] if keywords else [SEEN])


def fetch(
    config: ImapSettings | None = None,
    *,
    client_factory: Callable[[ImapSettings], Any] = connect,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FetchResult:
    """Store every new message of the folder; see the module docstring. Takes the lock."""
    config = config or ImapSettings.from_settings()
    with fetch_lock():
        client = client_factory(config)
        try:
            return _fetch(client, config, limit, progress)
        finally:
            with contextlib.suppress(Exception):
                client.logout()


def _fetch(
    client: Any,
    config: ImapSettings,
    limit: int | None,
    progress: Callable[[int, int], None] | None,
) -> FetchResult:
    result = FetchResult()
    if config.processed_folder and not client.folder_exists(config.processed_folder):
        client.create_folder(config.processed_folder)
    info = client.select_folder(config.folder)
    keywords = _supports_keywords(client, info)
    criteria: list[Any] = ["NOT", "KEYWORD", STORED_KEYWORD.decode()] if keywords else ["UNSEEN"]
    uids = sorted(client.search(criteria))
    if limit is not None:
        uids = uids[:limit]
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        fetched = client.fetch(batch, ["BODY.PEEK[]"])
        done: list[int] = []
        for uid in batch:
            data = fetched.get(uid) or {}
            raw = data.get(b"BODY[]")
            if raw is None:  # expunged meanwhile by someone else
                continue
            try:
                row = store_raw(
                    bytes(raw),
                    transport="imap",
                    envelope_recipients=_delivery_recipients(bytes(raw)),
                )
            except Exception as exc:
                result.failed += 1
                result.errors.append(f"UID {uid}: {type(exc).__name__}: {exc}")
                log.warning("could not store IMAP message UID %s: %s", uid, exc, exc_info=True)
                continue
            if row.status == InboundStatus.DUPLICATE:
                result.duplicates += 1
            else:
                result.stored += 1
            done.append(uid)
        if done:  # only now that they are committed
            _mark(client, done, config, keywords)
            result.marked += len(done)
        if progress:
            progress(min(start + BATCH, len(uids)), len(uids))
    return result
