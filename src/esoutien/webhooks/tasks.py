"""Huey tasks of the webhooks layer. The queue only triggers; rows in the database are the truth."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from esoutien.webhooks import outbox


@db_task()
def deliver_webhook_task(delivery_pk: int) -> bool:
    return outbox.deliver(delivery_pk)


@db_periodic_task(crontab(minute="*"))
def sweep_webhooks() -> int:
    return outbox.deliver_due()


@db_periodic_task(crontab(minute="40", hour="3"))
def purge_old_webhook_deliveries() -> int:
    return outbox.purge_old_deliveries()
