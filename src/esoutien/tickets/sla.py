"""SLA clocks of a ticket, derived from its status history (never from mutable counters).

Two clocks run from the filing time, in business time of the policy's support calendar:

* take charge (*prise en compte*): runs while the ticket is ``acknowledged``; met by the first
  move to any working status (``take``); stopped unmet by a rejection or a cancellation;
* resolution (*rétablissement*): runs while the ticket is open, except in the policy's pause
  statuses (default ``pending``: waiting for the operator); met when the ticket is resolved
  (and stays met once closed); a reopened or contested ticket runs again from where it
  stopped; stopped unmet by a rejection or a cancellation.

``compute`` is pure (no ORM, no clock). ``refresh`` stores its result on the ticket inside
the workflow's transaction, so lists sort and filter by due date with an index. A ticket
keeps the targets it was filed with (snapshotted in ``sla_*_target``): editing a policy never
rewrites them; ``esoutien sla_recompute`` applies the current policies on demand
(docs/sla.md, "Ticket clocks").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from esoutien.catalogue.business_hours import (
    BusinessCalendar,
    add_business_time,
    business_time_between,
)
from esoutien.catalogue.sla import SlaTargets, targets_for, targets_for_policy
from esoutien.tickets.states import OPEN_STATUSES, Status

if TYPE_CHECKING:
    from esoutien.tickets.models import Ticket

ZERO = timedelta(0)
WARNING_FRACTION = 0.75
_STOPPING = frozenset({Status.REJECTED, Status.CANCELLED})

# The stored fields ``refresh`` maintains (the workflow saves them with update_fields).
STORED_FIELDS = (
    "sla_take_charge_due",
    "sla_resolution_due",
    "sla_paused_since",
    "sla_take_charge_seconds",
    "sla_resolution_seconds",
    "sla_take_charge_breached",
    "sla_resolution_breached",
)
TARGET_FIELDS = ("sla_policy", "sla_take_charge_target", "sla_resolution_target")


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime | None  # None: still going on


@dataclass(frozen=True)
class ClockState:
    target: timedelta
    due: datetime | None  # None only when the calendar has no opening time left
    elapsed: timedelta  # business time counted so far (up to met/stop, else up to now)
    running: bool
    met_at: datetime | None
    stopped_at: datetime | None  # ended unmet (rejected, cancelled)
    breached: bool

    @property
    def remaining(self) -> timedelta:
        """Business time left; negative once overdue."""
        return self.target - self.elapsed

    @property
    def fraction(self) -> float:
        return self.elapsed / self.target if self.target > ZERO else 1.0

    @property
    def achieved(self) -> timedelta | None:
        return self.elapsed if self.met_at is not None else None


@dataclass(frozen=True)
class SlaState:
    take_charge: ClockState
    resolution: ClockState
    paused: tuple[Interval, ...]
    paused_since: datetime | None


@dataclass(frozen=True)
class _Period:
    start: datetime
    end: datetime | None
    status: str


def _periods(
    created_at: datetime, changes: Iterable[tuple[datetime, str]], now: datetime
) -> list[_Period]:
    """The ticket's statuses as consecutive periods, the first one ``acknowledged``."""
    periods: list[_Period] = []
    start, status = created_at, str(Status.ACKNOWLEDGED)
    for at, to_status in sorted(changes, key=lambda change: change[0]):
        at = max(at, start)  # a clock skew never makes a period run backwards
        periods.append(_Period(start, at, status))
        start, status = at, to_status
    periods.append(_Period(start, None, status))
    return periods


def _add(start: datetime, duration: timedelta, calendar: BusinessCalendar) -> datetime | None:
    try:
        return add_business_time(start, max(duration, ZERO), calendar)
    except ValueError:  # a calendar with no opening time left: no deadline can be given
        return None


def _clock(
    segments: Sequence[Interval],
    target: timedelta,
    calendar: BusinessCalendar,
    *,
    now: datetime,
    origin: datetime,
    met_at: datetime | None,
    stopped_at: datetime | None,
) -> ClockState:
    """Walk the running ``segments``: the due date is where running time reaches ``target``."""
    elapsed = ZERO
    due: datetime | None = None
    found = False
    for segment in segments:
        end = segment.end if segment.end is not None else now
        length = business_time_between(segment.start, end, calendar)
        if not found and (elapsed + length >= target or segment.end is None):
            due, found = _add(segment.start, target - elapsed, calendar), True
        elapsed += length
    running = bool(segments) and segments[-1].end is None
    if not found:
        # Paused (or ended) before reaching the target: the deadline as if the clock went on
        # from where it stopped; a resume recomputes it.
        last = segments[-1].end if segments else origin
        due = _add(last or origin, target - elapsed, calendar)
    if running:
        reference: datetime | None = now
    else:
        reference = met_at or stopped_at or (segments[-1].end if segments else origin)
    breached = due is not None and reference is not None and reference > due
    return ClockState(target, due, elapsed, running, met_at, stopped_at, breached)


