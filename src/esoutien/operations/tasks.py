"""Huey tasks of the operations app: maintenance reminders and closing ended windows.

Both are idempotent (row locks, one announcement per window, kind and version): a worker that
restarts and runs them again sends nothing twice.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from esoutien.operations import maintenance


@db_periodic_task(crontab(minute="*"))
def maintenance_sweep() -> tuple[int, int]:
    """(reminders sent, windows closed)."""
    return maintenance.send_due_reminders(), maintenance.finish_ended()
