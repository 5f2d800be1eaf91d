"""Local accounts: login, MFA for staff, lockout, idle timeout, sessions, no self-signup."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.urls import reverse

from esoutien.accounts.models import User
from tests.factories import TOTP_SECRET, AgentFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Un-Mot-de-passe-42!"


def _current_code() -> str:
    import time

    return format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30))


def _login(client: Any, email: str, password: str = PASSWORD) -> Any:
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_staff_without_mfa_must_enrol_before_reaching_the_desk(client: Any, esav: Any) -> None:
    agent = AgentFactory(eservices=[esav], mfa=False, password=PASSWORD)
    assert _login(client, agent.email).status_code == 302
    for url in (reverse("desk:queue"), reverse("admin:index"), reverse("profile") + "x"):
        response = client.get(url)
        if response.status_code != 404:
            assert response.status_code == 302
            assert response["Location"] == reverse("mfa_activate_totp")
    # Enrolment stays reachable (allauth first asks for the password again).
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(response["Location"], {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    import time

    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("desk:queue")).status_code == 200


def test_operator_users_need_no_mfa(client: Any, alice: Any) -> None:
    client.force_login(alice)
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_staff_login_asks_for_the_totp_code_and_refuses_its_reuse(client: Any, esav: Any) -> None:
    agent = AgentFactory(eservices=[esav], password=PASSWORD)
    response = _login(client, agent.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("desk:queue")).status_code == 302  # not logged in yet
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200  # wrong code: stays on the form
    code = _current_code()
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("desk:queue")).status_code == 200
    # The same code cannot open a second session within its window.
    other = client.__class__()
    _login(other, agent.email)
    response = other.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200
    assert other.get(reverse("desk:queue")).status_code == 302


def test_repeated_failures_lock_the_account_for_a_while(client: Any, alfa: Any) -> None:
    user = UserFactory(email="carla@alfa.example", operator=alfa, password=PASSWORD)
    for _ in range(5):
        assert _login(client, user.email, "mauvais-mot-de-passe").status_code == 200
    # Even the right password is refused while the account is locked.
    response = _login(client, user.email)
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    with time_machine.travel(timedelta(minutes=16)):
        assert _login(client, user.email).status_code == 302


def test_session_expires_after_thirty_idle_minutes_and_slides_with_activity(
    client: Any, alice: Any, settings: Any
) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client.force_login(alice)
    url = reverse("portal:dashboard")
    with time_machine.travel(timedelta(minutes=20)):
        assert client.get(url).status_code == 200  # activity pushes the expiry
    with time_machine.travel(timedelta(minutes=45)):
        assert client.get(url).status_code == 200  # 25 min after the last request
    with time_machine.travel(timedelta(minutes=80)):
        response = client.get(url)  # 35 min idle
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_log_out_everywhere_ends_the_other_sessions(client: Any, alice: Any) -> None:
    other = client.__class__()
    client.force_login(alice)
    other.force_login(alice)
    url = reverse("portal:dashboard")
    assert client.get(url).status_code == 200 and other.get(url).status_code == 200
    client.post(reverse("usersessions_list"), {})
    assert client.get(url).status_code == 200
    assert other.get(url).status_code == 302


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("Court-1!", False),  # too short
        ("motdepasselongsansclasses", False),  # one class only
        ("MotDePasseLong12", False),  # no special character
        ("Password123!", False),  # common password
        ("Fibre-Optique-2026!", True),
    ],
)
def test_password_rules(password: str, accepted: bool) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    if accepted:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


def test_nobody_can_sign_up(client: Any) -> None:
    response = client.post(
        reverse("account_signup"),
        {
            "email": "intrus@example.com",
            "password1": "Fibre-Optique-2026!",
            "password2": "Fibre-Optique-2026!",
        },
    )
    assert not User.objects.filter(email="intrus@example.com").exists()
    assert response.status_code == 200
    assert "inscription" in html.unescape(response.content.decode()).lower() or (
        "sign up" in response.content.decode().lower()
    )


def test_off_site_next_is_not_followed_after_login(client: Any, alfa: Any) -> None:
    UserFactory(email="dan@alfa.example", operator=alfa, password=PASSWORD)
    response = client.post(
        reverse("account_login") + "?next=https://evil.example/",
        {"login": "dan@alfa.example", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_password_reset_mail_goes_through_the_outbox_even_with_the_relay_down(
    client: Any, alfa: Any, settings: Any
) -> None:
    from esoutien.mail import outbound
    from esoutien.mail.models import OutboundEmail
    from tests.support import free_port

    user = UserFactory(email="erin@alfa.example", operator=alfa, password=PASSWORD)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.status_code == 302  # the person is told the mail is on its way
    mail = OutboundEmail.objects.get(to=user.email)
    assert "/accounts/password/reset/key/" in mail.text_body
    outbound.deliver_due()
    mail.refresh_from_db()
    assert mail.status == "queued" and mail.attempts == 1  # kept for a later attempt