def compute(
    created_at: datetime,
    changes: Iterable[tuple[datetime, str]],
    *,
    take_charge_target: timedelta,
    resolution_target: timedelta,
    calendar: BusinessCalendar,
    pause_statuses: Iterable[str],
    now: datetime,
) -> SlaState:
    """Both clocks of a ticket filed at ``created_at`` whose status changed as ``changes``
    (``(moment, new status)``, in any order) as of ``now``."""
    pauses = frozenset(pause_statuses)
    periods = _periods(created_at, changes, now)
    current = periods[-1]

    take_segments: list[Interval] = []
    take_met: datetime | None = None
    take_stop: datetime | None = None
    for period in periods:
        if period.status == Status.ACKNOWLEDGED:
            if period.status not in pauses:
                take_segments.append(Interval(period.start, period.end))
            continue
        if period.status in _STOPPING or period.status == Status.CLOSED:
            take_stop = period.start
        else:
            take_met = period.start
        break

    resolution_segments = [
        Interval(p.start, p.end)
        for p in periods
        if p.status in OPEN_STATUSES and p.status not in pauses
    ]
    res_met: datetime | None = None
    res_stop: datetime | None = None
    if current.status == Status.RESOLVED:
        res_met = current.start
    elif current.status == Status.CLOSED:
        resolved = [p for p in periods if p.status == Status.RESOLVED]
        res_met = resolved[-1].start if resolved else None
        res_stop = None if resolved else current.start
    elif current.status in _STOPPING:
        res_stop = current.start

    paused = tuple(
        Interval(p.start, p.end)
        for p in periods
        if p.status in pauses and p.status in OPEN_STATUSES
    )
    paused_since = (
        current.start if current.status in pauses and current.status in OPEN_STATUSES else None
    )
    return SlaState(
        take_charge=_clock(
            take_segments,
            take_charge_target,
            calendar,
            now=now,
            origin=created_at,
            met_at=take_met,
            stopped_at=take_stop,
        ),
        resolution=_clock(
            resolution_segments,
            resolution_target,
            calendar,
            now=now,
            origin=created_at,
            met_at=res_met,
            stopped_at=res_stop,
        ),
        paused=paused,
        paused_since=paused_since,
    )


# --- The ticket's stored clocks ------------------------------------------------------------


def has_sla(ticket: Ticket) -> bool:
    return ticket.sla_take_charge_target is not None and ticket.sla_resolution_target is not None


def policy_targets(ticket: Ticket) -> SlaTargets | None:
    """The calendar and pause statuses of the ticket's policy (its targets are the ticket's)."""
    if not has_sla(ticket) or ticket.sla_policy_id is None:
        return None
    return targets_for_policy(ticket.sla_policy_id)


def status_changes(ticket: Ticket) -> list[tuple[datetime, str]]:
    """The ticket's status history from its timeline (one query)."""
    from esoutien.tickets.models import EventKind, TicketEvent

    rows = (
        TicketEvent.objects.filter(ticket_id=ticket.pk, kind=EventKind.STATUS)
        .exclude(to_status="")
        .order_by("created_at", "id")
        .values_list("created_at", "to_status")
    )
    return [(at, status) for at, status in rows]


def changes_from_events(events: Iterable[object]) -> list[tuple[datetime, str]]:
    """The status history from already loaded TicketEvents (the desk page has them)."""
    return [
        (event.created_at, event.to_status)  # type: ignore[attr-defined]
        for event in events
        if getattr(event, "kind", "") == "status" and getattr(event, "to_status", "")
    ]


