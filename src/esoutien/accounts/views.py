from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from esoutien.accounts import access
from esoutien.accounts.forms import ProfileForm


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
