"""The provider desk: queues, the full ticket page and the agents' actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from esoutien.accounts import access
from esoutien.accounts.models import PROVIDER_ROLES
from esoutien.catalogue.models import EService
from esoutien.core import clock
from esoutien.core.errors import DomainError, InvalidInput
from esoutien.core.paging import keyset_page
from esoutien.mail import outbound
from esoutien.mail.models import OutboundEmail
from esoutien.tickets import selectors, services, sla, sla_display, workflow
from esoutien.tickets.forms import (
    AssignForm,
    CommentForm,
    DeskFilterForm,
    ResolveForm,
    StaffTicketForm,
    apply_domain_errors,
)
from esoutien.tickets.models import Source, Ticket
from esoutien.tickets.states import Party, Status, available
from esoutien.tickets.views.common import (
    desk_required,
    querystring_without_page,
    ticket_or_404,
)


def _staff() -> Any:
    return get_user_model().objects.filter(role__in=list(PROVIDER_ROLES), is_active=True)


def _worked_eservices(user: Any) -> list[EService]:
    return list(EService.objects.filter(access.eservice_scope(user)).order_by("name"))


@desk_required
def queue(request: HttpRequest) -> HttpResponse:
    eservices = _worked_eservices(request.user)
    # The page cursor is no filter: the default view (open tickets) keeps it across pages.
    filtering = request.GET.copy()
    filtering.pop("cursor", None)
    form = DeskFilterForm(filtering or None, eservices=eservices)
    filters = selectors.TicketFilters(open_only=not filtering, sort="urgency")
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.TicketFilters(
            status=data["status"],
            eservice=data["eservice"],
            kind=data["kind"],
            text=data["q"],
            operator=data["operator"],
            mine=data["mine"],
            sla=data["sla"],
            sort=data["sort"] or "urgency",
        )
    # Keyset pages and a capped count: the same cost on page 1 and page 50 (core/paging.py).
    page = keyset_page(selectors.ticket_list(request.user, filters), request.GET)
    now = clock.now()
    for row in page.object_list:
        setattr(row, "sla_badge", sla_display.queue_badge(row, now))  # noqa: B010
    return render(
        request,
        "desk/queue.html",
        {
            "form": form,
            "page": page,
            "query": querystring_without_page(request),
            "summary": selectors.queue_summary(request.user),
            "statuses": Status.choices,
        },
    )


@desk_required
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = ticket_or_404(request, reference)
    actions = {t.name for t in available(ticket.status, Party.DESK)}
    events = selectors.timeline(ticket, include_internal=True)
    sla_state = sla.state_for(ticket, clock.now(), sla.changes_from_events(events))
    return render(
        request,
        "desk/ticket_detail.html",
        {
            "ticket": ticket,
            "sla_state": sla_state,
            "sla_clocks": sla_display.clock_views(sla_state) if sla_state else [],
            "events": events,
            "attachments": selectors.attachments(ticket, include_internal=True),
            "reports": list(ticket.reports.all()),
            "outbox": OutboundEmail.objects.filter(thread_key=ticket.reference).order_by(
                "-created_at"
            ),
            "actions": actions,
            "comment_form": CommentForm(),
            "resolve_form": ResolveForm(),
            "assign_form": AssignForm(staff=_staff(), initial={"assignee": ticket.assignee_id}),
        },
    )


def _reason(request: HttpRequest) -> str:
    return request.POST.get("body", "")


ACTIONS: dict[str, tuple[Callable[[HttpRequest, Ticket], Any], Promise]] = {
    "take": (
        lambda r, t: workflow.take_charge(t, r.user),
        gettext_lazy("You took charge of the ticket."),
    ),
    "request_info": (
        lambda r, t: workflow.request_info(t, r.user, _reason(r)),
        gettext_lazy("The question is sent to the operator; the ticket waits for the answer."),
    ),
    "hold": (
        lambda r, t: workflow.hold(t, r.user, _reason(r)),
        gettext_lazy("The ticket is on hold."),
    ),
    "resume": (
        lambda r, t: workflow.resume(t, r.user),
        gettext_lazy("The ticket is back in progress."),
    ),
    "reject": (
        lambda r, t: workflow.reject(t, r.user, _reason(r)),
        gettext_lazy("The ticket is rejected."),
    ),
    "cancel": (
        lambda r, t: workflow.cancel(t, r.user, _reason(r)),
        gettext_lazy("The ticket is cancelled."),
    ),
    "reopen": (
        lambda r, t: workflow.reopen(t, r.user, _reason(r)),
        gettext_lazy("The ticket is reopened."),
    ),
    "close": (lambda r, t: workflow.close(t, r.user), gettext_lazy("The ticket is closed.")),
}


@desk_required
@require_POST
def ticket_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    ticket = ticket_or_404(request, reference)
    try:
        if action in ACTIONS:
            run, done = ACTIONS[action]
            run(request, ticket)
            messages.success(request, str(done))
        elif action in ("reply", "note"):
            form = CommentForm(request.POST, request.FILES)
            if not form.is_valid():
                raise InvalidInput(
                    _("Check the message and its attachments."),
                    errors={k: [str(e) for e in v] for k, v in form.errors.items()},
                )
            services.comment_add(
                request.user,
                ticket,
                form.cleaned_data["body"],
                form.cleaned_data["attachments"],
                internal=action == "note",
            )
            messages.success(
                request,
                _("Internal note added.")
                if action == "note"
                else _("Your reply is sent to the operator."),
            )
        elif action == "assign":
            assign_form = AssignForm(request.POST, staff=_staff())
            if not assign_form.is_valid():
                raise InvalidInput(_("Choose an agent."))
            services.assign(request.user, ticket, assign_form.cleaned_data["assignee"])
            messages.success(request, _("Assignment saved."))
        elif action == "resolve":
            resolve_form = ResolveForm(request.POST)
            if not resolve_form.is_valid():
                for name, errors in resolve_form.errors.items():
                    for error in errors:
                        label = (
                            resolve_form.fields[name].label if name in resolve_form.fields else ""
                        )
                        messages.error(request, f"{label} : {error}" if label else str(error))
                return redirect("desk:ticket", reference=ticket.reference)
            data = resolve_form.cleaned_data
            workflow.resolve(
                ticket,
                request.user,
                cause=data["cause"],
                actions_taken=data["actions_taken"],
                summary=data["summary"],
                restored_at=data["restored_at"],
            )
            messages.success(
                request, _("The ticket is resolved; the report is sent to the operator.")
            )
        else:
            raise Http404()
    except InvalidInput as exc:
        shown = [m for ms in exc.errors.values() for m in ms] or [exc.message]
        for message in shown:
            messages.error(request, message)
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("desk:ticket", reference=ticket.reference)


@desk_required
@require_POST
def outbox_retry(request: HttpRequest, email_id: int) -> HttpResponse:
    email = OutboundEmail.objects.filter(pk=email_id).first()
    if email is None:
        raise Http404()
    # The e-mail belongs to a ticket thread; the desk user must see that ticket.
    ticket = ticket_or_404(request, email.thread_key)
    outbound.retry_now(email.pk)
    messages.success(request, _("The e-mail is queued again."))
    return redirect("desk:ticket", reference=ticket.reference)


@desk_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    """File a ticket on behalf of an operator (phone call, hotline mail...)."""
    eservices = EService.objects.filter(is_active=True)
    if request.method == "POST":
        form = StaffTicketForm(request.POST, request.FILES, eservices=eservices)
        if form.is_valid():
            data = form.cleaned_data
            draft = form.to_draft()
            draft.source = Source.DESK
            try:
                ticket = services.ticket_create(request.user, data["operator"], draft)
            except InvalidInput as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Ticket %(reference)s is filed for %(operator)s.")
                    % {"reference": ticket.reference, "operator": ticket.operator},
                )
                return redirect("desk:ticket", reference=ticket.reference)
    else:
        form = StaffTicketForm(eservices=eservices)
    return render(request, "desk/ticket_new.html", {"form": form})
