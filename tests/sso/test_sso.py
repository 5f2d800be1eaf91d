"""Single sign-on with the Espace Opérateurs, against a real OpenID Provider (see conftest)."""

from __future__ import annotations

import html
from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from esoutien.accounts.models import Role, User
from esoutien.audit.models import AuditEvent
from tests.factories import OperatorFactory, UserFactory, file_ticket
from tests.sso.conftest import (
    CLIENT_ID,
    Idp,
    authorize_at_idp,
    sso_provider_settings,
)
from tests.support import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

LOGIN_START = reverse("openid_connect_login", kwargs={"provider_id": "espace-operateurs"})
DASHBOARD = "/portal/"


def start_at_login_page(client: Client, next_url: str = "") -> str:
    """Press the login page's SSO button; returns the IdP authorization URL."""
    response = client.post(LOGIN_START + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302, response.content[:500]
    return str(response["Location"])


def start_from_deep_link(client: Client, next_url: str) -> str:
    response = client.get(reverse("sso_deep_link"), {"next": next_url})
    assert response.status_code == 302, response.content[:500]
    return str(response["Location"])


def sso_login(client: Client, sub: str, authorize_url: str | None = None) -> Any:
    """The whole flow as ``sub``, redirects followed; returns e-soutien's last response."""
    authorization = authorize_at_idp(authorize_url or start_at_login_page(client), sub)
    return client.get(authorization.callback, follow=True)


def landed_on(response: Any) -> str:
    return str(response.request["PATH_INFO"])


def logged_in_user(client: Client) -> User | None:
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id) if user_id else None


