"""SLA clocks as the desk shows them: remaining business time as text and a level.

The level gives the colour (CSS class ``sla-<level>``); the text always says the same thing
in words, so nothing is conveyed by colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from esoutien.catalogue.business_hours import business_time_between
from esoutien.tickets import sla
from esoutien.tickets.states import Status

if TYPE_CHECKING:
    from esoutien.tickets.models import Ticket

OK, WARNING, BREACHED, PAUSED, MET, NONE = "ok", "warning", "breached", "paused", "met", "none"


@dataclass(frozen=True)
class Badge:
    level: str
    text: str


@dataclass(frozen=True)
class ClockView:
    """One clock on the desk's ticket page."""

    label: str
    state: sla.ClockState
    badge: Badge

    @property
    def target_text(self) -> str:
        return duration_text(self.state.target)

    @property
    def elapsed_text(self) -> str:
        return duration_text(self.state.elapsed)


def duration_text(value: timedelta) -> str:
    """Business time as hours and minutes ("10 h 05 min", "45 min")."""
    minutes = max(int(value.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def _running_badge(name: str, target: timedelta, left: timedelta, overdue: bool) -> Badge:
    if overdue:
        return Badge(BREACHED, _("%(clock)s: overdue") % {"clock": name})
    level = WARNING if left <= target * (1 - sla.WARNING_FRACTION) else OK
    return Badge(
        level, _("%(clock)s: %(left)s left") % {"clock": name, "left": duration_text(left)}
    )


def queue_badge(ticket: Ticket, now: datetime) -> Badge:
    """The clock that matters now: take charge while acknowledged, else resolution."""
    if not sla.has_sla(ticket):
        return Badge(NONE, _("No SLA"))
    due: datetime | None
    target: timedelta | None
    if ticket.status == Status.ACKNOWLEDGED and ticket.sla_take_charge_due is not None:
        name, due, target = (
            pgettext("SLA clock", "Take charge"),
            ticket.sla_take_charge_due,
            ticket.sla_take_charge_target,
        )
    elif sla.resolution_running(ticket):
        name, due, target = _("Resolution"), ticket.sla_resolution_due, ticket.sla_resolution_target
    elif ticket.is_open and ticket.sla_paused_since is not None:
        return Badge(PAUSED, _("Clock paused"))
    elif ticket.sla_take_charge_breached or ticket.sla_resolution_breached:
        return Badge(BREACHED, _("SLA breached"))
    elif ticket.sla_resolution_seconds is not None:
        return Badge(MET, _("Resolved on time"))
    else:
        return Badge(NONE, _("Clock stopped"))
    assert due is not None and target is not None
    targets = sla.policy_targets(ticket)
    if now >= due:
        return _running_badge(name, target, timedelta(0), overdue=True)
    left = business_time_between(now, due, targets.calendar) if targets else due - now
    return _running_badge(name, target, left, overdue=False)


def clock_badge(name: str, state: sla.ClockState) -> Badge:
    if state.met_at is not None:
        if state.breached:
            return Badge(BREACHED, _("Met late: %(time)s") % {"time": duration_text(state.elapsed)})
        return Badge(MET, _("Met in %(time)s") % {"time": duration_text(state.elapsed)})
    if state.stopped_at is not None:
        return Badge(BREACHED if state.breached else NONE, _("Stopped"))
    if not state.running:
        return Badge(PAUSED, _("Paused"))
    return _running_badge(name, state.target, max(state.remaining, timedelta(0)), state.breached)


def clock_views(state: sla.SlaState) -> list[ClockView]:
    take, resolution = pgettext("SLA clock", "Take charge"), _("Resolution")
    return [
        ClockView(take, state.take_charge, clock_badge(take, state.take_charge)),
        ClockView(resolution, state.resolution, clock_badge(resolution, state.resolution)),
    ]
