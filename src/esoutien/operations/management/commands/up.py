"""`esoutien up`: the whole product on one machine (web server, worker, inbound mail
listener), for `make run`."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from esoutien.operations.management.commands.serve import (
    gunicorn_argv,
    port_is_free,
    redirect_argv,
    reset_metrics_dir,
    split_bind,
    supervise,
    warn_plain_http,
)


class Command(BaseCommand):
    help = "Migrate, seed the demo when the database is empty, then run web server and worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8443")
        parser.add_argument("--http", action="store_true")
        parser.add_argument(
            "--redirect-port",
            type=int,
            default=8080,
            metavar="PORT",
            help="Plain HTTP port that only redirects to HTTPS (0: none; skipped if taken).",
        )
        parser.add_argument(
            "--smtpd-port",
            type=int,
            default=2525,
            metavar="PORT",
            help="Inbound SMTP listener on 127.0.0.1 for replies by e-mail (0: none; skipped "
            "if taken).",
        )
        parser.add_argument("--no-demo", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        seeded = False
        if not options["no_demo"] and not get_user_model().objects.exists():
            call_command("demo", verbosity=0)
            seeded = True
        call_command("collectstatic", interactive=False, verbosity=0)
        reset_metrics_dir()
        web = subprocess.Popen(gunicorn_argv(options["bind"], 2, 4, options["http"]))
        worker = subprocess.Popen([sys.executable, "-m", "esoutien", "worker"])
        redirect = self._start_redirect(options)
        smtpd = self._start_smtpd(options["smtpd_port"])
        scheme = "http" if options["http"] else "https"
        port = options["bind"].rsplit(":", 1)[-1]
        self.stdout.write(
            self.style.SUCCESS(f"\ne-soutien is running: {scheme}://localhost:{port}/")
        )
        if scheme == "https":
            self.stdout.write("(local self-signed certificate: accept it in your browser)")
        else:
            warn_plain_http(self)
        if redirect is not None:
            self.stdout.write(f"http://localhost:{options['redirect_port']}/ redirects to HTTPS.")
        self.stdout.write(
            f"Mail is written to {settings.ESOUTIEN_MAIL_DIR}/ unless EMAIL_URL is set."
        )
        if seeded or get_user_model().objects.filter(email="alice@alfa.example").exists():
            self.stdout.write(
                "Demo logins (password: ESOUTIEN_DEMO_PASSWORD, default "
                f"{settings.ESOUTIEN_DEMO_PASSWORD!r}):\n"
                "  alice@alfa.example (operator ALFA)   bob@brav.example (operator BRAV)\n"
                "  agent@provider.example   supervisor@provider.example   admin@provider.example\n"
                "  (staff also need a TOTP code; demo secret "
                f"{settings.ESOUTIEN_DEMO_TOTP_SECRET}: oathtool --totp -b <secret>)"
            )
        if smtpd is not None:
            self.stdout.write(
                f"Replies by e-mail: SMTP on 127.0.0.1:{options['smtpd_port']} for "
                f"{settings.ESOUTIEN_SUPPORT_ADDRESS} and {settings.ESOUTIEN_HOTLINE_ADDRESS}."
            )
        self.stdout.write("Press Ctrl-C to stop.\n")
        optional = [p for p in (redirect, smtpd) if p is not None]
        supervise([web, worker], optional)

    def _start_smtpd(self, port: int) -> subprocess.Popen[bytes] | None:
        """The inbound listener (store first, then the worker routes), unless disabled/taken."""
        if not port:
            return None
        if not port_is_free("127.0.0.1", port):
            self.stderr.write(
                f"No inbound SMTP listener: 127.0.0.1:{port} is already in use "
                "(choose another with --smtpd-port, or 0 for none)."
            )
            return None
        return subprocess.Popen(
            [sys.executable, "-m", "esoutien", "smtpd", "--host", "127.0.0.1", "--port", str(port)]
        )

    def _start_redirect(self, options: dict[str, Any]) -> subprocess.Popen[bytes] | None:
        """The plain-HTTP redirect port, unless disabled, not applicable or already taken."""
        port = options["redirect_port"]
        if not port or options["http"]:
            return None
        try:
            host, https_port = split_bind(options["bind"])
        except CommandError as error:
            self.stderr.write(f"No HTTP redirect port: {error}")
            return None
        if not port_is_free(host, port):
            self.stderr.write(
                f"No HTTP redirect port: {host}:{port} is already in use "
                "(choose another with --redirect-port, or 0 for none)."
            )
            return None
        return subprocess.Popen(redirect_argv(host, port, https_port))
