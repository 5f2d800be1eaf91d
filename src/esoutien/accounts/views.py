from __future__ import annotations

from typing import cast

from allauth.socialaccount.models import SocialAccount
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from esoutien.accounts import access, invitations
from esoutien.accounts.forms import ChoosePasswordForm, InviteForm, ProfileForm
from esoutien.accounts.models import User
from esoutien.audit.recorder import record
from esoutien.core.errors import Forbidden, InvalidInput, NotFound


def home(request: HttpRequest) -> HttpResponse:
    if access.is_desk_user(request.user):
        return redirect("desk:queue")
    if access.is_operator_user(request.user):
        return redirect("portal:dashboard")
    if request.user.is_authenticated:
        return render(request, "accounts/no_access.html", status=403)
    return redirect("account_login")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        messages.success(request, _("Your preferences are saved."))
        response = redirect("profile")
        translation.activate(user.language)
        from django.conf import settings

        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response
    return render(request, "accounts/profile.html", {"form": form})


def _manager_only(request: HttpRequest) -> HttpResponse | None:
    user = request.user
    if not access.may_manage_operator_users(user, getattr(user, "operator_id", None)):
        return render(request, "accounts/no_access.html", status=403)
    return None


@login_required
def operator_users(request: HttpRequest) -> HttpResponse:
    """An operator manager's page: the operator's accounts, invitations, deactivation."""
    refused = _manager_only(request)
    if refused:
        return refused
    manager = cast(User, request.user)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitee = invitations.invite(manager, request=request, **form.cleaned_data)
        except InvalidInput as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(
                request, _("An invitation is on its way to %(email)s.") % {"email": invitee.email}
            )
            return redirect("operator_users")
    users = (
        User.objects.filter(operator=manager.operator)
        .annotate(federated=Exists(SocialAccount.objects.filter(user=OuterRef("pk"))))
        .order_by("full_name", "email")
    )
    return render(request, "accounts/operator_users.html", {"form": form, "users": users})


@login_required
@require_POST
def operator_user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    refused = _manager_only(request)
    if refused:
        return refused
    manager = cast(User, request.user)
    target = User.objects.filter(pk=user_id, operator=manager.operator).first()
    if target is None:
        raise Http404()
    try:
        invitations.set_active(manager, target, request.POST.get("active") == "1", request)
    except Forbidden as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("The account of %(email)s is updated.") % {"email": target.email}
        )
    return redirect("operator_users")


def invitation_accept(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The invitee chooses a password (one-time link)."""
    try:
        invitee = invitations.invited_user(uidb64, token)
    except NotFound:
        record("invitation_invalid", request=request, outcome="refused", data={"uid": uidb64})
        return render(request, "accounts/invitation_invalid.html", status=410)
    form = ChoosePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.accept(
                invitee, form.cleaned_data["password1"], form.cleaned_data["password2"], request
            )
        except InvalidInput as exc:
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Your password is set: you can now log in."))
            return redirect("account_login")
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitee": invitee})
