"""The supervisors' search form over the audit log."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from esoutien.audit.actions import ACTIONS, OUTCOMES
from esoutien.audit.models import AuditEvent


def _start_of(day: date) -> datetime:
    """Midnight of ``day`` in the current time zone (Europe/Paris), as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False)
    email = forms.CharField(label=_("Account e-mail"), required=False, max_length=254)
    operator = forms.CharField(label=_("Operator code"), required=False, max_length=4)
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actions = sorted(((code, str(label)) for code, label in ACTIONS.items()), key=_by_label)
        self.fields["action"].choices = [("", _("All")), *actions]  # type: ignore[attr-defined]
        self.fields["outcome"].choices = [  # type: ignore[attr-defined]
            ("", _("All")),
            *((code, label) for code, label in OUTCOMES.items()),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filter(self, queryset: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        """``queryset`` narrowed by the valid criteria (an invalid form filters nothing out)."""
        if not self.is_valid():
            return queryset.none() if self.is_bound and self.errors else queryset
        data = self.cleaned_data
        if data["action"]:
            queryset = queryset.filter(action=data["action"])
        if data["outcome"]:
            queryset = queryset.filter(outcome=data["outcome"])
        if data["email"]:
            queryset = queryset.filter(actor_email__icontains=data["email"].strip())
        if data["operator"]:
            queryset = queryset.filter(operator_code__iexact=data["operator"].strip())
        if data["date_from"]:
            queryset = queryset.filter(created_at__gte=_start_of(data["date_from"]))
        if data["date_to"]:
            # The end date is included: up to midnight of the following day.
            queryset = queryset.filter(created_at__lt=_start_of(data["date_to"] + timedelta(1)))
        return queryset

    def criteria(self) -> dict[str, str]:
        """The criteria in use, as text (recorded with an export)."""
        if not self.is_valid():
            return {}
        return {k: str(v) for k, v in self.cleaned_data.items() if v not in ("", None)}


def _by_label(choice: tuple[str, str]) -> str:
    return choice[1].lower()
