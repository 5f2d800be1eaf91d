from django.urls import path

from esoutien.tickets.views import files, portal, reports

app_name = "portal"
urlpatterns = [
    path("", portal.dashboard, name="dashboard"),
    path("tickets/new/", portal.ticket_new, name="ticket_new"),
    path("follow-up/", portal.followup, name="followup"),
    path("tickets/<str:reference>/", portal.ticket_detail, name="ticket"),
    path("tickets/<str:reference>/comment/", portal.ticket_comment, name="ticket_comment"),
    path("tickets/<str:reference>/cancel/", portal.ticket_cancel, name="ticket_cancel"),
    path("tickets/<str:reference>/accept/", portal.ticket_accept, name="ticket_accept"),
    path("tickets/<str:reference>/contest/", portal.ticket_contest, name="ticket_contest"),
    path(
        "tickets/<str:reference>/attachments/<int:attachment_id>/",
        files.portal_download,
        name="attachment",
    ),
    # SLA indicators of the operator's own tickets (issue 6)
    path("indicators/", reports.operator_report, name="indicators"),
    path("indicators/export.csv", reports.operator_report_export, name="indicators_export"),
]
