from django.contrib import admin

from esoutien.catalogue.models import EService, Subscription, Team


@admin.register(EService)
class EServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_active"]
    search_fields = ["name", "code"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["operator", "eservice", "start_date", "end_date"]
    list_filter = ["eservice"]
    autocomplete_fields = ["operator", "eservice"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    filter_horizontal = ["eservices", "members"]
