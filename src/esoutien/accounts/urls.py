from django.urls import path

from esoutien.accounts import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("operator/users/", views.operator_users, name="operator_users"),
    path(
        "operator/users/<int:user_id>/active/",
        views.operator_user_active,
        name="operator_user_active",
    ),
    path(
        "invitation/<str:uidb64>/<str:token>/",
        views.invitation_accept,
        name="invitation_accept",
    ),
]
