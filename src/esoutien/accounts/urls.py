from django.urls import path

from esoutien.accounts import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
]
