from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from esoutien.accounts import public_pages, sso_views
from esoutien.accounts import views as account_views
from esoutien.api import views as api_views
from esoutien.api.tmf.urls import tmf_api
from esoutien.api.urls import api
from esoutien.status import views as status_views

# The admin logs in through allauth (rate limits, MFA), never with its own password form.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("esoutien.accounts.urls")),
    path("accounts/api-tokens/", api_views.tokens, name="api_tokens"),
    path("accounts/api-tokens/<int:token_id>/revoke/", api_views.revoke, name="api_token_revoke"),
    # Before allauth's own route: the same view, with a clear page when the IdP is down.
    path(
        "accounts/oidc/<str:provider_id>/login/",
        sso_views.provider_login,
        name="sso_provider_login",
    ),
    path("accounts/", include("allauth.urls")),
    path("sso/espace-operateurs/", sso_views.deep_link, name="sso_deep_link"),
    path("i18n/", include("django.conf.urls.i18n")),
    # accessibility statement (issue 8, RGAA): public, linked from every page's footer
    path("accessibilite/", public_pages.accessibility, name="accessibility"),
    path("portal/webhooks/", include("esoutien.webhooks.urls")),
    path("portal/", include("esoutien.tickets.urls_portal")),
    path("desk/audit/", include("esoutien.audit.urls")),
    # operations: maintenance windows (desk/maintenance/..., maintenance/...)
    path("", include("esoutien.operations.urls")),
    path("desk/", include("esoutien.tickets.urls_desk")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("tmf-api/troubleTicket/v4/", tmf_api.urls),
    # status app: probes, metrics, the public status pages and the supervisors' state page
    path("healthz", status_views.health_view, name="health"),
    path("readyz", status_views.ready, name="ready"),
    path("metrics", status_views.metrics_view, name="metrics"),
    path("", include("esoutien.status.urls")),
]
