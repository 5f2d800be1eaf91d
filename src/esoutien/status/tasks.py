"""Huey tasks of the status app."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from esoutien.status import health


@db_periodic_task(crontab(minute="*"))
def healthcheck_every_minute() -> bool:
    """Record the health checks, update the detected incident and the status snapshot."""
    return health.run_and_record()
