"""SLA reports: the supervisors' page on the desk (every operator) and the operators' "Mes
indicateurs" (their own operator only), each with its CSV export of the same table.

Thin views: the filter form, one selector (``sla_reports.sla_report``), a template. Who sees
which operator's figures is decided by ``access.sla_report_scope`` inside the selector; the
operators' page has no operator filter at all, so a forged ``operator`` parameter is ignored.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from esoutien.accounts import access
from esoutien.accounts.models import Operator
from esoutien.catalogue.models import EService, Subscription
from esoutien.tickets import sla_chart, sla_export, sla_reports
from esoutien.tickets.views.common import _guard, current_operator, operator_required

supervisor_required = _guard(access.sees_all_eservices)

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
SPAN_MONTH, SPAN_YEAR = "month", "year"


class ReportFilterForm(forms.Form):
    month = forms.CharField(
        label=gettext_lazy("Month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
        help_text=gettext_lazy("Year and month, e.g. 2025-03."),
    )
    span = forms.ChoiceField(
        label=gettext_lazy("Period"),
        required=False,
        choices=[
            (SPAN_MONTH, gettext_lazy("This month")),
            (SPAN_YEAR, gettext_lazy("The 12 months to this month")),
        ],
    )
    operator: forms.ModelChoiceField[Operator] = forms.ModelChoiceField(
        label=gettext_lazy("Operator"),
        queryset=Operator.objects.order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("All operators"),
    )
    eservice: forms.ModelChoiceField[EService] = forms.ModelChoiceField(
        label=gettext_lazy("E-service"),
        queryset=EService.objects.order_by("name"),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("All e-services"),
    )

    def __init__(self, *args: Any, eservices: Any, all_operators: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["eservice"].queryset = eservices  # type: ignore[attr-defined]
        if not all_operators:
            del self.fields["operator"]

    def clean_month(self) -> date:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return sla_reports.current_month()
        match = MONTH_RE.match(value)
        if not match or not (2000 <= int(match[1]) <= 2999 and 1 <= int(match[2]) <= 12):
            raise forms.ValidationError(_("Enter a month as YYYY-MM, e.g. 2025-03."))
        return date(int(match[1]), int(match[2]), 1)

    def period(self) -> sla_reports.Period:
        months = 12 if self.cleaned_data.get("span") == SPAN_YEAR else 1
        return sla_reports.Period(self.cleaned_data["month"], months)


def _report(request: HttpRequest, form: ReportFilterForm) -> sla_reports.SlaReport | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    operator, eservice = data.get("operator"), data.get("eservice")
    return sla_reports.sla_report(
        request.user,
        form.period(),
        operator_id=operator.pk if operator else None,
        eservice_id=eservice.pk if eservice else None,
    )


def _page(
    request: HttpRequest,
    form: ReportFilterForm,
    *,
    title: str,
    page_url: str,
    export_url: str,
    show_operator: bool,
) -> HttpResponse:
    report = _report(request, form)
    # Only the form's own parameters go on to the export (a forged one is not echoed).
    query = urlencode({k: v for k, v in request.GET.items() if k in form.fields and v})
    return render(
        request,
        "reports/sla_report.html",
        {
            "title": title,
            "form": form,
            "report": report,
            "chart": sla_chart.trend_svg(report.trend) if report else "",
            "page_url": page_url,
            "export_url": f"{export_url}?{query}" if query else export_url,
            "show_operator": show_operator,
        },
    )


def _csv(request: HttpRequest, form: ReportFilterForm, prefix: str) -> HttpResponse:
    report = _report(request, form)
    if report is None:
        return HttpResponse(
            " ".join(str(e) for errors in form.errors.values() for e in errors),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(sla_export.report_csv(report), content_type="text/csv; charset=utf-8")
    stamp = report.period.iso.replace("/", "_")
    response["Content-Disposition"] = f'attachment; filename="{prefix}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


# --- The desk: supervisors and administrators, every operator -----------------------------------


def _desk_form(request: HttpRequest) -> ReportFilterForm:
    return ReportFilterForm(
        request.GET, eservices=EService.objects.order_by("name"), all_operators=True
    )


@require_GET
@supervisor_required
def desk_report(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        _desk_form(request),
        title=_("SLA reports"),
        page_url=reverse("desk:sla_report"),
        export_url=reverse("desk:sla_report_export"),
        show_operator=True,
    )


@require_GET
@supervisor_required
def desk_report_export(request: HttpRequest) -> HttpResponse:
    return _csv(request, _desk_form(request), "sla")


# --- The portal: an operator's own figures ("Mes indicateurs") ----------------------------------


def _operator_form(request: HttpRequest) -> ReportFilterForm:
    # The e-services the operator subscribes or subscribed to: past months stay reachable.
    subscribed = Subscription.objects.filter(operator=current_operator(request))
    eservices = EService.objects.filter(pk__in=subscribed.values("eservice_id")).order_by("name")
    return ReportFilterForm(request.GET, eservices=eservices, all_operators=False)


@require_GET
@operator_required
def operator_report(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        _operator_form(request),
        title=_("My indicators"),
        page_url=reverse("portal:indicators"),
        export_url=reverse("portal:indicators_export"),
        show_operator=False,
    )


@require_GET
@operator_required
def operator_report_export(request: HttpRequest) -> HttpResponse:
    return _csv(request, _operator_form(request), "indicateurs")
