"""`esoutien serve`: the web application under gunicorn (HTTPS by default).

With ``--redirect-port`` a second, one-worker gunicorn answers plain HTTP on that port
with a 301 to HTTPS (esoutien.core.redirect_app); this command then supervises both.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from esoutien.core.tls import ensure_self_signed

logger = logging.getLogger(__name__)


def tls_files() -> tuple[Path, Path]:
    """ESOUTIEN_TLS_CERT/ESOUTIEN_TLS_KEY when set, else the generated localhost pair."""
    cert, key = settings.ESOUTIEN_TLS_CERT, settings.ESOUTIEN_TLS_KEY
    if not cert and not key:
        return ensure_self_signed(settings.DATA_DIR / "tls")
    if not (cert and key):
        raise CommandError("Set both ESOUTIEN_TLS_CERT and ESOUTIEN_TLS_KEY, or neither.")
    for variable, path in (("ESOUTIEN_TLS_CERT", cert), ("ESOUTIEN_TLS_KEY", key)):
        if not Path(path).is_file():
            raise CommandError(f"{variable}: no such file: {path}")
    return Path(cert), Path(key)


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
        # Peers allowed to set X-Forwarded-Proto (and so wsgi.url_scheme).
        "--forwarded-allow-ips",
        ",".join(settings.ESOUTIEN_FORWARDED_ALLOW_IPS),
    ]
    if not http:
        cert, key = tls_files()
        argv += ["--certfile", str(cert), "--keyfile", str(key)]
    return argv


def reset_metrics_dir() -> None:
    """Start the web workers' shared metrics afresh: prometheus_client leaves one file per
    worker process there, which would otherwise pile up and be summed across restarts."""
    shutil.rmtree(settings.ESOUTIEN_METRICS_DIR, ignore_errors=True)
    # The workers inherit PROMETHEUS_MULTIPROC_DIR and write there at their first request.
    settings.ESOUTIEN_METRICS_DIR.mkdir(parents=True, exist_ok=True)


def split_bind(bind: str) -> tuple[str, int]:
    """("127.0.0.1", 8443) from "127.0.0.1:8443"; CommandError for a unix socket."""
    host, _, port = bind.rpartition(":")
    if bind.startswith(("unix:", "fd://")) or not port.isdigit():
        raise CommandError(f"--redirect-port needs a HOST:PORT bind, not {bind!r}.")
    return host or "0.0.0.0", int(port)  # noqa: S104 - gunicorn's own default for ":PORT"


def port_is_free(host: str, port: int) -> bool:
    address = host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def _no_control_socket() -> list[str]:
    """gunicorn >= 25.1 opens one control socket per user by default: leave it to the
    main server."""
    from gunicorn.config import KNOWN_SETTINGS

    known = {setting.name for setting in KNOWN_SETTINGS}
    return ["--no-control-socket"] if "control_socket_disable" in known else []


def redirect_argv(host: str, port: int, https_port: int) -> list[str]:
    """The plain-HTTP gunicorn that sends every request to HTTPS on ``https_port``."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        f"esoutien.core.redirect_app:make_app({https_port})",
        "--bind",
        f"{host}:{port}",
        "--workers",
        "1",
        "--threads",
        "2",
        "--access-logfile",
        "-",
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
        *_no_control_socket(),
    ]


def warn_plain_http(command: BaseCommand) -> None:
    """Plain HTTP while HTTPS is enforced works only behind a proxy that says so."""
    if settings.SECURE_SSL_REDIRECT and not settings.SECURE_PROXY_SSL_HEADER:
        command.stderr.write(
            "Warning: --http while ESOUTIEN_BASE_URL is https: every request will be "
            "redirected to https. Run behind a TLS proxy with ESOUTIEN_BEHIND_PROXY=1 "
            "(docs/operations.md), or set ESOUTIEN_BASE_URL to an http:// URL."
        )


def supervise(
    essential: list[subprocess.Popen[bytes]], optional: list[subprocess.Popen[bytes]]
) -> int:
    """Run until a signal or until an essential process exits; then stop them all.

    An optional process (the redirect port) that exits is reported and left down.
    Returns the exit status of the essential process that stopped first, else 0.
    """
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    status = 0
    reported: set[int] = set()
    while not stopping:
        ended = [process for process in essential if process.poll() is not None]
        if ended:
            status = ended[0].returncode or 0
            break
        for process in optional:
            if process.poll() is not None and process.pid not in reported:
                reported.add(process.pid)
                logger.warning(
                    "The HTTP redirect server stopped (exit %s); HTTPS keeps running.",
                    process.returncode,
                )
        time.sleep(0.5)
    everyone = essential + optional
    for process in everyone:
        if process.poll() is None:
            process.terminate()
    for process in everyone:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return status


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
        parser.add_argument(
            "--redirect-port",
            type=int,
            default=0,
            metavar="PORT",
            help="Also answer plain HTTP on PORT (same host as --bind), only with a 301 to HTTPS.",
        )
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        http, redirect_port = options["http"], options["redirect_port"]
        if http and redirect_port:
            raise CommandError(
                "--redirect-port needs HTTPS; behind a TLS proxy, let the proxy redirect."
            )
        redirect: list[str] = []
        if redirect_port:
            host, https_port = split_bind(options["bind"])
            if not port_is_free(host, redirect_port):
                raise CommandError(f"--redirect-port: {host}:{redirect_port} is already in use.")
            redirect = redirect_argv(host, redirect_port, https_port)
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        reset_metrics_dir()
        argv = gunicorn_argv(options["bind"], options["workers"], options["threads"], http)
        self.stdout.write(f"Serving on {'http' if http else 'https'}://{options['bind']}")
        if http:
            warn_plain_http(self)
        if not redirect:
            sys.stdout.flush()
            os.execv(sys.executable, argv)
        self.stdout.write(f"Plain HTTP on port {redirect_port} redirects to HTTPS")
        sys.stdout.flush()
        status = supervise([subprocess.Popen(argv)], [subprocess.Popen(redirect)])
        if status:
            raise SystemExit(status)
