"""The desk's "Courrier en quarantaine": received mail no ticket took, and what staff do with it.

Desk users only (desk_required); an agent sees the messages naming no ticket and those naming
a ticket of the agent's e-services (accounts.access.inbound_mail_scope); a message out of reach
is the same 404 as a missing one. Attaching needs the target ticket to be visible too.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models.functions import Length
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from esoutien.core.errors import DomainError, InvalidInput, NotFound
from esoutien.mail.models import InboundEmail, InboundStatus
from esoutien.tickets import quarantine, selectors
from esoutien.tickets.inbound import REASONS
from esoutien.tickets.views.common import (
    current_user,
    desk_required,
    paginate,
    querystring_without_page,
)

PREVIEW_CHARS = 280
# Messages larger than this are not parsed for the list's preview (the detail page shows them).
PREVIEW_MAX_BYTES = 512 * 1024


def _previews(rows: list[InboundEmail]) -> dict[int, str]:
    """A short text of each row, parsed again from the stored bytes (one query for all)."""
    ids = [row.pk for row in rows]
    raws = (
        InboundEmail.objects.filter(pk__in=ids)
        .annotate(size=Length("raw"))
        .filter(size__lte=PREVIEW_MAX_BYTES)
        .values_list("pk", "raw")
    )
    previews: dict[int, str] = {}
    for pk, raw in raws:
        row = InboundEmail(pk=pk, raw=raw)
        parsed = quarantine.parse_stored(row)
        if parsed is None:
            continue
        text = " ".join(quarantine.message_text(parsed).split())
        previews[pk] = text[:PREVIEW_CHARS] + ("…" if len(text) > PREVIEW_CHARS else "")
    return previews


@desk_required
def quarantine_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    reasons = sorted(
        set(quarantine.quarantined(user).values_list("reason", flat=True).distinct().order_by())
    )
    reason = request.GET.get("reason", "")
    if reason not in reasons:
        reason = ""
    page = paginate(request, quarantine.quarantined(user, reason=reason))
    rows = list(page.object_list)
    previews = _previews(rows)
    return render(
        request,
        "desk/quarantine.html",
        {
            "page": page,
            "rows": [
                {
                    "mail": row,
                    "preview": previews.get(row.pk, ""),
                    "reason_label": _reason_label(row.reason),
                }
                for row in rows
            ],
            "reasons": [(code, _reason_label(code)) for code in reasons],
            "reason": reason,
            "query": querystring_without_page(request),
        },
    )


def _reason_label(code: str) -> str:
    return str(REASONS.get(code, code or "—"))


def _stored_or_404(request: HttpRequest, inbound_id: int) -> InboundEmail:
    try:
        return quarantine.get_stored(request.user, inbound_id)
    except NotFound as exc:
        raise Http404(_("No such message.")) from exc


@desk_required
def quarantine_detail(request: HttpRequest, inbound_id: int) -> HttpResponse:
    mail = _stored_or_404(request, inbound_id)
    parsed = quarantine.parse_stored(mail)
    context: dict[str, Any] = {
        "mail": mail,
        "parsed": parsed,
        "reason_label": _reason_label(mail.reason),
        "in_quarantine": mail.status == InboundStatus.QUARANTINED,
        "new_text": quarantine.message_text(parsed) if parsed else "",
        "size": len(mail.raw or b""),
    }
    return render(request, "desk/quarantine_detail.html", context)


@desk_required
@require_POST
def quarantine_action(request: HttpRequest, inbound_id: int, action: str) -> HttpResponse:
    mail = _stored_or_404(request, inbound_id)
    user = current_user(request)
    back = redirect("desk:quarantine_detail", inbound_id=mail.pk)
    try:
        if action == "attach":
            typed = request.POST.get("reference", "").strip()
            try:
                ticket = selectors.find_ticket_by_typed_number(user, typed)
            except NotFound as exc:
                raise InvalidInput(_("No ticket with this reference.")) from exc
            quarantine.attach(mail, ticket, user, request=request)
            messages.success(
                request,
                _("The message is added to ticket %(reference)s.")
                % {"reference": ticket.reference},
            )
            return redirect("desk:ticket", reference=ticket.reference)
        if action == "release":
            result = quarantine.release(mail, user, request=request)
            if result.status == "routed":
                messages.success(
                    request,
                    _("The message is added to ticket %(reference)s.")
                    % {"reference": result.thread_key},
                )
            elif result.status == "quarantined":
                messages.warning(
                    request,
                    _("The message is still in quarantine: %(reason)s.")
                    % {"reason": _reason_label(result.reason)},
                )
            elif result.status == InboundStatus.FAILED:
                messages.error(
                    request,
                    _("Processing the message failed; it will be tried again automatically."),
                )
            else:
                messages.success(request, _("The message was processed again."))
            return back
        if action == "discard":
            quarantine.discard(mail, user, note=request.POST.get("note", ""), request=request)
            messages.success(request, _("The message is discarded; it stays stored."))
            return redirect("desk:quarantine")
    except InvalidInput as exc:
        shown = [m for ms in exc.errors.values() for m in ms] or [exc.message]
        for message in shown:
            messages.error(request, message)
        return back
    except DomainError as exc:
        messages.error(request, str(exc))
        return back
    raise Http404()
