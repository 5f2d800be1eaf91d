"""`esoutien smtpd`: the SMTP (or LMTP) listener of the inbound mail gateway.

Point the MTA's transport for the support and hotline addresses at it (Postfix:
``transport_maps`` → ``lmtp:inet:127.0.0.1:2525`` with ``--lmtp``, or ``smtp:`` without).
It answers 250 only once a message is committed, 451 when it could not be, 550 at RCPT for
any other address. Stops cleanly on SIGTERM/SIGINT.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from esoutien.mail.inbound.smtp import GatewayController, GatewayHandler, max_smtp_bytes


class Command(BaseCommand):
    help = "Listen for inbound mail over SMTP (or LMTP) and store it for processing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=2525, help="TCP port (default 2525)")
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
        parser.add_argument(
            "--workers", type=int, default=4, help="threads storing messages (default 4)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verbosity"] < 2:  # aiosmtpd logs every command (addresses) at INFO
            logging.getLogger("mail.log").setLevel(logging.WARNING)
        handler = GatewayHandler(lmtp=options["lmtp"], workers=options["workers"])
        controller = GatewayController(
            handler,
            hostname=options["host"],
            port=options["port"],
            server_hostname=None,
        )
        stop = threading.Event()

        def _stop(signum: int, frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        controller.start()
        protocol = "LMTP" if options["lmtp"] else "SMTP"
        self.stdout.write(
            f"e-soutien {protocol} gateway listening on {options['host']}:{options['port']} "
            f"(messages up to {max_smtp_bytes()} bytes)",
        )
        self.stdout.flush()
        try:
            while not stop.wait(1.0):
                pass
        finally:
            controller.stop()
            handler.close()
            self.stdout.write("e-soutien gateway stopped")
