"""Periodic work on the audit log."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from esoutien.audit import admin_log, retention


@db_periodic_task(crontab(hour="3", minute="20"))
def purge_audit_log() -> int:
    return retention.purge_expired()


@db_periodic_task(crontab(minute="*/5"))
def sweep_admin_log() -> int:
    return admin_log.sweep()
