from django.contrib import admin

from esoutien.mail.models import OutboundEmail


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "thread_key", "recipients_display", "status", "attempts"]
    list_filter = ["status", "kind"]
    search_fields = ["thread_key", "to", "subject", "message_id"]
    date_hierarchy = "created_at"
