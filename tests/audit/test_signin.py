"""Sign-in events reach the audit log: logins, failures, lockouts, logouts, MFA, passwords."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth import login
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from esoutien.audit.models import AuditEvent
from tests.audit.conftest import PASSWORD
from tests.factories import TOTP_SECRET, AgentFactory, UserFactory

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"


def _browser() -> Client:
    return Client(REMOTE_ADDR=IP, HTTP_USER_AGENT="Firefox de test")


@pytest.fixture
def client() -> Client:
    """Every request of these tests comes from the same known address and browser."""
    return _browser()


def _login(client: Any, email: str, password: str = PASSWORD) -> Any:
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _reauthenticate(client: Any) -> None:
    """allauth asks for the password again before touching authenticators."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def _code(secret: str = TOTP_SECRET) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_a_password_login_is_recorded_with_address_and_account(client: Any, alfa: Any) -> None:
    user = UserFactory(email="carla@alfa.example", operator=alfa, password=PASSWORD)
    assert _login(client, "Carla@Alfa.example").status_code == 302
    [event] = _events("login")
    assert event.actor == user
    assert event.actor_email == "carla@alfa.example"
    assert event.operator_code == "ALFA"
    assert event.ip_address == IP
    assert event.user_agent == "Firefox de test"
    assert event.outcome == "success"
    assert event.data == {"method": "password"}


def test_a_failed_login_records_the_typed_email_never_the_password(client: Any, alfa: Any) -> None:
    user = UserFactory(email="carla@alfa.example", operator=alfa, password=PASSWORD)
    assert _login(client, "carla@alfa.example", "Mauvais-secret-99!").status_code == 200
    assert _login(client, "personne@inconnu.example", "Autre-secret-77!").status_code == 200
    known, unknown = _events("login_failed")
    assert (known.actor, known.actor_email, known.outcome) == (user, user.email, "failure")
    assert known.ip_address == IP
    assert known.data == {"known_account": True}
    assert (unknown.actor, unknown.actor_email) == (None, "personne@inconnu.example")
    assert unknown.data == {"known_account": False}
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert "Mauvais-secret" not in stored and "Autre-secret" not in stored
    assert not _events("login")


def test_the_lockout_after_repeated_failures_is_recorded(client: Any, alfa: Any) -> None:
    user = UserFactory(email="carla@alfa.example", operator=alfa, password=PASSWORD)
    for _ in range(5):
        _login(client, user.email, "Mauvais-secret-99!")
    assert len(_events("login_failed")) == 5
    assert not _events("lockout")
    # Locked: even the right password is refused, and the refusal is recorded.
    response = _login(client, user.email)
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)
    [lockout] = _events("lockout")
    assert (lockout.actor, lockout.actor_email, lockout.outcome) == (user, user.email, "refused")
    assert lockout.ip_address == IP
    assert not _events("login")


def test_logout_is_recorded(client: Any, alice: Any) -> None:
    client.force_login(alice)
    client.post(reverse("account_logout"))
    [event] = _events("logout")
    assert (event.actor, event.ip_address) == (alice, IP)


def test_staff_login_records_the_second_factor_and_wrong_or_reused_codes(
    client: Any, esav: Any
) -> None:
    agent = AgentFactory(eservices=[esav], password=PASSWORD)
    _login(client, agent.email)
    assert not _events("login")  # the password alone does not sign in staff
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    code = _code()
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    [login] = _events("login")
    assert login.data == {"method": "password", "mfa": True}
    # The same code again, from another browser, within its window: refused and recorded.
    other = _browser()
    _login(other, agent.email)
    assert other.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200
    wrong, reused = _events("mfa_failed")
    for event in (wrong, reused):
        assert (event.actor, event.outcome, event.ip_address) == (agent, "failure", IP)
        assert event.data == {"type": "totp"}
    assert len(_events("login")) == 1


def test_adding_and_removing_an_authenticator_is_recorded(
    client: Any, alfa: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = UserFactory(email="carla@alfa.example", operator=alfa, password=PASSWORD)
    _login(client, user.email)
    _reauthenticate(client)
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after commit
        response = client.post(reverse("mfa_activate_totp"), {"code": _code(secret)})
    assert response.status_code == 302
    added = _events("mfa_added")
    assert sorted(e.data["type"] for e in added) == ["recovery_codes", "totp"]
    assert all(e.actor == user and e.ip_address == IP for e in added)

    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    removed = _events("mfa_removed")
    assert sorted(e.data["type"] for e in removed) == ["recovery_codes", "totp"]
    assert all(e.actor == user for e in removed)


def test_regenerating_recovery_codes_is_recorded(
    client: Any, esav: Any, django_capture_on_commit_callbacks: Any
) -> None:
    agent = AgentFactory(eservices=[esav], password=PASSWORD)
    _login(client, agent.email)
    client.post(reverse("mfa_authenticate"), {"code": _code()})
    _reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    events = _events("mfa_reset") + _events("mfa_added")
    assert [e.data["type"] for e in events] == ["recovery_codes"]
    assert events[0].actor == agent


def test_a_password_change_is_recorded(client: Any, alfa: Any) -> None:
    user = UserFactory(email="carla@alfa.example", operator=alfa, password=PASSWORD)
    _login(client, user.email)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "Nouveau-Secret-2026#",
            "password2": "Nouveau-Secret-2026#",
        },
    )
    assert response.status_code == 302
    [event] = _events("password_changed")
    assert (event.actor, event.ip_address) == (user, IP)
    assert "Nouveau-Secret" not in json.dumps(event.data)


def test_log_out_everywhere_is_recorded(alfa: Any) -> None:
    user = UserFactory(email="carla@alfa.example", operator=alfa, password=PASSWORD)
    laptop, phone = _browser(), _browser()
    _login(laptop, user.email)
    _login(phone, user.email)
    response = laptop.post(reverse("usersessions_list"))
    assert response.status_code == 302
    [event] = _events("sessions_ended")
    assert (event.actor, event.ip_address, event.data) == (user, IP, {"count": 1})
    assert "_auth_user_id" not in phone.session


def test_a_single_sign_on_login_is_recorded_as_such(alice: Any, rf: Any) -> None:
    """allauth notes each authentication step in the session; the record names the method."""
    request = rf.get("/", REMOTE_ADDR=IP)
    request.session = SessionStore()
    request.user = alice
    record_authentication(
        request, alice, "socialaccount", provider="espace-operateurs", uid="sub-42"
    )
    login(request, alice, backend="allauth.account.auth_backends.AuthenticationBackend")
    [event] = _events("login")
    assert event.data == {"method": "sso", "provider": "espace-operateurs"}
    assert (event.actor, event.ip_address) == (alice, IP)
