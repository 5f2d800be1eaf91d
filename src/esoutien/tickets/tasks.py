"""Periodic work on tickets."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from esoutien.tickets import workflow


@db_periodic_task(crontab(minute="*/15"))
def close_expired_resolutions() -> int:
    return workflow.close_expired_resolutions()
