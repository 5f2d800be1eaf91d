"""The operator portal: thin views over selectors, services and the workflow."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from esoutien.catalogue.models import EService
from esoutien.catalogue.selectors import subscribed_eservices, support_hours
from esoutien.core import clock
from esoutien.core.errors import DomainError, InvalidInput, NotFound
from esoutien.core.paging import keyset_page
from esoutien.tickets import selectors, services, workflow
from esoutien.tickets.forms import (
    CommentForm,
    FilterForm,
    FollowUpForm,
    TicketForm,
    apply_domain_errors,
)
from esoutien.tickets.models import Ticket
from esoutien.tickets.states import Party, Status, available
from esoutien.tickets.views.common import (
    current_operator,
    current_user,
    operator_required,
    querystring_without_page,
    ticket_or_404,
)


@operator_required
def dashboard(request: HttpRequest) -> HttpResponse:
    eservices = subscribed_eservices(current_operator(request).pk, clock.now().date())
    form = FilterForm(request.GET or None, eservices=eservices)
    filters = selectors.TicketFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.TicketFilters(
            status=data["status"], eservice=data["eservice"], kind=data["kind"], text=data["q"]
        )
    # Keyset pages and a capped count: the same cost on page 1 and page 50 (core/paging.py).
    page = keyset_page(selectors.ticket_list(request.user, filters), request.GET)
    return render(
        request,
        "portal/dashboard.html",
        {"form": form, "page": page, "query": querystring_without_page(request)},
    )


@operator_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    operator = current_operator(request)
    ids = [e.pk for e in subscribed_eservices(operator.pk, clock.now().date())]
    eservices = EService.objects.filter(pk__in=ids)
    initial = {
        "contact_email": user.email,
        "contact_name": user.get_full_name(),
        "contact_phone": getattr(user, "phone", ""),
    }
    if not ids:
        messages.warning(
            request, _("Your operator subscribes to no e-service yet: no ticket can be filed.")
        )
    if request.method == "POST":
        form = TicketForm(request.POST, request.FILES, eservices=eservices)
        if form.is_valid():
            draft = form.to_draft()
            try:
                ticket = services.ticket_create(user, operator, draft)
            except InvalidInput as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Your ticket %(reference)s is filed. An acknowledgement is on its way to "
                        "%(email)s."
                    )
                    % {"reference": ticket.reference, "email": ticket.contact_email},
                )
                return redirect("portal:ticket", reference=ticket.reference)
    else:
        form = TicketForm(initial=initial, eservices=eservices)
    # Support hours of each e-service, listed under the choice (issue 6).
    hours = support_hours(ids)
    if hours:
        form.fields["eservice"].widget.attrs["aria-describedby"] = "eservice-hours"
    return render(request, "portal/ticket_new.html", {"form": form, "support_hours": hours})


@operator_required
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = ticket_or_404(request, reference)
    deadline = workflow.contest_deadline(ticket)
    can_contest = bool(ticket.status == Status.RESOLVED and deadline and clock.now() <= deadline)
    actions = {t.name for t in available(ticket.status, Party.OPERATOR)}
    return render(
        request,
        "portal/ticket_detail.html",
        {
            "ticket": ticket,
            "operator_view": True,  # SLA wording: "waiting for your answer"
            "events": selectors.timeline(ticket, include_internal=False),
            "attachments": selectors.attachments(ticket, include_internal=False),
            "report": ticket.reports.first(),
            "comment_form": CommentForm(),
            "can_cancel": "cancel" in actions,
            "can_accept": "accept" in actions,
            "can_contest": can_contest,
            "contest_deadline": deadline,
        },
    )


@operator_required
@require_POST
def ticket_comment(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = ticket_or_404(request, reference)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.comment_add(
                request.user, ticket, form.cleaned_data["body"], form.cleaned_data["attachments"]
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your message is added to the ticket."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("portal:ticket", reference=ticket.reference)


def _act(
    request: HttpRequest, reference: str, action: Callable[[Ticket], object], done: str
) -> HttpResponse:
    """Run one workflow action on a visible ticket and come back to its page."""
    ticket = ticket_or_404(request, reference)
    try:
        action(ticket)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("portal:ticket", reference=ticket.reference)


@operator_required
@require_POST
def ticket_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    reason = request.POST.get("body", "")
    return _act(
        request,
        reference,
        lambda t: workflow.cancel(t, request.user, reason),
        _("The ticket is cancelled."),
    )


@operator_required
@require_POST
def ticket_accept(request: HttpRequest, reference: str) -> HttpResponse:
    return _act(
        request,
        reference,
        lambda t: workflow.accept_resolution(t, request.user),
        _("Thank you: the ticket is closed."),
    )


@operator_required
@require_POST
def ticket_contest(request: HttpRequest, reference: str) -> HttpResponse:
    reason = request.POST.get("body", "")
    return _act(
        request,
        reference,
        lambda t: workflow.contest_resolution(t, request.user, reason),
        _("The resolution is contested: the ticket is back in progress."),
    )


@operator_required
def followup(request: HttpRequest) -> HttpResponse:
    """ "Retour sur ticket ouvert": a complement or a status inquiry, by ticket number."""
    form = FollowUpForm(
        request.POST or None,
        request.FILES or None,
        initial={"reference": request.GET.get("reference", "")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = selectors.find_ticket_by_typed_number(request.user, data["reference"])
        except NotFound:
            form.add_error(
                "reference",
                _(
                    "No open ticket with this number for your operator. "
                    "Check the number in your acknowledgement e-mail."
                ),
            )
        else:
            if not ticket.is_open:
                form.add_error(
                    "reference",
                    _(
                        "Ticket %(reference)s is %(status)s: it can no longer be modified. "
                        "If the problem persists, file a new ticket."
                    )
                    % {"reference": ticket.reference, "status": Status(ticket.status).label.lower()}
                    if ticket.status != Status.RESOLVED
                    else _(
                        "Ticket %(reference)s is resolved. Open it to accept or contest the "
                        "resolution."
                    )
                    % {"reference": ticket.reference},
                )
            else:
                try:
                    if data["mode"] == FollowUpForm.MODE_INQUIRY:
                        services.status_inquiry(request.user, ticket, data["body"])
                        messages.success(
                            request,
                            _(
                                "Your request for news is sent to the "
                                "provider. The ticket is %(status)s."
                            )
                            % {"status": Status(ticket.status).label.lower()},
                        )
                    else:
                        services.comment_add(
                            request.user, ticket, data["body"], data["attachments"]
                        )
                        messages.success(
                            request,
                            _("Your information is added to %(reference)s.")
                            % {"reference": ticket.reference},
                        )
                except InvalidInput as exc:
                    apply_domain_errors(form, exc)
                else:
                    return redirect("portal:ticket", reference=ticket.reference)
    return render(request, "portal/followup.html", {"form": form})
