"""`esoutien serve`: the web application under gunicorn (HTTPS by default)."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from esoutien.core.tls import ensure_self_signed


def gunicorn_argv(bind: str, workers: int, threads: int, http: bool) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "esoutien.config.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        "--timeout",
        "60",
        "--graceful-timeout",
        "20",
    ]
    if not http:
        cert, key = ensure_self_signed(settings.DATA_DIR / "tls")
        argv += ["--certfile", str(cert), "--keyfile", str(key)]
    return argv


class Command(BaseCommand):
    help = "Run the web application with gunicorn (HTTPS with a local certificate by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8443", help="HOST:PORT to listen on.")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--http",
            action="store_true",
            help="Plain HTTP, for use behind a TLS-terminating proxy.",
        )
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        argv = gunicorn_argv(
            options["bind"], options["workers"], options["threads"], options["http"]
        )
        self.stdout.write(
            f"Serving on {'http' if options['http'] else 'https'}://{options['bind']}"
        )
        sys.stdout.flush()
        os.execv(sys.executable, argv)
