"""Periodic work on tickets."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from esoutien.core import clock
from esoutien.tickets import sla_scan, workflow


@db_periodic_task(crontab(minute="*/15"))
def close_expired_resolutions() -> int:
    return workflow.close_expired_resolutions()


@db_periodic_task(crontab(minute="*/5"))
def sla_scan_task() -> int:
    """SLA warnings (75 % of a target) and breach notices, once each (tickets/sla_scan.py)."""
    return sla_scan.scan(clock.now())