def audit(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def assert_refused(response: Any, client: Client) -> None:
    """The refusal page, straight from the callback, and nobody logged in."""
    assert response.status_code == 403
    assert response.redirect_chain == []
    assert "refusé" in response.content.decode()
    assert logged_in_user(client) is None


def refusal_reasons() -> list[str]:
    events = audit("sso_refused")
    assert all(e.outcome == "refused" for e in events)
    return [e.data["reason"] for e in events]


# --- First login and returning user -------------------------------------------------------------


def test_first_login_provisions_the_user_in_the_operator_named_by_the_claim(
    client: Client, sso: Idp, alfa: Any
) -> None:
    response = sso_login(client, "eo-claire")

    assert response.status_code == 200
    assert landed_on(response) == DASHBOARD
    user = User.objects.get(email="claire@alfa.example")
    assert (user.operator, user.role, user.full_name) == (
        alfa,
        Role.OPERATOR_MEMBER,
        "Claire Fontaine",
    )
    assert not user.has_usable_password()
    account = SocialAccount.objects.get(user=user)
    assert account.uid == "eo-claire"
    # The IdP releases the custom claims in both the ID token and userinfo.
    for source in ("id_token", "userinfo"):
        claims = account.extra_data[source]
        assert (claims["operator_code"], claims["esoutien_role"]) == ("ALFA", "member")
    assert logged_in_user(client) == user
    [provisioned] = audit("sso_provisioned")
    assert (provisioned.actor, provisioned.operator_code) == (user, "ALFA")


def test_role_claim_makes_an_operator_manager(client: Client, sso: Idp, alfa: Any) -> None:
    sso_login(client, "eo-marc")  # operator_code "alfa", in lower case

    user = User.objects.get(email="marc@alfa.example")
    assert (user.operator, user.role) == (alfa, Role.OPERATOR_MANAGER)


def test_returning_user_is_the_same_account_with_name_and_email_from_the_claims(
    client: Client, sso: Idp, alfa: Any
) -> None:
    sso_login(client, "eo-claire")
    client.logout()
    sso.update("eo-claire", name="Claire Fontaine-Roux", email="Claire.Roux@alfa.example")
    browser = Client()

    response = sso_login(browser, "eo-claire")

    assert landed_on(response) == DASHBOARD
    [user] = User.objects.filter(operator=alfa)
    assert (user.full_name, user.email) == ("Claire Fontaine-Roux", "claire.roux@alfa.example")
    assert logged_in_user(browser) == user
    assert SocialAccount.objects.filter(uid="eo-claire").count() == 1
    assert len(audit("sso_provisioned")) == 1


def test_local_account_of_the_same_operator_becomes_federated(
    client: Client, sso: Idp, alfa: Any
) -> None:
    local: Any = UserFactory(email="claire@alfa.example", full_name="C. Fontaine", operator=alfa)

    response = sso_login(client, "eo-claire")

    assert landed_on(response) == DASHBOARD
    assert logged_in_user(client) == local
    assert SocialAccount.objects.get(uid="eo-claire").user == local
    local.refresh_from_db()
    assert local.full_name == "Claire Fontaine"
    assert [e.actor for e in audit("sso_linked")] == [local]


# --- Refusals -----------------------------------------------------------------------------------


def test_unknown_operator_is_refused_and_no_account_is_created(
    client: Client, sso: Idp, alfa: Any
) -> None:
    users_before = User.objects.count()

    response = sso_login(client, "eo-zoe")

    assert_refused(response, client)
    assert refusal_reasons() == ["unknown_or_inactive_operator"]
    [refused] = audit("sso_refused")
    assert (refused.actor_email, refused.data["operator"]) == ("zoe@zulu.example", "ZULU")
    assert User.objects.count() == users_before
    assert not SocialAccount.objects.exists()
    assert not audit("sso_provisioned")


def test_inactive_operator_is_refused(client: Client, sso: Idp) -> None:
    OperatorFactory(code="ZULU", is_active=False)

    response = sso_login(client, "eo-zoe")

    assert_refused(response, client)
    assert refusal_reasons() == ["unknown_or_inactive_operator"]
    assert not User.objects.filter(email="zoe@zulu.example").exists()


def test_missing_operator_claim_is_refused(client: Client, sso: Idp, alfa: Any) -> None:
    response = sso_login(client, "eo-noop")

    assert_refused(response, client)
    assert refusal_reasons() == ["missing_operator_claim"]
    assert not User.objects.filter(email="noop@nowhere.example").exists()


def test_user_whose_claim_names_another_operator_is_refused_not_moved(
    client: Client, sso: Idp, alfa: Any, brav: Any
) -> None:
    sso_login(client, "eo-claire")
    client.logout()
    sso.update("eo-claire", operator_code="BRAV", name="Claire Ailleurs")
    browser = Client()

    response = sso_login(browser, "eo-claire")

    assert_refused(response, browser)
    assert refusal_reasons() == ["operator_changed"]
    user = User.objects.get(email="claire@alfa.example")
    assert (user.operator, user.full_name) == (alfa, "Claire Fontaine")


@pytest.mark.parametrize("owner", ["other_operator", "staff", "unverified"])
def test_an_email_already_in_use_is_not_taken_over(
    client: Client, sso: Idp, alfa: Any, brav: Any, supervisor: Any, owner: str
) -> None:
    if owner == "other_operator":
        UserFactory(email="claire@alfa.example", operator=brav)
    elif owner == "staff":
        sso.update("eo-claire", email=supervisor.email)
    else:  # a local account of the same operator, but the IdP does not vouch for the address
        UserFactory(email="claire@alfa.example", operator=alfa)
        sso.update("eo-claire", email_verified=False)

    response = sso_login(client, "eo-claire")

    assert_refused(response, client)
    assert refusal_reasons() == ["email_taken"]
    assert not SocialAccount.objects.exists()
    assert User.objects.filter(operator=brav).count() == (owner == "other_operator")


def test_disabled_user_cannot_log_in_by_sso(client: Client, sso: Idp, alfa: Any) -> None:
    sso_login(client, "eo-claire")
    client.logout()
    User.objects.filter(email="claire@alfa.example").update(is_active=False)
    browser = Client()

    response = sso_login(browser, "eo-claire")

    assert logged_in_user(browser) is None
    assert landed_on(response) == reverse("account_inactive")


# --- Forged or replayed answers, PKCE -----------------------------------------------------------


def assert_failed(response: Any, client: Client) -> None:
    assert_refused(response, client)
    assert "Espace Opérateurs" in response.content.decode()
    assert [e.outcome for e in audit("sso_failed")] == ["refused"]
    assert not User.objects.filter(email="claire@alfa.example").exists()


def test_tampered_state_is_refused_without_login(client: Client, sso: Idp, alfa: Any) -> None:
    authorization = authorize_at_idp(start_at_login_page(client), "eo-claire")
    params = authorization.callback_params
    state = params["state"]
    params["state"] = state[:-1] + ("A" if state[-1] != "A" else "B")

    response = client.get(authorization.callback_path, params, follow=True)

    assert_failed(response, client)


def test_callback_in_another_browser_is_refused(client: Client, sso: Idp, alfa: Any) -> None:
    """The state is bound to the session that started the flow (login CSRF)."""
    authorization = authorize_at_idp(start_at_login_page(client), "eo-claire")
    attacker = Client()

    response = attacker.get(authorization.callback, follow=True)

    assert_failed(response, attacker)


def test_replayed_callback_is_refused(client: Client, sso: Idp, alfa: Any) -> None:
    authorization = authorize_at_idp(start_at_login_page(client), "eo-claire")
    assert client.get(authorization.callback).status_code == 302
    client.logout()
    User.objects.all().delete()

    response = client.get(authorization.callback, follow=True)

    assert_failed(response, client)


def test_code_of_another_flow_is_refused_by_pkce(client: Client, sso: Idp, alfa: Any) -> None:
    """A code injected under a valid state: the verifier does not match, the IdP says no."""
    first = authorize_at_idp(start_at_login_page(client), "eo-claire")
    second = authorize_at_idp(start_at_login_page(client), "eo-claire")
    params = {**second.callback_params, "code": first.callback_params["code"]}

    response = client.get(second.callback_path, params, follow=True)

    assert_failed(response, client)
    assert "invalid_grant" in audit("sso_failed")[0].data["exception"]


def test_authorization_request_carries_pkce_s256(client: Client, sso: Idp, alfa: Any) -> None:
    authorize_url = start_at_login_page(client)
    assert authorize_url.startswith(f"{sso.issuer}/auth?")

    params = authorize_at_idp(authorize_url, "eo-claire").params

    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43  # base64url of a SHA-256
    assert params["client_id"] == CLIENT_ID
    assert set(params["scope"].split()) == {"openid", "email", "profile", "esoutien"}


def test_the_idp_refuses_a_flow_without_pkce(
    client: Client, settings: Any, sso: Idp, alfa: Any
) -> None:
    """The test IdP requires PKCE: every successful flow above proves e-soutien uses it."""
    settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["OAUTH_PKCE_ENABLED"] = False
    authorization = authorize_at_idp(start_at_login_page(client), "eo-claire")
    assert "code_challenge" not in authorization.params
    assert authorization.callback_params["error"] == "invalid_request"

    response = client.get(authorization.callback, follow=True)

    assert_failed(response, client)


# --- Deep link ----------------------------------------------------------------------------------


def test_deep_link_lands_on_the_requested_ticket_after_login(
    client: Client, sso: Idp, alfa: Any, esav: Any
) -> None:
    ticket = file_ticket(UserFactory(operator=alfa), alfa, esav)
    target = reverse("portal:ticket", kwargs={"reference": ticket.reference})

    response = sso_login(client, "eo-claire", start_from_deep_link(client, target))

    assert response.status_code == 200
    assert landed_on(response) == target
    assert ticket.reference in response.content.decode()


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example",
        "//evil.example/portal/",
        "/\\evil.example",
        "https://testserver.evil.example/",
        "javascript:alert(1)",
        "",
    ],
)
def test_deep_link_does_not_honour_an_off_site_next(
    client: Client, sso: Idp, alfa: Any, next_url: str
) -> None:
    response = sso_login(client, "eo-claire", start_from_deep_link(client, next_url))

    assert logged_in_user(client) is not None
    hops = [url for url, _ in response.redirect_chain]
    assert not [url for url in hops if "evil" in url or "javascript" in url]
    assert landed_on(response) == DASHBOARD


