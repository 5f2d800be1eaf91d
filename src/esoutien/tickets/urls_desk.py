from django.urls import path

from esoutien.tickets.views import desk, files, hotline, quarantine, reports

app_name = "desk"
urlpatterns = [
    path("", desk.queue, name="queue"),
    path("tickets/new/", desk.ticket_new, name="ticket_new"),
    path("tickets/<str:reference>/", desk.ticket_detail, name="ticket"),
    path("tickets/<str:reference>/do/<slug:action>/", desk.ticket_action, name="ticket_action"),
    path("outbox/<int:email_id>/retry/", desk.outbox_retry, name="outbox_retry"),
    path("quarantine/", quarantine.quarantine_list, name="quarantine"),
    path("quarantine/<int:inbound_id>/", quarantine.quarantine_detail, name="quarantine_detail"),
    path(
        "quarantine/<int:inbound_id>/do/<slug:action>/",
        quarantine.quarantine_action,
        name="quarantine_action",
    ),
    # The fallback hotline (status app, tickets/hotline.py)
    path("tickets/<str:reference>/requalify/", hotline.requalify, name="ticket_requalify"),
    path(
        "quarantine/<int:inbound_id>/hotline-ticket/",
        hotline.quarantine_hotline_ticket,
        name="quarantine_hotline_ticket",
    ),
    path(
        "tickets/<str:reference>/attachments/<int:attachment_id>/",
        files.desk_download,
        name="attachment",
    ),
    # SLA reports (issue 6): supervisors and administrators
    path("reports/sla/", reports.desk_report, name="sla_report"),
    path("reports/sla/export.csv", reports.desk_report_export, name="sla_report_export"),
]
