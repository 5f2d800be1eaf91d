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


def support_hours(eservice_ids: list[int]) -> list[tuple[str, str]]:
    """(e-service name, its support hours in words) for those with a support calendar."""
    from esoutien.catalogue.hours_text import describe_hours

    eservices = (
        EService.objects.filter(pk__in=eservice_ids, support_calendar__isnull=False)
        .select_related("support_calendar")
        .prefetch_related("support_calendar__intervals", "support_calendar__exceptions")
        .order_by("name")
    )
    return [(e.name, describe_hours(e.support_calendar)) for e in eservices if e.support_calendar]
