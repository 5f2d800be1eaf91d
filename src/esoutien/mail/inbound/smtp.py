"""The SMTP/LMTP listener (aiosmtpd): accept mail for our addresses, store it, then say 250.

* RCPT: only the support address (``support@`` and ``support+<anything>@``) and the hotline
  address are accepted — local part case-insensitive, domain exact — else ``550 5.1.1``.
* DATA: the message is committed by ``store_raw`` in a worker thread (Django's database
  access must not run in the event loop) and only then answered ``250``; any exception
  answers ``451 4.3.0`` so the sending MTA keeps the message and retries. A message that
  got a ``250`` is in the database whatever happens to this process afterwards.
* LMTP answers DATA once per accepted recipient (RFC 2033); the message is stored once for
  all of them, so every recipient gets the same answer.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections, connections

from esoutien.mail.inbound.store import store_raw

log = logging.getLogger(__name__)

ACCEPTED = "250 2.0.0 Message accepted"
TEMPFAIL = "451 4.3.0 Temporary failure, please retry later"


def _split(address: str) -> tuple[str, str]:
    local, _, domain = address.strip().strip("<>").rpartition("@")
    return local.lower(), domain.lower()


def accepts_recipient(address: str) -> bool:
    """Whether ``address`` is the support address (with or without +token) or the hotline."""
    local, domain = _split(address)
    if not local or not domain:
        return False
    support_local, support_domain = _split(settings.ESOUTIEN_SUPPORT_ADDRESS)
    hotline_local, hotline_domain = _split(settings.ESOUTIEN_HOTLINE_ADDRESS)
    if domain == support_domain and (
        local == support_local or local.startswith(f"{support_local}+")
    ):
        return True
    return domain == hotline_domain and local == hotline_local


def max_smtp_bytes() -> int:
    """The listener's hard ceiling: between ESOUTIEN_INBOUND_MAX_BYTES and twice that, a
    message is stored and quarantined as too large; above, SMTP refuses it (552) and the
    sender's server tells the sender."""
    return int(2 * settings.ESOUTIEN_INBOUND_MAX_BYTES)


def _store(raw: bytes, mail_from: str, rcpt_tos: list[str], transport: str) -> int:
    close_old_connections()  # a long-running listener: drop connections the server closed
    try:
        row = store_raw(
            raw,
            transport=transport,
            envelope_sender="" if mail_from == "<>" else mail_from,
            envelope_recipients=rcpt_tos,
        )
        return int(row.pk)
    finally:
        close_old_connections()


class StoreWorkers:
    """A few threads that run ``store_raw`` off the event loop, each keeping its database
    connection between messages and closing it when the listener stops."""

    def __init__(self, count: int) -> None:
        self.jobs: queue.Queue[tuple[Future[int], tuple[Any, ...]] | None] = queue.Queue()
        self.threads = [
            threading.Thread(target=self._run, name=f"smtpd-store-{i}", daemon=True)
            for i in range(max(1, count))
        ]
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        try:
            while (job := self.jobs.get()) is not None:
                future, args = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(_store(*args))
                except BaseException as exc:
                    future.set_exception(exc)
        finally:
            connections.close_all()

    def submit(self, *args: Any) -> Future[int]:
        future: Future[int] = Future()
        self.jobs.put((future, args))
        return future

    def stop(self) -> None:
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join(timeout=30)


class GatewayHandler:
    """aiosmtpd handler: recipient policy at RCPT, store-then-250 at DATA."""

    def __init__(self, *, lmtp: bool = False, workers: int = 4) -> None:
        self.lmtp = lmtp
        self.transport = "lmtp" if lmtp else "smtp"
        self.workers = StoreWorkers(workers)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not accepts_recipient(address):
            log.info("refused recipient %s from %s", address, session.peer)
            return f"550 5.1.1 <{address}>: recipient not accepted here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        try:
            pk = await asyncio.wrap_future(
                self.workers.submit(
                    bytes(raw), envelope.mail_from or "", list(envelope.rcpt_tos), self.transport
                )
            )
        except Exception:
            log.exception("could not store a message from %s: answered 451", session.peer)
            return self._answer(envelope, TEMPFAIL)
        log.info("stored inbound e-mail %s from %s", pk, session.peer)
        return self._answer(envelope, ACCEPTED)

    def _answer(self, envelope: Envelope, status: str) -> str:
        if not self.lmtp:
            return status
        # LMTP: one reply per accepted recipient, in order.
        return "\r\n".join(status for _ in envelope.rcpt_tos) or status

    def close(self) -> None:
        self.workers.stop()


class GatewayController(Controller):
    """A threaded aiosmtpd controller serving the gateway (SMTP, or LMTP with ``lmtp``)."""

    def __init__(self, handler: GatewayHandler, *, hostname: str, port: int, **kwargs: Any):
        self.gateway = handler
        kwargs.setdefault("data_size_limit", max_smtp_bytes())
        kwargs.setdefault("enable_SMTPUTF8", True)
        kwargs.setdefault("ident", "e-soutien mail gateway")
        super().__init__(handler, hostname=hostname, port=port, **kwargs)

    def factory(self) -> SMTP:
        server_class = LMTP if self.gateway.lmtp else SMTP
        return server_class(self.handler, **self.SMTP_kwargs)