def test_deep_link_when_already_logged_in_goes_straight_to_next(
    client: Client, sso: Idp, alfa: Any
) -> None:
    sso_login(client, "eo-claire")

    response = client.get(reverse("sso_deep_link"), {"next": "/portal/follow-up/"})
    assert (response.status_code, response["Location"]) == (302, "/portal/follow-up/")
    response = client.get(reverse("sso_deep_link"), {"next": "//evil.example"})
    assert (response.status_code, response["Location"]) == (302, "/")


def test_deep_link_when_the_idp_is_unreachable(client: Client, settings: Any, sso: Idp) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings.ESOUTIEN_SSO_ISSUER = closed
    settings.SOCIALACCOUNT_PROVIDERS = sso_provider_settings(closed)

    response = client.get(reverse("sso_deep_link"), {"next": "/portal/"})

    assert response.status_code == 503
    assert "Espace Opérateurs" in html.unescape(response.content.decode())


def test_deep_link_without_sso_configured_is_not_found(client: Client, settings: Any) -> None:
    settings.ESOUTIEN_SSO_ISSUER = ""
    settings.SOCIALACCOUNT_PROVIDERS = {}

    assert client.get(reverse("sso_deep_link"), {"next": "/portal/"}).status_code == 404


# --- Login page ---------------------------------------------------------------------------------


def test_login_page_shows_the_sso_button_when_configured(client: Client, sso: Idp) -> None:
    page = client.get(reverse("account_login")).content.decode()

    assert "Se connecter avec l'Espace Opérateurs" in html.unescape(page)
    assert f'action="{LOGIN_START}' in page
    assert 'name="password"' in page  # local login stays available


def test_login_page_has_no_sso_button_when_not_configured(client: Client, settings: Any) -> None:
    settings.ESOUTIEN_SSO_ISSUER = ""
    settings.SOCIALACCOUNT_PROVIDERS = {}

    page = client.get(reverse("account_login")).content.decode()

    assert "Se connecter avec" not in page
    assert "Espace Opérateurs" not in page
    assert 'name="password"' in page


def test_sso_button_of_the_login_page_keeps_next(client: Client, sso: Idp, alfa: Any) -> None:
    page = client.get(reverse("account_login"), {"next": "/portal/follow-up/"}).content.decode()
    assert f"{LOGIN_START}?process=login&amp;next=%2Fportal%2Ffollow-up%2F" in page

    response = sso_login(client, "eo-claire", start_at_login_page(client, "/portal/follow-up/"))

    assert landed_on(response) == "/portal/follow-up/"