def state_for(
    ticket: Ticket,
    now: datetime,
    changes: list[tuple[datetime, str]] | None = None,
) -> SlaState | None:
    """The ticket's clocks as of ``now`` (None: no SLA, or its policy is gone)."""
    targets = policy_targets(ticket)
    if targets is None:
        return None
    assert ticket.sla_take_charge_target is not None and ticket.sla_resolution_target is not None
    return compute(
        ticket.created_at,
        status_changes(ticket) if changes is None else changes,
        take_charge_target=ticket.sla_take_charge_target,
        resolution_target=ticket.sla_resolution_target,
        calendar=targets.calendar,
        pause_statuses=targets.pause_statuses,
        now=now,
    )


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def store(ticket: Ticket, state: SlaState) -> list[str]:
    """Copy ``state`` onto the ticket's stored fields; returns the names that changed."""
    values = {
        "sla_take_charge_due": state.take_charge.due,
        "sla_resolution_due": state.resolution.due,
        "sla_paused_since": state.paused_since,
        "sla_take_charge_seconds": _seconds(state.take_charge.achieved),
        "sla_resolution_seconds": _seconds(state.resolution.achieved),
        "sla_take_charge_breached": state.take_charge.breached,
        "sla_resolution_breached": state.resolution.breached,
    }
    changed = []
    for name, value in values.items():
        if getattr(ticket, name) != value:
            setattr(ticket, name, value)
            changed.append(name)
    return changed


def refresh(
    ticket: Ticket, now: datetime, pending: tuple[datetime, str] | None = None
) -> list[str]:
    """Recompute the stored clocks from the timeline (plus ``pending``, a status change not
    saved yet); returns the changed field names for ``save(update_fields=...)``."""
    if not has_sla(ticket):
        return []
    changes = status_changes(ticket)
    if pending is not None:
        changes.append(pending)
    state = state_for(ticket, now, changes)
    return store(ticket, state) if state is not None else []


def start_clocks(ticket: Ticket) -> None:
    """At filing (before the first save): snapshot the policy's targets and set the deadlines.

    A ticket whose e-service, severity and kind match no policy has no SLA (fields null).
    """
    targets = targets_for(ticket.eservice_id, ticket.severity, ticket.kind)
    apply_targets(ticket, targets)
    if targets is not None:
        store(ticket, _initial_state(ticket, targets))


def apply_targets(ticket: Ticket, targets: SlaTargets | None) -> list[str]:
    """Snapshot ``targets`` on the ticket (None clears its SLA); returns the changed fields."""
    values = {
        "sla_policy_id": targets.policy_id if targets else None,
        "sla_take_charge_target": targets.take_charge if targets else None,
        "sla_resolution_target": targets.resolution if targets else None,
    }
    changed = []
    for name, value in values.items():
        if getattr(ticket, name) != value:
            setattr(ticket, name, value)
            changed.append("sla_policy" if name == "sla_policy_id" else name)
    if targets is None:
        for name in STORED_FIELDS:
            empty = False if name.endswith("_breached") else None
            if getattr(ticket, name) != empty:
                setattr(ticket, name, empty)
                changed.append(name)
    return changed


def _initial_state(ticket: Ticket, targets: SlaTargets) -> SlaState:
    return compute(
        ticket.created_at,
        [],
        take_charge_target=targets.take_charge,
        resolution_target=targets.resolution,
        calendar=targets.calendar,
        pause_statuses=targets.pause_statuses,
        now=ticket.created_at,
    )


# --- Reading the stored fields (no calendar needed) ------------------------------------------


def take_charge_running(ticket: Ticket) -> bool:
    return ticket.status == Status.ACKNOWLEDGED and ticket.sla_take_charge_due is not None


def resolution_running(ticket: Ticket) -> bool:
    return (
        ticket.status in OPEN_STATUSES
        and ticket.sla_paused_since is None
        and ticket.sla_resolution_due is not None
    )


def breached_now(ticket: Ticket, now: datetime) -> bool:
    """Breached as of ``now``: the stored flags, or a running clock past its due date (the
    periodic scan sets the flags a few minutes later)."""
    if ticket.sla_take_charge_breached or ticket.sla_resolution_breached:
        return True
    due_tc, due_res = ticket.sla_take_charge_due, ticket.sla_resolution_due
    if take_charge_running(ticket) and due_tc is not None and now > due_tc:
        return True
    return resolution_running(ticket) and due_res is not None and now > due_res


def recompute(ticket_id: int, now: datetime, *, dry_run: bool = False) -> list[str]:
    """Apply the policy in force now to a filed ticket: new targets, deadlines and flags
    recomputed from its timeline (``esoutien sla_recompute``). Returns the changed fields."""
    from django.db import transaction

    from esoutien.tickets.models import Ticket

    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
        targets = targets_for(ticket.eservice_id, ticket.severity, ticket.kind)
        changed = apply_targets(ticket, targets)
        if targets is not None:
            state = state_for(ticket, now)
            if state is not None:
                changed += store(ticket, state)
        if changed and not dry_run:
            ticket.save(update_fields=changed)
    return changed
