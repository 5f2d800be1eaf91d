"""The ticket life cycle as data (TMF621-aligned). workflow.py is the only code applying it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING = "pending", _("Waiting for information")
    HELD = "held", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = frozenset({Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.PENDING, Status.HELD})
FINAL_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.CANCELLED})


class Party(StrEnum):
    """Which side may fire a transition."""

    OPERATOR = "operator"
    DESK = "desk"
    SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    parties: frozenset[Party]
    label: str | Promise


def _t(
    name: str, sources: set[str], target: str, parties: set[Party], label: Promise
) -> Transition:
    return Transition(name, frozenset(sources), target, frozenset(parties), label)


S = Status
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        _t("take", {S.ACKNOWLEDGED}, S.IN_PROGRESS, {Party.DESK}, _("Take charge")),
        _t("request_info", {S.IN_PROGRESS}, S.PENDING, {Party.DESK}, _("Request information")),
        _t(
            "receive_info",
            {S.PENDING},
            S.IN_PROGRESS,
            {Party.OPERATOR, Party.SYSTEM},
            _("Information received"),
        ),
        _t("hold", {S.IN_PROGRESS}, S.HELD, {Party.DESK}, _("Put on hold")),
        _t("resume", {S.HELD, S.PENDING}, S.IN_PROGRESS, {Party.DESK}, _("Resume")),
        _t("resolve", {S.IN_PROGRESS}, S.RESOLVED, {Party.DESK}, _("Resolve")),
        _t("reject", {S.ACKNOWLEDGED}, S.REJECTED, {Party.DESK}, _("Reject")),
        _t("cancel", set(OPEN_STATUSES), S.CANCELLED, {Party.OPERATOR, Party.DESK}, _("Cancel")),
        _t("accept", {S.RESOLVED}, S.CLOSED, {Party.OPERATOR}, _("Accept the resolution")),
        _t("contest", {S.RESOLVED}, S.IN_PROGRESS, {Party.OPERATOR}, _("Contest the resolution")),
        _t("reopen", {S.RESOLVED}, S.IN_PROGRESS, {Party.DESK}, _("Reopen")),
        _t("close", {S.RESOLVED}, S.CLOSED, {Party.DESK, Party.SYSTEM}, _("Close")),
    )
}


def allowed(transition: str, status: str, party: Party) -> bool:
    t = TRANSITIONS[transition]
    return status in t.sources and party in t.parties


def available(status: str, party: Party) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources and party in t.parties]
