from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from esoutien.catalogue.models import (
    SLA_KINDS,
    SLA_SEVERITIES,
    CalendarException,
    EService,
    OpeningInterval,
    SlaPolicy,
    Subscription,
    SupportCalendar,
    Team,
)


@admin.register(EService)
class EServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_active", "support_calendar"]
    search_fields = ["name", "code"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["operator", "eservice", "start_date", "end_date"]
    list_filter = ["eservice"]
    autocomplete_fields = ["operator", "eservice"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    filter_horizontal = ["eservices", "members"]


# --- Support hours ----------------------------------------------------------------------------


class OpeningIntervalForm(forms.ModelForm):
    def clean(self) -> dict[str, Any] | None:
        # Runs before the model's own validation. Rows may change together (08-12 becoming
        # 08-14 while 13-18 becomes 14-18): the formset's whole-set check replaces the
        # per-row check against stored rows.
        self.instance.check_stored_siblings = False
        return super().clean()


class OpeningIntervalFormSet(forms.BaseInlineFormSet):
    """Checks the calendar as a whole: some opening time (or 24/7), no overlapping rows."""

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        kept = [
            form.instance
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            self.instance.validate_openings(kept)
        except ValidationError as error:
            raise ValidationError(error.messages) from error


class OpeningIntervalInline(admin.TabularInline):
    model = OpeningInterval
    form = OpeningIntervalForm
    formset = OpeningIntervalFormSet
    extra = 1


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 0


@admin.register(SupportCalendar)
class SupportCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "always_open", "closed_on_public_holidays"]
    search_fields = ["name"]
    inlines = [OpeningIntervalInline, CalendarExceptionInline]


def _choices(values: dict[str, Any], blank: Any) -> list[tuple[str, Any]]:
    return [("", blank), *values.items()]


class SlaPolicyForm(forms.ModelForm):
    severity = forms.ChoiceField(
        label=_("severity"), required=False, choices=_choices(SLA_SEVERITIES, _("Any severity"))
    )
    kind = forms.ChoiceField(
        label=_("kind"), required=False, choices=_choices(SLA_KINDS, _("Any kind"))
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "eservice",
            "severity",
            "kind",
            "calendar",
            "take_charge_target",
            "resolution_target",
            "pause_statuses",
        ]
        help_texts = {
            "take_charge_target": _(
                "Business time, counted in the calendar's hours; e.g. 4:00:00 for 4 hours. "
                "A business day is one full day of the calendar's hours (10 h for 8:00-18:00)."
            ),
            "resolution_target": _("Business time, e.g. 20:00:00 for two 10-hour days."),
            "pause_statuses": _('Status codes during which the clock stops; empty: ["pending"].'),
        }
        error_messages = {
            "calendar": {
                "required": _("Choose the support calendar in whose hours the targets are counted.")
            }
        }


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyForm
    list_display = [
        "eservice",
        "severity",
        "kind",
        "calendar",
        "take_charge_target",
        "resolution_target",
    ]
    list_filter = ["eservice", "calendar"]
