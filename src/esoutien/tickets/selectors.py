"""Reads of tickets. Every query that reaches a ticket goes through accounts.access."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from esoutien.accounts import access
from esoutien.core import clock
from esoutien.core.errors import NotFound
from esoutien.tickets.models import Attachment, Ticket, TicketEvent
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
    text = filters.text.strip()
    if text:
        refs = candidate_references(text, [clock.now().year])
        q = (
            Q(subject__icontains=text)
            | Q(description__icontains=text)
            | Q(operator_reference__iexact=text)
            | Q(line_reference__iexact=text)
            | Q(reference__iexact=text)
        )
        if refs:
            q |= Q(reference__in=refs)
        qs = qs.filter(q)
    return qs.order_by("-updated_at", "-id")


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
