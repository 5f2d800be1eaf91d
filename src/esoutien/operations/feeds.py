"""The operators' calendar feed of maintenance windows (a secret address per operator)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from esoutien.accounts import access
from esoutien.audit.recorder import record
from esoutien.catalogue.models import Subscription
from esoutien.core import clock
from esoutien.core.errors import Forbidden
from esoutien.operations.models import MaintenanceWindow, OperatorCalendarFeed

HISTORY_DAYS = 90


def feed_for(operator_id: int) -> OperatorCalendarFeed | None:
    return OperatorCalendarFeed.objects.filter(operator_id=operator_id).first()


def regenerate(user: Any, *, request: Any = None) -> OperatorCalendarFeed:
    """Give the manager's operator a new secret address; the previous one stops working."""
    if not access.may_manage_calendar_feed(user):
        raise Forbidden(_("Only the operator's managers manage its calendar address."))
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        feed, created = OperatorCalendarFeed.objects.select_for_update().get_or_create(
            operator_id=user.operator_id, defaults={"token": token}
        )
        if not created:
            feed.token = token
            feed.created_at = clock.now()
            feed.save(update_fields=["token", "created_at"])
        record(
            "maintenance_feed_regenerated",
            request=request,
            actor=user,
            target=f"operator {user.operator_id}",
            data={"created": created},
        )
    return feed


def by_token(token: str) -> OperatorCalendarFeed | None:
    if not token or len(token) > 64:
        return None
    return (
        OperatorCalendarFeed.objects.select_related("operator")
        .filter(token=token, operator__is_active=True)
        .first()
    )


def windows_for_operator(operator_id: int) -> QuerySet[MaintenanceWindow]:
    """Windows of the last 90 days and to come that concern the operator (cancelled ones
    included, so calendars drop them)."""
    now = clock.now()
    subscribed = Subscription.objects.active_on(now.date()).filter(operator_id=operator_id)
    return (
        MaintenanceWindow.objects.filter(ends_at__gte=now - timedelta(days=HISTORY_DAYS))
        .filter(
            Q(affects_portal=True)
            | Q(eservices__isnull=True)
            | Q(eservices__in=subscribed.values("eservice_id"))
        )
        .distinct()
        .prefetch_related("eservices")
        .order_by("starts_at", "id")
    )
