"""The status app's pages under the "status" namespace (the probes are in config/urls.py)."""

from django.urls import path

from esoutien.status import views

app_name = "status"
urlpatterns = [
    path("statut", views.status_page, name="page"),
    path("statut.json", views.status_json, name="json"),
    path("statut/feed.atom", views.status_feed, name="feed"),
    path("navigateurs", views.browsers_page, name="browsers"),
    path("desk/service-state/", views.desk_state, name="desk_state"),
]
