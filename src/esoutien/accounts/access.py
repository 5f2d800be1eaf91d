"""Who may see and do what. The only place tenant isolation is decided.

Functions take querysets or plain objects by their field names, so this module knows no
ticket model (tickets sit above accounts in the layers).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from esoutien.accounts.models import OPERATOR_ROLES, PROVIDER_ROLES, Role
from esoutien.core.errors import NotFound

M = TypeVar("M", bound=Model)


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_operator_user(user: Any) -> bool:
    return _active(user) and user.role in OPERATOR_ROLES and user.operator_id is not None


def is_desk_user(user: Any) -> bool:
    return _active(user) and user.role in PROVIDER_ROLES


def sees_all_eservices(user: Any) -> bool:
    return _active(user) and user.role in (Role.SUPERVISOR, Role.ADMINISTRATOR)


def ticket_scope(user: Any) -> Q:
    """The filter selecting the tickets ``user`` may know exist."""
    if is_operator_user(user):
        return Q(operator_id=user.operator_id)
    if sees_all_eservices(user):
        return Q()
    if is_desk_user(user):
        return Q(eservice_id__in=user.teams.values("eservices"))
    return Q(pk__in=[])


def visible_tickets(user: Any, queryset: QuerySet[M]) -> QuerySet[M]:
    return queryset.filter(ticket_scope(user))


def get_visible_ticket(user: Any, queryset: QuerySet[M], **lookup: Any) -> M:
    """One ticket the user may see; a foreign ticket is indistinguishable from a missing one."""
    try:
        return visible_tickets(user, queryset).get(**lookup)
    except ObjectDoesNotExist as exc:
        raise NotFound(_("No ticket with this reference.")) from exc


def can_see_internal(user: Any) -> bool:
    return is_desk_user(user)


def may_file_for_operator(user: Any, operator_id: int) -> bool:
    """Operator users file for their own operator; desk users file on behalf of any."""
    if is_operator_user(user):
        return bool(user.operator_id == operator_id)
    return is_desk_user(user)


def eservice_scope(user: Any) -> Q:
    """The e-services a desk user works (as a filter on EService)."""
    if sees_all_eservices(user):
        return Q()
    if is_desk_user(user):
        return Q(pk__in=user.teams.values("eservices"))
    return Q(pk__in=[])


def may_see_ticket(user: Any, ticket: Any) -> bool:
    """The single-object form of ticket_scope (for objects already loaded)."""
    if is_operator_user(user):
        return bool(ticket.operator_id == user.operator_id)
    if sees_all_eservices(user):
        return True
    if is_desk_user(user):
        return bool(user.teams.filter(eservices=ticket.eservice_id).exists())
    return False


def may_manage_operator_users(user: Any, operator_id: int | None) -> bool:
    """Operator managers manage their own operator's accounts; administrators any."""
    if not _active(user) or operator_id is None:
        return False
    if user.role == Role.ADMINISTRATOR:
        return True
    return bool(user.role == Role.OPERATOR_MANAGER and user.operator_id == operator_id)


def managed_operator_scope(user: Any) -> Q | None:
    """The operator-owned objects ``user`` manages, as a filter on ``operator_id`` (webhook
    endpoints...): an operator manager's own operator's, an administrator's all. None for
    anyone else, who manages nothing and is refused (403)."""
    if not _active(user):
        return None
    if user.role == Role.ADMINISTRATOR:
        return Q()
    if user.role == Role.OPERATOR_MANAGER and user.operator_id is not None:
        return Q(operator_id=user.operator_id)
    return None


def inbound_mail_scope(user: Any, tickets: QuerySet[M]) -> Q:
    """The stored inbound e-mails ``user`` may see in the quarantine (filter on InboundEmail).

    Supervisors and administrators see all. An agent sees the messages naming no ticket (every
    agent triages those) and the ones naming a ticket the agent may see; operator users none.
    """
    if sees_all_eservices(user):
        return Q()
    if not is_desk_user(user):
        return Q(pk__in=[])
    visible = visible_tickets(user, tickets).values("reference")
    return Q(thread_key="") | Q(thread_key__in=visible)


# --- SLA reports (issue 6) --------------------------------------------------------------------


def sla_report_scope(user: Any) -> Q | None:
    """The tickets whose SLA figures ``user`` may see, as a filter on ``operator_id``; None:
    no SLA report at all (refused). Operator users see their own operator's ("Mes
    indicateurs"), supervisors and administrators every operator's; agents work the queues
    and get no report."""
    if is_operator_user(user):
        return Q(operator_id=user.operator_id)
    if sees_all_eservices(user):
        return Q()
    return None


# --- Maintenance windows (operations app) --------------------------------------------------


def may_manage_maintenance(user: Any) -> bool:
    """Publish, reschedule, update and cancel maintenance windows: supervisors and
    administrators (desk, API). Everyone signed in may read them."""
    return sees_all_eservices(user)


def may_bypass_maintenance(user: Any) -> bool:
    """While e-soutien itself is under maintenance, provider staff keep working (recorded)."""
    return is_desk_user(user)


def may_manage_calendar_feed(user: Any) -> bool:
    """The operator's secret maintenance calendar address: its managers."""
    return bool(
        _active(user) and user.role == Role.OPERATOR_MANAGER and user.operator_id is not None
    )


# --- Service state (status app) ----------------------------------------------------------


def may_declare_service_state(user: Any) -> bool:
    """Supervisors and administrators declare the state of e-soutien (desk, API)."""
    return sees_all_eservices(user)
