"""Huey tasks of the mail layer. The queue only triggers; rows in the database are the truth."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from esoutien.mail import outbound


@db_task()
def deliver_email_task(email_id: int) -> bool:
    return outbound.deliver(email_id)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> int:
    return outbound.deliver_due()


@db_task()
def process_inbound_task(inbound_id: int) -> str | None:
    from esoutien.mail.inbound import dispatch

    return dispatch.process(inbound_id)


@db_periodic_task(crontab(minute="*"))
def sweep_inbound() -> int:
    """Process stored messages the queue did not (a lost trigger, a crash, a failed router)."""
    from esoutien.mail.inbound import dispatch

    return dispatch.process_due()
