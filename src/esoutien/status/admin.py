from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from esoutien.status.browsers import forget_rules
from esoutien.status.models import HealthCheckRecord, ServiceIncident, SupportedBrowser


@admin.register(ServiceIncident)
class ServiceIncidentAdmin(admin.ModelAdmin):
    list_display = ["started_at", "ended_at", "state", "source", "message_fr"]
    list_filter = ["state", "source"]
    date_hierarchy = "started_at"
    filter_horizontal = ["eservices"]
    readonly_fields = ["declared_by", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and obj.declared_by_id is None:
            obj.declared_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(SupportedBrowser)
class SupportedBrowserAdmin(admin.ModelAdmin):
    list_display = ["name", "min_version", "ua_families", "position"]
    list_editable = ["min_version", "position"]

    # The banner reads the table through a short cache: forget it after a change.
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        forget_rules()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        forget_rules()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        forget_rules()


@admin.register(HealthCheckRecord)
class HealthCheckRecordAdmin(admin.ModelAdmin):
    list_display = ["checked_at", "ok"]
    list_filter = ["ok"]
    date_hierarchy = "checked_at"
    readonly_fields = ["checked_at", "ok", "details"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
