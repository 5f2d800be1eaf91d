"""/healthz (liveness, no database), /readyz (database, queue), /metrics (bearer token),
and `esoutien healthcheck`."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from esoutien.mail.models import OutboundEmail
from esoutien.status import health
from esoutien.status.models import HealthCheckRecord, ServiceIncident
from tests.factories import file_ticket, set_status

TOKEN = "s3cr3t-metrics-token"
PARIS = ZoneInfo("Europe/Paris")


def test_healthz_answers_without_touching_the_database(client: Client) -> None:
    # No database fixture: any query would raise (pytest-django blocks database access).
    response = client.get("/healthz", HTTP_COOKIE="sessionid=whatever")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_the_database_and_the_queue(client: Client, db: None) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "queue"}


def test_readyz_is_503_when_the_queue_is_unreachable(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huey.contrib.djhuey import HUEY

    def broken() -> int:
        raise ConnectionError("redis: connection refused")

    monkeypatch.setattr(HUEY, "pending_count", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["queue"]["ok"] is False


def test_metrics_is_hidden_without_a_token_and_refuses_a_wrong_one(
    client: Client, settings: Any, db: None
) -> None:
    settings.ESOUTIEN_METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404
    settings.ESOUTIEN_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")


def _value(text: str, prefix: str) -> float:
    [line] = [line for line in text.splitlines() if line.startswith(prefix)]
    return float(line.rsplit(" ", 1)[1])


def test_metrics_count_requests_tickets_mails_and_sla_breaches(
    client: Client, settings: Any, alice: Any, alfa: Any, esav: Any, ftte: Any
) -> None:
    settings.ESOUTIEN_METRICS_TOKEN = TOKEN
    for _ in range(2):
        file_ticket(alice, alfa, esav)
    late = file_ticket(alice, alfa, ftte)
    set_status(late, late.status, sla_resolution_breached=True)
    OutboundEmail.objects.filter(pk=OutboundEmail.objects.order_by("pk")[0].pk).update(
        status="failed"
    )
    client.get("/healthz")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}

    first = client.get("/metrics", **auth).content.decode()
    client.get("/healthz")
    second = client.get("/metrics", **auth)

    assert second.status_code == 200
    text = second.content.decode()
    assert _value(text, 'esoutien_tickets_filed_total{eservice="esav"}') == 2
    assert _value(text, 'esoutien_tickets_filed_total{eservice="ftte"}') == 1
    assert _value(text, 'esoutien_sla_breaches_total{target="resolution"}') == 1
    assert _value(text, 'esoutien_mails_outbound{status="failed"}') == 1
    assert _value(text, 'esoutien_mails_outbound{status="queued"}') == 2
    assert _value(text, 'esoutien_service_state{state="operational"}') == 1
    assert _value(text, "esoutien_database_up") == 1
    probe = 'esoutien_http_requests_total{area="probe",method="GET",status="2xx"}'
    assert _value(text, probe) >= _value(first, probe) + 1
    assert "esoutien_mails_inbound" in text


# --- esoutien healthcheck ---------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_healthcheck_command_passes_with_a_working_relay_and_listener(
    smtp_sink: Any, settings: Any, db: None, capsys: Any
) -> None:
    # The SMTP sink stands for both the relay and the inbound listener (both greet 220).
    settings.ESOUTIEN_SMTPD_ADDRESS = f"127.0.0.1:{smtp_sink.port}"
    call_command("healthcheck", "--record")
    out = capsys.readouterr().out
    assert {line.split()[0] for line in out.splitlines()} == {"database", "queue", "smtp", "smtpd"}
    assert HealthCheckRecord.objects.get().ok is True


def test_healthcheck_command_fails_when_the_relay_is_down(
    settings: Any, db: None, capsys: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.ESOUTIEN_SMTPD_ADDRESS = f"127.0.0.1:{_closed_port()}"
    with pytest.raises(SystemExit) as exit_info:
        call_command("healthcheck")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "smtp      FAILED" in err and "smtpd     FAILED" in err


def test_the_worker_records_checks_and_keeps_detected_outages_in_the_history(
    settings: Any, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime(2026, 6, 1, 8, 0, tzinfo=PARIS)
    failing = {"on": True}

    def relay() -> health.CheckResult:
        return health.CheckResult("smtp", not failing["on"], "relay")

    monkeypatch.setitem(health.CHECKS, "smtp", relay)
    for minute in range(7):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            health.run_and_record()
    incident = ServiceIncident.objects.get(source="detected")
    assert incident.started_at == start and incident.ended_at is None
    assert incident.state == "degraded"
    failing["on"] = False
    with time_machine.travel(start + timedelta(minutes=7), tick=False):
        assert health.run_and_record() is True
    incident.refresh_from_db()
    assert incident.ended_at == start + timedelta(minutes=7)
    # Old records go after 7 days.
    with time_machine.travel(start + timedelta(days=8), tick=False):
        health.run_and_record()
    assert HealthCheckRecord.objects.count() == 1
