"""SLA targets of a ticket's scope (selectors), and the support hours as human text.

Resolution of a policy: the most specific policy of the e-service wins, in this order:
(severity, kind) > (severity, any kind) > (any severity, kind) > (any, any).

Results are cached per process for ``CACHE_SECONDS`` so filing a ticket does not cost four
queries; a save or delete of a calendar, its intervals or exceptions, a policy or an
e-service clears the cache of the process that made it, and the short lifetime bounds how
long other processes may use the previous targets.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import signals

from esoutien.catalogue.business_hours import BusinessCalendar
from esoutien.catalogue.hours_text import describe_hours
from esoutien.catalogue.models import (
    DEFAULT_PAUSE_STATUSES,
    CalendarException,
    EService,
    OpeningInterval,
    SlaPolicy,
    SupportCalendar,
)

__all__ = [
    "SlaTargets",
    "clear_cache",
    "describe_hours",
    "targets_for",
    "targets_for_policy",
]

CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class SlaTargets:
    policy_id: int
    calendar: BusinessCalendar
    take_charge: timedelta
    resolution: timedelta
    pause_statuses: frozenset[str]


_by_scope: dict[tuple[int, str, str], tuple[float, SlaTargets | None]] = {}
_by_policy: dict[int, tuple[float, SlaTargets | None]] = {}


def clear_cache(**kwargs: Any) -> None:
    _by_scope.clear()
    _by_policy.clear()


def _policies() -> Any:
    return SlaPolicy.objects.select_related("calendar").prefetch_related(
        "calendar__intervals", "calendar__exceptions"
    )


def _targets(policy: SlaPolicy) -> SlaTargets:
    return SlaTargets(
        policy_id=policy.pk,
        calendar=policy.calendar.to_business_calendar(),
        take_charge=policy.take_charge_target,
        resolution=policy.resolution_target,
        pause_statuses=frozenset(policy.pause_statuses or DEFAULT_PAUSE_STATUSES),
    )


def _specificity(policy: SlaPolicy) -> tuple[bool, bool]:
    return (bool(policy.severity), bool(policy.kind))


def targets_for(eservice_id: int, severity: str, kind: str) -> SlaTargets | None:
    """The targets applying to a ticket of this e-service, severity and kind (None: no SLA)."""
    key = (eservice_id, severity or "", kind or "")
    now = clock.monotonic()
    hit = _by_scope.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    candidates = list(
        _policies().filter(
            eservice_id=eservice_id,
            severity__in={key[1], ""},
            kind__in={key[2], ""},
        )
    )
    best = max(candidates, key=_specificity, default=None)
    result = _targets(best) if best is not None else None
    _by_scope[key] = (now + CACHE_SECONDS, result)
    return result


def targets_for_policy(policy_id: int) -> SlaTargets | None:
    """The current targets of one policy (None if it was deleted)."""
    now = clock.monotonic()
    hit = _by_policy.get(policy_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    policy = _policies().filter(pk=policy_id).first()
    result = _targets(policy) if policy is not None else None
    _by_policy[policy_id] = (now + CACHE_SECONDS, result)
    return result


def connect_signals() -> None:
    """Called by the app config: any change to what targets derive from clears the cache."""
    for model in (SupportCalendar, OpeningInterval, CalendarException, SlaPolicy, EService):
        for signal in (signals.post_save, signals.post_delete):
            signal.connect(clear_cache, sender=model, dispatch_uid=f"sla-cache-{model.__name__}")
