"""The desk's maintenance window form (dates typed in Paris time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from esoutien.catalogue.models import EService
from esoutien.operations import formatting
from esoutien.operations.maintenance import WindowData


class ParisDateTimeField(forms.DateTimeField):
    """A date and time read and shown in Europe/Paris, whatever zone is active."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        try:
            return formatting.parse_paris(str(value))
        except ValueError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return formatting.paris(value).strftime("%Y-%m-%dT%H:%M")
        return value


class WindowForm(forms.Form):
    title_fr = forms.CharField(label=_("Title (French)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    starts_at = ParisDateTimeField(
        label=_("Start"), help_text=_("Paris time, e.g. 2026-12-05 22:00.")
    )
    ends_at = ParisDateTimeField(label=_("End"), help_text=_("Paris time."))
    affects_portal = forms.BooleanField(
        label=_("e-soutien itself is unavailable (portal, desk and API)"), required=False
    )
    eservices = forms.ModelMultipleChoiceField(
        label=_("Affected e-services"),
        queryset=EService.objects.none(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    description_fr = forms.CharField(
        label=_("Description (French)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )
    description_en = forms.CharField(
        label=_("Description (English)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["eservices"].queryset = EService.objects.filter(  # type: ignore[attr-defined]
            is_active=True, is_placeholder=False
        ).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must come after the start."))
        if not data.get("affects_portal") and not data.get("eservices"):
            self.add_error(
                "eservices", _("Say what is affected: e-soutien itself or some e-services.")
            )
        return data

    def window_data(self) -> WindowData:
        data = self.cleaned_data
        return WindowData(
            title_fr=data["title_fr"],
            title_en=data["title_en"],
            description_fr=data["description_fr"],
            description_en=data["description_en"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            affects_portal=data["affects_portal"],
            eservices=[e.code for e in data["eservices"]],
        )

    @classmethod
    def initial_for(cls, window: Any) -> dict[str, Any]:
        return {
            "title_fr": window.title_fr,
            "title_en": window.title_en,
            "description_fr": window.description_fr,
            "description_en": window.description_en,
            "starts_at": window.starts_at,
            "ends_at": window.ends_at,
            "affects_portal": window.affects_portal,
            "eservices": [e.code for e in window.eservices.all()],
        }
