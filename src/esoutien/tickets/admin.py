from django.contrib import admin

from esoutien.mail.admin import ReadOnlyAdmin
from esoutien.tickets.models import Attachment, ResolutionReport, Ticket, TicketEvent


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "kind", "transition", "public", "body"]
    readonly_fields = ["created_at", "actor", "kind", "transition", "public", "body"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["reference", "operator", "eservice", "kind", "severity", "status", "updated_at"]
    list_filter = ["status", "eservice", "kind", "severity"]
    search_fields = ["reference", "subject", "operator__code", "line_reference"]
    date_hierarchy = "created_at"
    list_select_related = ["operator", "eservice"]
    inlines = [EventInline]


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "ticket", "kind", "transition", "actor", "public"]
    list_filter = ["kind", "public"]
    list_select_related = ["ticket", "actor"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "ticket", "filename", "size", "public"]
    list_select_related = ["ticket"]


@admin.register(ResolutionReport)
class ResolutionReportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "ticket", "author"]
    list_select_related = ["ticket", "author"]
