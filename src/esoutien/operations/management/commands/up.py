"""`esoutien up`: the whole product on one machine (web server + worker), for `make run`."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from esoutien.operations.management.commands.serve import gunicorn_argv


class Command(BaseCommand):
    help = "Migrate, seed the demo when the database is empty, then run web server and worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8443")
        parser.add_argument("--http", action="store_true")
        parser.add_argument("--no-demo", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        seeded = False
        if not options["no_demo"] and not get_user_model().objects.exists():
            call_command("demo", verbosity=0)
            seeded = True
        call_command("collectstatic", interactive=False, verbosity=0)
        web = subprocess.Popen(gunicorn_argv(options["bind"], 2, 4, options["http"]))
        worker = subprocess.Popen([sys.executable, "-m", "esoutien", "worker"])
        scheme = "http" if options["http"] else "https"
        port = options["bind"].rsplit(":", 1)[-1]
        self.stdout.write(
            self.style.SUCCESS(f"\ne-soutien is running: {scheme}://localhost:{port}/")
        )
        if scheme == "https":
            self.stdout.write("(local self-signed certificate: accept it in your browser)")
        self.stdout.write(
            f"Mail is written to {settings.ESOUTIEN_MAIL_DIR}/ unless EMAIL_URL is set."
        )
        if seeded or get_user_model().objects.filter(email="alice@alfa.example").exists():
            self.stdout.write(
                "Demo logins (password: ESOUTIEN_DEMO_PASSWORD, default "
                f"{settings.ESOUTIEN_DEMO_PASSWORD!r}):\n"
                "  alice@alfa.example (operator ALFA)   bob@brav.example (operator BRAV)\n"
                "  agent@provider.example   supervisor@provider.example   admin@provider.example"
            )
        self.stdout.write("Press Ctrl-C to stop.\n")
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and web.poll() is None and worker.poll() is None:
            time.sleep(0.5)
        for process in (web, worker):
            if process.poll() is None:
                process.terminate()
        for process in (web, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
