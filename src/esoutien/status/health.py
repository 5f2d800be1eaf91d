"""Health checks: database, queue, outbound SMTP relay, inbound listener.

``esoutien healthcheck`` prints them; the worker runs ``run_and_record`` every minute
(status/tasks.py), which keeps the result (7 days), opens or ends the "detected" incident and
refreshes the status page's last known state. A result the database cannot take (it is what
fails) waits in a file and is added at the next run that can write, so the history and the
hotline's verdict cover database outages too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from esoutien.core import clock
from esoutien.status.models import HealthCheckRecord

log = logging.getLogger(__name__)

KEEP_RECORDS = timedelta(days=7)
PROBE_TIMEOUT = 10.0  # seconds, for each network probe


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str = ""


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "unavailable"
        return CheckResult("database", False, _short(exc))
    return CheckResult("database", True, connection.vendor)


def check_queue() -> CheckResult:
    """The Huey storage answers (SQLite file or Redis); the detail is its pending count."""
    from huey.contrib.djhuey import HUEY

    try:
        pending = HUEY.pending_count()
    except Exception as exc:
        return CheckResult("queue", False, _short(exc))
    return CheckResult("queue", True, f"{type(HUEY).__name__}, {pending} pending")


def check_outbound_smtp() -> CheckResult:
    """Connect to the SMTP relay (EHLO, STARTTLS when configured, NOOP); any other mail
    backend (the .eml directory, tests) has nothing to reach."""
    backend = settings.EMAIL_BACKEND
    if not backend.endswith("smtp.EmailBackend"):
        return CheckResult("smtp", True, f"not SMTP ({backend.rpartition('.')[0]})")
    host, port = settings.EMAIL_HOST, int(settings.EMAIL_PORT)
    timeout = min(float(settings.EMAIL_TIMEOUT or PROBE_TIMEOUT), PROBE_TIMEOUT)
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if getattr(settings, "EMAIL_USE_SSL", False):
            client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        try:
            client.ehlo()
            if getattr(settings, "EMAIL_USE_TLS", False):
                client.starttls(context=context)
                client.ehlo()
            code, _message = client.noop()
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    except (smtplib.SMTPException, OSError) as exc:
        return CheckResult("smtp", False, f"{host}:{port}: {_short(exc)}")
    if code != 250:
        return CheckResult("smtp", False, f"{host}:{port}: NOOP answered {code}")
    return CheckResult("smtp", True, f"{host}:{port}")


def parse_address(address: str) -> tuple[str, int]:
    """ "host:port" or "[v6]:port" → (host, port)."""
    host, _, port = address.strip().rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def check_inbound_listener() -> CheckResult:
    """The `esoutien smtpd` listener greets with 220 (skipped when not configured)."""
    address = settings.ESOUTIEN_SMTPD_ADDRESS
    if not address:
        return CheckResult("smtpd", True, "not configured")
    try:
        host, port = parse_address(address)
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT) as sock:
            sock.settimeout(PROBE_TIMEOUT)
            greeting = sock.recv(512)
            with contextlib.suppress(OSError):
                sock.sendall(b"QUIT\r\n")
    except (OSError, ValueError) as exc:
        return CheckResult("smtpd", False, f"{address}: {_short(exc)}")
    if not greeting.startswith(b"220"):
        return CheckResult("smtpd", False, f"{address}: greeting {greeting[:40]!r}")
    return CheckResult("smtpd", True, address)


CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": check_database,
    "queue": check_queue,
    "smtp": check_outbound_smtp,
    "smtpd": check_inbound_listener,
}


def run_checks(names: Iterable[str] | None = None) -> list[CheckResult]:
    return [CHECKS[name]() for name in (names or CHECKS)]


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


# --- Recording ------------------------------------------------------------------------------


def _pending_file() -> Path:
    return Path(settings.ESOUTIEN_STATUS_DIR) / "health-pending.jsonl"


def _details(results: list[CheckResult]) -> dict[str, Any]:
    return {r.name: {"ok": r.ok, "detail": r.detail} for r in results}


def record(results: list[CheckResult], at: datetime) -> HealthCheckRecord | None:
    """Keep one run's results; when the database refuses, in a file until it is back."""
    ok = all(r.ok for r in results)
    try:
        with transaction.atomic():
            _flush_pending()
            return HealthCheckRecord.objects.create(checked_at=at, ok=ok, details=_details(results))
    except DatabaseError:
        line = json.dumps({"checked_at": at.isoformat(), "ok": ok, "details": _details(results)})
        path = _pending_file()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        except OSError:
            log.exception("health check result lost: neither the database nor %s", path)
        return None


def _flush_pending() -> int:
    """Add the results kept in the file (inside the caller's transaction)."""
    path = _pending_file()
    if not path.exists():
        return 0
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
            rows.append(
                HealthCheckRecord(
                    checked_at=datetime.fromisoformat(item["checked_at"]),
                    ok=bool(item["ok"]),
                    details=item.get("details") or {},
                )
            )
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable pending health check line skipped: %r", line[:200])
    HealthCheckRecord.objects.bulk_create(rows)
    transaction.on_commit(lambda: path.unlink(missing_ok=True))
    return len(rows)


def purge(now: datetime) -> int:
    deleted, _ = HealthCheckRecord.objects.filter(checked_at__lt=now - KEEP_RECORDS).delete()
    return deleted


def run_and_record() -> bool:
    """The worker's minute: check, keep, update the detected incident and the last known
    state. Returns whether every check passed."""
    from esoutien.status import snapshot, state

    now = clock.now()
    results = run_checks()
    saved = record(results, now)
    if saved is not None:
        try:
            state.sync_detected_incident(now)
            purge(now)
            snapshot.refresh()
        except DatabaseError:
            log.warning("database lost during the health check run", exc_info=True)
    return all(r.ok for r in results)
