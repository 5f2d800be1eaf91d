"""The database side of /metrics: a few grouped COUNT queries at scrape time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import DatabaseError
from django.db.models import Count, Q

from esoutien.core import clock
from esoutien.mail.models import InboundEmail, OutboundEmail
from esoutien.status.models import HealthCheckRecord, ServiceState
from esoutien.status.state import state_at
from esoutien.tickets.models import Ticket


def families(counter: Any, gauge: Any) -> Iterator[Any]:
    """Metric families built with the given prometheus_client classes; when the database
    fails, only ``esoutien_database_up 0`` (the scrape itself still succeeds)."""
    try:
        built = list(_families(counter, gauge))
    except DatabaseError:
        down = gauge("esoutien_database_up", "Whether the database answered this scrape.")
        down.add_metric([], 0)
        yield down
        return
    up = gauge("esoutien_database_up", "Whether the database answered this scrape.")
    up.add_metric([], 1)
    yield up
    yield from built


def _families(counter: Any, gauge: Any) -> Iterator[Any]:
    filed = counter(
        "esoutien_tickets_filed",
        "Tickets filed since the start, by e-service.",
        labels=["eservice"],
    )
    for code, n in Ticket.objects.values_list("eservice__code").annotate(n=Count("id")).order_by():
        filed.add_metric([code], n)
    yield filed

    by_status = gauge("esoutien_tickets", "Tickets by status.", labels=["status"])
    for status, n in Ticket.objects.values_list("status").annotate(n=Count("id")).order_by():
        by_status.add_metric([status], n)
    yield by_status

    breaches = Ticket.objects.aggregate(
        take_charge=Count("id", filter=Q(sla_take_charge_breached=True)),
        resolution=Count("id", filter=Q(sla_resolution_breached=True)),
    )
    sla = counter(
        "esoutien_sla_breaches", "Tickets whose SLA target was breached.", labels=["target"]
    )
    for target, n in breaches.items():
        sla.add_metric([target], n or 0)
    yield sla

    outbound = gauge("esoutien_mails_outbound", "Outgoing e-mails by status.", labels=["status"])
    for status, n in OutboundEmail.objects.values_list("status").annotate(n=Count("id")).order_by():
        outbound.add_metric([status], n)
    yield outbound

    inbound = gauge("esoutien_mails_inbound", "Received e-mails by status.", labels=["status"])
    for status, n in InboundEmail.objects.values_list("status").annotate(n=Count("id")).order_by():
        inbound.add_metric([status], n)
    yield inbound

    current, _reasons = state_at(clock.now())
    service = gauge(
        "esoutien_service_state", "1 for the current state of e-soutien.", labels=["state"]
    )
    for value in ServiceState.values:
        service.add_metric([value], 1 if value == current else 0)
    yield service

    latest = HealthCheckRecord.objects.order_by("-checked_at", "-id").first()
    if latest is not None:
        checks = gauge(
            "esoutien_health_check_ok", "Result of the latest health check run.", labels=["check"]
        )
        for name, result in sorted((latest.details or {}).items()):
            checks.add_metric([name], 1 if result.get("ok") else 0)
        yield checks
        age = gauge("esoutien_health_check_age_seconds", "Age of the latest health check run.")
        age.add_metric([], (clock.now() - latest.checked_at).total_seconds())
        yield age
