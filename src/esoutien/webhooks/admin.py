from django.contrib import admin

from esoutien.webhooks.models import WebhookDelivery, WebhookEndpoint


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "operator", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "operator__code", "operator__name"]
    # The signing secret is shown once to the operator's manager, never here.
    exclude = ["secret"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["delivery_id", "endpoint__url"]
    date_hierarchy = "created_at"
