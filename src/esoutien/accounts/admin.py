from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from esoutien.accounts.models import Operator, User


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "siren", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code", "siren"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "operator", "is_active", "last_login"]
    list_filter = ["role", "operator", "is_active"]
    search_fields = ["email", "full_name"]
    autocomplete_fields = ["operator"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identity"), {"fields": ("full_name", "phone", "language")}),
        (_("Access"), {"fields": ("role", "operator", "is_active", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "role", "operator", "password1", "password2"),
            },
        ),
    )
    filter_horizontal = ()
    readonly_fields = ["last_login", "date_joined"]
