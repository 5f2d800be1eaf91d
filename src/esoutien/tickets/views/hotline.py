"""The desk's actions on hotline tickets and held hotline mail (tickets/hotline.py):
requalify a ticket's e-service, file a held hotline message for an operator."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from esoutien.accounts.models import Operator
from esoutien.catalogue.models import EService
from esoutien.core.errors import DomainError, InvalidInput, NotFound
from esoutien.tickets import hotline, quarantine
from esoutien.tickets.views.common import current_user, desk_required, ticket_or_404


def _show(request: HttpRequest, exc: DomainError) -> None:
    shown = [m for ms in getattr(exc, "errors", {}).values() for m in ms] or [str(exc)]
    for message in shown:
        messages.error(request, message)


@desk_required
@require_POST
def requalify(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = ticket_or_404(request, reference)
    code = request.POST.get("eservice", "").strip()
    eservice = EService.objects.filter(code=code).first() if code else None
    try:
        event = hotline.hotline_requalify(current_user(request), ticket, eservice)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        _show(request, exc)
    else:
        messages.success(request, _("The ticket is now on %(name)s.") % {"name": ticket.eservice})
        if not event.data.get("operator_subscribes"):
            messages.warning(request, _("The operator does not subscribe to this e-service."))
    return redirect("desk:ticket", reference=ticket.reference)


@desk_required
@require_POST
def quarantine_hotline_ticket(request: HttpRequest, inbound_id: int) -> HttpResponse:
    try:
        mail = quarantine.get_stored(request.user, inbound_id)
    except NotFound as exc:
        raise Http404(_("No such message.")) from exc
    code = request.POST.get("operator", "").strip().upper()
    operator = Operator.objects.filter(code=code).first() if code else None
    try:
        if operator is None:
            raise InvalidInput(_("Give the code of the operator the message comes from."))
        ticket = hotline.hotline_ticket_from_quarantine(
            current_user(request), mail, operator, request=request
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        _show(request, exc)
        return redirect("desk:quarantine_detail", inbound_id=mail.pk)
    messages.success(request, _("Ticket %(reference)s is filed.") % {"reference": ticket.reference})
    return redirect("desk:ticket", reference=ticket.reference)
