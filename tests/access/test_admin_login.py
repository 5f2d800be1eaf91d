"""The admin site's own login form must not be a door around MFA and the login lockout.

allauth's login asks provider staff for their TOTP code after the password and locks an
account out after repeated failures; Django's ``/admin/login/`` form knows neither. Whatever
the fix (allauth's ``secure_admin_login`` is the documented one), a password posted there must
not open a session.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import AdministratorFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Un-mot-de-passe-solide-42"


@pytest.fixture
def administrator() -> Any:
    return AdministratorFactory(
        email="root@fournisseur.example", is_superuser=True, password=PASSWORD
    )  # TOTP enrolled, as all staff


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_a_password_alone_opens_no_session_through_the_admin_login(
    client: Client, administrator: Any
) -> None:
    client.post(
        "/admin/login/", {"username": administrator.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert not _signed_in(client), "/admin/login/ signed a TOTP-enrolled administrator in"
    assert client.get("/desk/").status_code == 302


def test_the_admin_login_does_not_bypass_the_lockout(client: Client, administrator: Any) -> None:
    for attempt in range(10):
        client.post("/admin/login/", {"username": administrator.email, "password": f"x{attempt}"})
    client.post("/admin/login/", {"username": administrator.email, "password": PASSWORD})
    assert not _signed_in(client), "/admin/login/ let a password in after 10 failures"
