"""Forms of the portal and the desk. They parse input; rules live in services/workflow."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from esoutien.accounts.models import Operator
from esoutien.catalogue.models import EService
from esoutien.core.errors import InvalidInput
from esoutien.tickets.models import Kind, Severity, line_reference_validator
from esoutien.tickets.services import TicketDraft
from esoutien.tickets.states import Status


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def attachments_field() -> MultipleFileField:
    return MultipleFileField(
        label=_("Attachments"),
        help_text=_attachments_help(),
    )


def _attachments_help_text() -> str:
    return _("Up to %(count)d files, %(size)d MB each.") % {
        "count": settings.ESOUTIEN_ATTACHMENT_MAX_FILES,
        "size": settings.ESOUTIEN_ATTACHMENT_MAX_BYTES // (1024 * 1024),
    }


# Fields are built when the form classes are defined: translate when the page is rendered.
_attachments_help = lazy(_attachments_help_text, str)


def apply_domain_errors(form: forms.Form, error: InvalidInput) -> None:
    """Show a service's field errors on the form (non-field when the field is unknown)."""
    if not error.errors:
        form.add_error(None, error.message)
        return
    for name, messages in error.errors.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


class TicketForm(forms.Form):
    eservice = forms.ModelChoiceField(
        label=_("E-service"),
        queryset=EService.objects.none(),
        empty_label=_("— choose —"),
        error_messages={
            "invalid_choice": _(
                "Your operator does not subscribe to this e-service: no ticket can be filed for it."
            )
        },
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, widget=forms.RadioSelect)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Severity.MINOR
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 8}))
    operator_reference = forms.CharField(label=_("Your reference"), max_length=64, required=False)
    line_reference = forms.CharField(
        label=_("Line reference (PTO)"),
        max_length=12,
        required=False,
        help_text=_("Format OO-XXXX-XXXX, e.g. FI-1234-5678."),
    )
    site_address = forms.CharField(label=_("Site address"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("Contact name"), max_length=200, required=False)
    contact_email = forms.EmailField(
        label=_("Contact e-mail"),
        help_text=_("The acknowledgement and the provider's questions are sent here."),
    )
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=30, required=False)
    attachments = attachments_field()

    def __init__(self, *args: Any, eservices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["eservice"].queryset = eservices  # type: ignore[attr-defined]

    def to_draft(self) -> TicketDraft:
        data = self.cleaned_data
        return TicketDraft(
            eservice=data["eservice"],
            kind=data["kind"],
            severity=data["severity"],
            subject=data["subject"],
            description=data["description"],
            contact_email=data["contact_email"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            operator_reference=data["operator_reference"],
            line_reference=data["line_reference"],
            site_address=data["site_address"],
            files=data["attachments"],
        )

    def clean_line_reference(self) -> str:
        value: str = self.cleaned_data.get("line_reference", "").strip().upper()
        if value:
            line_reference_validator(value)
        return value


class StaffTicketForm(TicketForm):
    """The desk files on behalf of an operator."""

    operator = forms.ModelChoiceField(
        label=_("Operator"), queryset=Operator.objects.filter(is_active=True)
    )
    field_order = ["operator", "eservice"]


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    attachments = attachments_field()


class FollowUpForm(forms.Form):
    MODE_COMPLEMENT = "complement"
    MODE_INQUIRY = "inquiry"
    reference = forms.CharField(
        label=_("Ticket number"),
        max_length=30,
        help_text=_("For example ES-2026-000042, or just 42."),
    )
    mode = forms.ChoiceField(
        label=_("I want to"),
        choices=[
            (MODE_COMPLEMENT, _("add information to the ticket")),
            (MODE_INQUIRY, _("ask how the handling of the ticket is progressing")),
        ],
        widget=forms.RadioSelect,
        initial=MODE_COMPLEMENT,
    )
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    attachments = attachments_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("mode") == self.MODE_COMPLEMENT and not (
            (data.get("body") or "").strip() or data.get("attachments")
        ):
            self.add_error("body", _("Write the information to add, or attach a file."))
        return data


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("open", _("Open")), *Status.choices],
    )
    eservice = forms.ChoiceField(label=_("E-service"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *Kind.choices]
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args: Any, eservices: list[EService], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["eservice"].choices = [("", _("All"))] + [(e.code, e.name) for e in eservices]  # type: ignore[attr-defined]


class DeskFilterForm(FilterForm):
    operator = forms.CharField(label=_("Operator code"), required=False, max_length=4)
    mine = forms.BooleanField(label=_("My tickets"), required=False)
    # SLA (issue 6): values of tickets.selectors.SLA_FILTERS and ticket_ordering.
    sla = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        choices=[("", _("All")), ("at_risk", _("At risk")), ("breached", _("Breached"))],
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[("urgency", _("Most urgent first")), ("updated", _("Recently updated"))],
    )


class ResolveForm(forms.Form):
    cause = forms.CharField(label=_("Cause"), widget=forms.Textarea(attrs={"rows": 3}))
    actions_taken = forms.CharField(
        label=_("Actions taken"), widget=forms.Textarea(attrs={"rows": 3})
    )
    summary = forms.CharField(
        label=_("Resolution summary"), widget=forms.Textarea(attrs={"rows": 3})
    )
    restored_at = forms.DateTimeField(
        label=_("Service restored at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        help_text=_("Leave empty for now."),
    )


class AssignForm(forms.Form):
    assignee: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Assign to"),
        queryset=None,
        required=False,
        empty_label=_("— nobody —"),
    )

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff  # type: ignore[attr-defined]
