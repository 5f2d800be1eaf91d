from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from esoutien.accounts.models import Role, User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "phone", "language"]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (Role.OPERATOR_MEMBER.value, Role.OPERATOR_MEMBER.label),
            (Role.OPERATOR_MANAGER.value, Role.OPERATOR_MANAGER.label),
        ],
        initial=Role.OPERATOR_MEMBER,
    )


class ChoosePasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 12 characters mixing lower case, upper case, digits and special characters."
        ),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
