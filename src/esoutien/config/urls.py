from django.contrib import admin
from django.urls import include, path

from esoutien.accounts import sso_views
from esoutien.accounts import views as account_views
from esoutien.operations import views as operations_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("esoutien.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("sso/espace-operateurs/", sso_views.deep_link, name="sso_deep_link"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("esoutien.tickets.urls_portal")),
    path("desk/", include("esoutien.tickets.urls_desk")),
    path("admin/", admin.site.urls),
    path("healthz", operations_views.health, name="health"),
]
