"""The supervisors' form declaring the state of e-soutien."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from esoutien.status.models import ServiceState


class ServiceStateForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State of e-soutien"), choices=ServiceState.choices, widget=forms.RadioSelect
    )
    message_fr = forms.CharField(
        label=_("Message for the operators (French)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required unless the state is operational; shown on the status page."),
    )
    message_en = forms.CharField(
        label=_("Message (English, optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
