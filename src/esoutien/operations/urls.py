"""Maintenance pages: the supervisors' desk pages and everyone's overview, opt-in and feed."""

from django.urls import path

from esoutien.operations import desk_views, portal_views

app_name = "maintenance"
urlpatterns = [
    path("maintenance/", portal_views.overview, name="overview"),
    path("maintenance/subscription/", portal_views.subscription, name="subscription"),
    path("maintenance/feed/regenerate/", portal_views.feed_regenerate, name="feed_regenerate"),
    path("maintenance/calendar/<str:token>.ics", portal_views.feed, name="feed"),
    path("desk/maintenance/", desk_views.window_list, name="desk_list"),
    path("desk/maintenance/new/", desk_views.window_new, name="desk_new"),
    path("desk/maintenance/<int:window_id>/", desk_views.window_edit, name="desk_edit"),
    path("desk/maintenance/<int:window_id>/cancel/", desk_views.window_cancel, name="desk_cancel"),
]
