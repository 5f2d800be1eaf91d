"""`esoutien fetchmail` against a real IMAP server: Dovecot, over TLS, on loopback.

The FakeImap tests (test_fetchmail.py) check the order of operations at each step; these
check that the real protocol does what we rely on: BODY.PEEK leaves messages unread, custom
keywords stick, MOVE to the processed folder works, a second run takes nothing twice, and
two runs at once never store a message twice. `make test` installs Debian's dovecot-imapd.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from imapclient import IMAPClient

from esoutien.core.tls import ensure_self_signed
from esoutien.mail.inbound.imap import FetchLocked, ImapSettings, fetch
from esoutien.mail.models import InboundEmail, InboundStatus
from tests.inbound.gateway_support import (
    HOTLINE,
    RECORDER,
    RECORDING_ROUTERS,
    SUPPORT,
    make_message,
)

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "support", "s3cret-imap"

CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
auth_mechanisms = plain
first_valid_uid = 100
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:{root}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def dovecot() -> Iterator[ImapSettings]:
    # Not under pytest's tmp (mode 0700): Dovecot's auth process runs as user dovecot.
    root = Path(tempfile.mkdtemp(prefix="esoutien-dovecot-"))
    root.chmod(0o755)
    cert, key = ensure_self_signed(root / "tls")
    port = _free_port()
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    config = root / "dovecot.conf"
    # Mail is kept as the unprivileged "dovecot" user (Dovecot refuses uid 0 for mail).
    account = pwd.getpwnam("dovecot")
    for name in ("mail", "home"):
        (root / name).mkdir()
        os.chown(root / name, account.pw_uid, account.pw_gid)
    config.write_text(
        CONFIG.format(
            root=root, cert=cert, key=key, port=port, uid=account.pw_uid, gid=account.pw_gid
        )
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                output = process.stdout.read().decode() if process.stdout else ""
                raise RuntimeError(f"dovecot did not start:\n{output}\n{log}") from None
            time.sleep(0.1)
    yield ImapSettings(host="localhost", port=port, user=USER, password=PASSWORD, ca_file=str(cert))
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mailbox(dovecot: ImapSettings) -> Iterator[IMAPClient]:
    """A logged-in client of the test's own, on an emptied INBOX."""
    import ssl

    client = IMAPClient(
        dovecot.host,
        port=dovecot.port,
        ssl=True,
        ssl_context=ssl.create_default_context(cafile=dovecot.ca_file),
    )
    client.login(USER, PASSWORD)
    for folder in ("INBOX", "Traités"):
        if client.folder_exists(folder):
            client.select_folder(folder)
            uids = client.search(["ALL"])
            if uids:
                client.delete_messages(uids)
                client.expunge()
    client.select_folder("INBOX")
    yield client
    client.logout()


@pytest.fixture(autouse=True)
def _routers(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.ESOUTIEN_SUPPORT_ADDRESS = SUPPORT
    settings.ESOUTIEN_HOTLINE_ADDRESS = HOTLINE
    settings.ESOUTIEN_INBOUND_ROUTERS = RECORDING_ROUTERS
    settings.DATA_DIR = tmp_path  # the lock file
    RECORDER.reset()
    yield
    RECORDER.reset()


def _deliver(client: IMAPClient, count: int) -> list[bytes]:
    messages = [make_message(body=f"Réponse numéro {n}.\n") for n in range(count)]
    for raw in messages:
        client.append("INBOX", raw)
    return messages


@pytest.mark.django_db(transaction=True)
def test_messages_are_stored_flagged_and_never_taken_twice(
    dovecot: ImapSettings, mailbox: IMAPClient
) -> None:
    messages = _deliver(mailbox, 3)

    first = fetch(dovecot)
    second = fetch(dovecot)

    assert (first.stored, first.marked, first.failed) == (3, 3, 0)
    assert (second.stored, second.duplicates) == (0, 0)
    stored = list(InboundEmail.objects.order_by("id").values_list("raw", "transport", "status"))
    assert [bytes(raw) for raw, _, _ in stored] == messages
    assert {(transport, status) for _, transport, status in stored} == {
        ("imap", InboundStatus.ROUTED)
    }
    mailbox.select_folder("INBOX")
    flags = mailbox.get_flags(mailbox.search(["ALL"]))
    # Nothing deleted; every message marked taken (and read) only after it was stored.
    assert len(flags) == 3
    assert all(b"$ESoutienStored" in f and b"\\Seen" in f for f in flags.values())


@pytest.mark.django_db(transaction=True)
def test_processed_folder_receives_the_stored_messages(
    dovecot: ImapSettings, mailbox: IMAPClient
) -> None:
    _deliver(mailbox, 2)
    config = ImapSettings(**{**dovecot.__dict__, "processed_folder": "Traités"})

    result = fetch(config)

    assert (result.stored, result.marked) == (2, 2)
    mailbox.select_folder("INBOX")
    assert mailbox.search(["ALL"]) == []
    mailbox.select_folder("Traités")
    assert len(mailbox.search(["ALL"])) == 2
    assert InboundEmail.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_store_each_message_once(
    dovecot: ImapSettings, mailbox: IMAPClient
) -> None:
    """A cron run overlapping a slow one: one waits out (locked), nothing is taken twice."""
    _deliver(mailbox, 20)
    results: list[Any] = []

    def run() -> None:
        from django.db import connection

        try:
            results.append(fetch(dovecot))
        except FetchLocked:
            results.append("locked")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    fetch(dovecot)  # and a later run finds nothing left

    assert len(results) == 2
    originals = InboundEmail.objects.exclude(status=InboundStatus.DUPLICATE)
    assert originals.count() == 20
    assert originals.values("message_id").distinct().count() == 20
    mailbox.select_folder("INBOX")
    assert mailbox.search(["NOT", "KEYWORD", "$ESoutienStored"]) == []


@pytest.mark.django_db(transaction=True)
def test_fetchmail_command_reads_its_settings(
    dovecot: ImapSettings, mailbox: IMAPClient, settings: Any
) -> None:
    _deliver(mailbox, 1)
    settings.ESOUTIEN_IMAP_HOST = dovecot.host
    settings.ESOUTIEN_IMAP_PORT = dovecot.port
    settings.ESOUTIEN_IMAP_USER = USER
    settings.ESOUTIEN_IMAP_PASSWORD = PASSWORD
    settings.ESOUTIEN_IMAP_CA_FILE = dovecot.ca_file

    call_command("fetchmail")

    assert InboundEmail.objects.filter(transport="imap").count() == 1


@pytest.mark.django_db(transaction=True)
def test_wrong_certificate_authority_is_refused(dovecot: ImapSettings, mailbox: IMAPClient) -> None:
    """Without the private CA, the self-signed server is not trusted: nothing is read."""
    _deliver(mailbox, 1)
    untrusted = ImapSettings(**{**dovecot.__dict__, "ca_file": ""})

    with pytest.raises(Exception, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        fetch(untrusted)

    assert InboundEmail.objects.count() == 0
