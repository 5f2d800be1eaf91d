from django.urls import path

from esoutien.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("", views.endpoint_list, name="list"),
    path("<int:endpoint_id>/", views.endpoint_detail, name="detail"),
    path("<int:endpoint_id>/active/", views.endpoint_active, name="active"),
    path("<int:endpoint_id>/delete/", views.endpoint_delete, name="delete"),
    path(
        "<int:endpoint_id>/deliveries/<uuid:delivery_id>/redeliver/",
        views.delivery_redeliver,
        name="redeliver",
    ),
]
