"""TMF621 requests → the same services, selectors and workflow as the portal and /api/v1."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _

from esoutien.accounts import access
from esoutien.accounts.models import Operator
from esoutien.api.tmf import mapping
from esoutien.api.tmf.schemas import CharacteristicIn, NoteIn, RelatedPartyIn, TroubleTicketCreate
from esoutien.catalogue.models import EService
from esoutien.core.errors import InvalidInput
from esoutien.tickets import selectors, services
from esoutien.tickets.models import EventKind, Source, Ticket


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(message, errors={field: [message]})


# --- Create -----------------------------------------------------------------------------------


@dataclass
class _Parties:
    operator_code: str | None = None
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""


def _parties(parties: list[RelatedPartyIn]) -> _Parties:
    found = _Parties()
    seen: set[str] = set()
    for index, party in enumerate(parties):
        role = party.role.strip().lower()
        where = f"relatedParty[{index}]"
        if role not in (mapping.ROLE_CUSTOMER, mapping.ROLE_CONTACT):
            raise _invalid(
                f"{where}.role",
                _("Related party roles are 'customer' (the operator) and 'contact'."),
            )
        if role in seen:
            raise _invalid(f"{where}.role", _("Give each related party role once."))
        seen.add(role)
        if role == mapping.ROLE_CUSTOMER:
            found.operator_code = (party.id or "").strip().upper() or None
            continue
        found.contact_name = (party.name or "").strip()
        for medium in party.contactMedium:
            if medium.characteristic.emailAddress:
                found.contact_email = medium.characteristic.emailAddress.strip()
            if medium.characteristic.phoneNumber:
                found.contact_phone = medium.characteristic.phoneNumber.strip()
    return found


def _characteristics(payload: TroubleTicketCreate) -> dict[str, str]:
    if payload.troubleTicketCharacteristic and payload.characteristic:
        raise _invalid(
            "characteristic",
            _("Give either troubleTicketCharacteristic or characteristic, not both."),
        )
    field = "characteristic" if payload.characteristic else "troubleTicketCharacteristic"
    items: list[CharacteristicIn] = payload.characteristic or payload.troubleTicketCharacteristic
    values: dict[str, str] = {}
    for index, item in enumerate(items):
        if item.name not in mapping.CHARACTERISTICS:
            raise _invalid(
                f"{field}[{index}].name",
                _("Unknown characteristic '%(name)s'; known: %(known)s.")
                % {"name": item.name, "known": ", ".join(mapping.CHARACTERISTICS)},
            )
        if item.name in values:
            raise _invalid(f"{field}[{index}].name", _("Give each characteristic once."))
        values[item.name] = item.value.strip()
    if not values.get(mapping.CHARACTERISTIC_ESERVICE):
        raise _invalid(
            field,
            _("Say which e-service the ticket is about: a characteristic named 'eservice'."),
        )
    return values


def _operator_for(user: Any, code: str | None) -> Operator:
    # Operator users always file for their own operator, whatever the customer party says
    # (as ``operator`` in /api/v1); provider staff name the operator they file for.
    if access.is_operator_user(user):
        operator: Operator = user.operator
        return operator
    found = Operator.objects.filter(code=code).first() if code else None
    if found is None:
        raise _invalid(
            "relatedParty",
            _("Give the operator you file for: a related party with role 'customer' and its code."),
        )
    return found


# Our field → the TMF attribute it comes from (for error messages).
_TMF_FIELD = {
    "subject": "name",
    "kind": "ticketType",
    "operator_reference": "externalId",
    "eservice": f"troubleTicketCharacteristic.{mapping.CHARACTERISTIC_ESERVICE}",
    "line_reference": f"troubleTicketCharacteristic.{mapping.CHARACTERISTIC_LINE}",
    "site_address": f"troubleTicketCharacteristic.{mapping.CHARACTERISTIC_SITE}",
    "contact_name": "relatedParty.contact.name",
    "contact_email": "relatedParty.contact.contactMedium.emailAddress",
    "contact_phone": "relatedParty.contact.contactMedium.phoneNumber",
}


def create_ticket(user: Any, payload: TroubleTicketCreate) -> Ticket:
    """File a ticket from a TroubleTicket_Create body; its notes are added in the same
    transaction (all or nothing)."""
    severity = mapping.severity_in(payload.severity)
    if severity is None:
        raise _invalid("severity", _("Unknown severity; use Critical, Major or Minor."))
    kind = mapping.ticket_type_in(payload.ticketType)
    if kind is None:
        raise _invalid("ticketType", _("Unknown ticket type; use incident or request."))
    characteristics = _characteristics(payload)
    parties = _parties(payload.relatedParty)
    operator = _operator_for(user, parties.operator_code)
    draft = services.TicketDraft(
        eservice=EService.objects.filter(
            code=characteristics[mapping.CHARACTERISTIC_ESERVICE]
        ).first(),
        kind=kind,
        severity=severity,
        subject=payload.name,
        description=payload.description,
        contact_email=parties.contact_email or getattr(user, "email", ""),
        contact_name=parties.contact_name,
        contact_phone=parties.contact_phone,
        operator_reference=payload.externalId,
        line_reference=characteristics.get(mapping.CHARACTERISTIC_LINE, ""),
        site_address=characteristics.get(mapping.CHARACTERISTIC_SITE, ""),
        source=Source.API,
    )
    try:
        with transaction.atomic():
            ticket = services.ticket_create(user, operator, draft)
            for note in payload.note:
                services.comment_add(user, ticket, note.text)
    except InvalidInput as exc:
        # Name the TMF attributes in the errors (NotSubscribed stays NotSubscribed).
        errors = {_TMF_FIELD.get(name, name): messages for name, messages in exc.errors.items()}
        raise type(exc)(str(exc), errors=errors) from exc
    return ticket


# --- Patch ------------------------------------------------------------------------------------


def add_notes(user: Any, ticket: Ticket, notes: list[NoteIn]) -> int:
    """Add the notes that are not on the ticket yet (merge patch: the client may send the whole
    list back with new ones); nothing is ever removed. All or nothing. Returns how many."""
    existing = {
        str(pk)
        for pk in ticket.events.filter(
            public=True, kind__in=(EventKind.COMMENT, EventKind.INQUIRY)
        ).values_list("pk", flat=True)
    }
    new = [note for note in notes if not (note.id and note.id in existing)]
    with transaction.atomic():
        for note in new:
            services.comment_add(user, ticket, note.text)
    return len(new)


# --- List -------------------------------------------------------------------------------------


@dataclass
class ListFilters:
    status: str | None = None
    severity: str | None = None
    ticketType: str | None = None
    externalId: str | None = None
    date_bounds: dict[str, datetime] | None = None  # ORM lookup → value


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def ticket_queryset(user: Any, filters: ListFilters) -> QuerySet[Ticket]:
    qs = selectors.visible_tickets(user).select_related("operator", "eservice")
    if filters.status:
        statuses = []
        for name in _split(filters.status):
            if name not in mapping.TMF_TO_STATUS:
                raise _invalid(
                    "status",
                    _("Unknown status '%(name)s'; known: %(known)s.")
                    % {"name": name, "known": ", ".join(mapping.TMF_TO_STATUS)},
                )
            statuses.append(mapping.TMF_TO_STATUS[name])
        qs = qs.filter(status__in=statuses)
    if filters.severity:
        severities = [mapping.severity_in(v) for v in _split(filters.severity)]
        if None in severities:
            raise _invalid("severity", _("Unknown severity; use Critical, Major or Minor."))
        qs = qs.filter(severity__in=severities)
    if filters.ticketType:
        kinds = [mapping.ticket_type_in(v) for v in _split(filters.ticketType)]
        if None in kinds:
            raise _invalid("ticketType", _("Unknown ticket type; use incident or request."))
        qs = qs.filter(kind__in=kinds)
    if filters.externalId:
        qs = qs.filter(operator_reference=filters.externalId)
    if filters.date_bounds:
        qs = qs.filter(**filters.date_bounds)
    return qs.order_by("-id")


def get_ticket(user: Any, reference: str, selected: list[str] | None) -> Ticket:
    ticket = selectors.get_ticket(user, reference)
    prefetch_related_objects([ticket], *mapping.prefetches(selected))
    return ticket
