"""Reads of tickets. Every query that reaches a ticket goes through accounts.access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from esoutien.accounts import access
from esoutien.core import clock
from esoutien.core.errors import NotFound
from esoutien.tickets import search
from esoutien.tickets.models import (
    Attachment,
    SlaAlert,
    SlaTarget,
    SlaThreshold,
    Ticket,
    TicketEvent,
)
from esoutien.tickets.references import candidate_references
from esoutien.tickets.states import OPEN_STATUSES, Status


@dataclass
class TicketFilters:
    status: str = ""
    eservice: str = ""  # EService code
    kind: str = ""
    text: str = ""
    operator: str = ""  # Operator code (desk)
    mine: bool = False
    open_only: bool = False
    sla: str = ""  # SLA_FILTERS: "at_risk" or "breached" (desk)
    sort: str = ""  # "urgency": resolution deadline first (desk); default: recently updated


def visible_tickets(user: Any) -> QuerySet[Ticket]:
    return access.visible_tickets(user, Ticket.objects.all())


def ticket_list(user: Any, filters: TicketFilters) -> QuerySet[Ticket]:
    qs = visible_tickets(user).select_related("eservice", "operator", "assignee")
    if filters.status == "open" or filters.open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status in Status.values:
        qs = qs.filter(status=filters.status)
    if filters.eservice:
        qs = qs.filter(eservice__code=filters.eservice)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.operator:
        qs = qs.filter(operator__code=filters.operator.upper())
    if filters.mine:
        qs = qs.filter(assignee=user)
    if filters.sla in SLA_FILTERS:
        qs = sla_filter(qs, filters.sla, clock.now())
    if filters.text.strip():
        # Full-text search (tickets/search.py): exact references first, then relevance.
        return search.search_tickets(qs, filters.text)
    return qs.order_by(*ticket_ordering(filters))


# --- SLA: desk filters and urgency order (issue 6) -----------------------------------------

SLA_AT_RISK = "at_risk"
SLA_BREACHED = "breached"
SLA_FILTERS = (SLA_AT_RISK, SLA_BREACHED)
# "At risk" also covers any running clock due within this wall-clock time.
AT_RISK_WINDOW = timedelta(hours=2)
URGENCY_ORDER = (F("sla_resolution_due").asc(nulls_last=True), "-updated_at", "-id")


def ticket_ordering(filters: TicketFilters) -> tuple[Any, ...]:
    """Urgency: nearest resolution deadline first (index ticket_queue_sla_due), no SLA last."""
    return URGENCY_ORDER if filters.sort == "urgency" else ("-updated_at", "-id")


def sla_filter(qs: QuerySet[Ticket], which: str, now: datetime) -> QuerySet[Ticket]:
    """Open tickets whose SLA is breached, or at risk: a running clock with 75 % of its
    target elapsed (the scan's warning) or due within AT_RISK_WINDOW, and not yet overdue."""
    take_running = Q(status=Status.ACKNOWLEDGED, sla_take_charge_due__isnull=False)
    res_running = Q(
        status__in=OPEN_STATUSES, sla_paused_since__isnull=True, sla_resolution_due__isnull=False
    )
    overdue = (take_running & Q(sla_take_charge_due__lt=now)) | (
        res_running & Q(sla_resolution_due__lt=now)
    )
    qs = qs.filter(status__in=OPEN_STATUSES)
    if which == SLA_BREACHED:
        return qs.filter(
            Q(sla_take_charge_breached=True) | Q(sla_resolution_breached=True) | overdue
        )

    def warned(target: str) -> Exists:
        return Exists(
            SlaAlert.objects.filter(
                ticket=OuterRef("pk"), target=target, threshold=SlaThreshold.WARNING
            )
        )

    horizon = now + AT_RISK_WINDOW
    soon = (take_running & Q(sla_take_charge_due__lte=horizon)) | (
        res_running & Q(sla_resolution_due__lte=horizon)
    )
    at_risk = (
        soon
        | (take_running & warned(SlaTarget.TAKE_CHARGE))
        | (res_running & warned(SlaTarget.RESOLUTION))
    )
    return qs.filter(at_risk).exclude(overdue)


def get_ticket(user: Any, reference: str) -> Ticket:
    return access.get_visible_ticket(
        user,
        Ticket.objects.select_related("eservice", "operator", "assignee", "created_by"),
        reference=reference.upper(),
    )


def find_ticket_by_typed_number(user: Any, typed: str) -> Ticket:
    """ "Retour sur ticket ouvert": the visible ticket matching what the operator typed.

    A bare number is looked up across years, newest first. Unknown and foreign tickets give
    the same NotFound.
    """
    this_year = clock.now().year
    refs = candidate_references(typed, list(range(this_year, this_year - 10, -1)))
    if refs:
        ticket = (
            visible_tickets(user)
            .select_related("eservice")
            .filter(reference__in=refs)
            .order_by("-created_at")
            .first()
        )
        if ticket is not None:
            return ticket
    raise NotFound()


def timeline(ticket: Ticket, *, include_internal: bool) -> list[TicketEvent]:
    qs = ticket.events.select_related("actor").prefetch_related("attachments")
    if not include_internal:
        qs = qs.filter(public=True)
    return list(qs.order_by("created_at", "id"))


def attachments(ticket: Ticket, *, include_internal: bool) -> list[Attachment]:
    qs = ticket.attachments.all()
    if not include_internal:
        qs = qs.filter(public=True)
    return list(qs.order_by("created_at", "id"))


def get_attachment(user: Any, reference: str, attachment_id: int) -> Attachment:
    ticket = get_ticket(user, reference)
    qs = ticket.attachments.filter(pk=attachment_id)
    if not access.can_see_internal(user):
        qs = qs.filter(public=True)
    found = qs.first()
    if found is None:
        raise NotFound()
    return found


def queue_summary(user: Any) -> list[dict[str, Any]]:
    """Per e-service open-ticket counts by status, for the desk's queue list."""
    rows = (
        visible_tickets(user)
        .filter(status__in=OPEN_STATUSES)
        .values("eservice__code", "eservice__name", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    summary: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = summary.setdefault(
            row["eservice__code"],
            {
                "code": row["eservice__code"],
                "name": row["eservice__name"],
                "counts": {},
                "total": 0,
            },
        )
        entry["counts"][row["status"]] = row["n"]
        entry["total"] += row["n"]
    return sorted(summary.values(), key=lambda e: e["name"])
