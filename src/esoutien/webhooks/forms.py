from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from esoutien.webhooks.models import EventType


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("URL of your receiver"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
        help_text=_("An https:// address of your systems. Redirects are not followed."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=EventType.values,
    )
