"""Reads of the catalogue."""

from __future__ import annotations

from datetime import date

from esoutien.catalogue.models import EService, Subscription


def subscribed_eservices(operator_id: int, day: date) -> list[EService]:
    """The active e-services the operator may file tickets for on ``day``."""
    ids = Subscription.objects.active_on(day).filter(operator_id=operator_id).values("eservice_id")
    return list(EService.objects.filter(is_active=True, pk__in=ids).order_by("name"))


def is_subscribed(operator_id: int, eservice_id: int, day: date) -> bool:
    return (
        Subscription.objects.active_on(day)
        .filter(operator_id=operator_id, eservice_id=eservice_id)
        .exists()
    )
