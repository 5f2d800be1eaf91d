"""Operator managers invite their people; the link works once and expires."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from esoutien.accounts.models import Role, User
from esoutien.audit.models import AuditEvent
from esoutien.mail.models import OutboundEmail
from tests.factories import ManagerFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Fibre-Optique-2026!"


@pytest.fixture
def manager(alfa: Any) -> User:
    return ManagerFactory(email="chef@alfa.example", operator=alfa, full_name="Chloé Chef")


def _invite(client: Any, manager: User, email: str = "eve@alfa.example") -> str:
    client.force_login(manager)
    response = client.post(
        reverse("operator_users"),
        {"email": email, "full_name": "Ève Nouvelle", "role": Role.OPERATOR_MEMBER},
    )
    assert response.status_code == 302
    mail = OutboundEmail.objects.get(kind="invitation")
    link = re.search(r"https?://\S+/accounts/invitation/\S+/", mail.text_body)
    assert link, mail.text_body
    client.logout()
    return link.group(0).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_manager_invites_and_the_invitee_sets_a_password_once(client: Any, manager: User) -> None:
    path = _invite(client, manager)
    invitee = User.objects.get(email="eve@alfa.example")
    assert invitee.operator == manager.operator and invitee.role == Role.OPERATOR_MEMBER
    assert not invitee.has_usable_password()
    assert client.get(path).status_code == 200
    response = client.post(path, {"password1": "court", "password2": "court"})
    assert response.status_code == 200  # too weak: explained, nothing changed
    invitee.refresh_from_db()
    assert not invitee.has_usable_password()
    response = client.post(path, {"password1": PASSWORD, "password2": PASSWORD})
    assert response["Location"] == reverse("account_login")
    login = client.post(reverse("account_login"), {"login": invitee.email, "password": PASSWORD})
    assert login.status_code == 302
    client.logout()
    # The link works once.
    assert client.get(path).status_code == 410
    assert AuditEvent.objects.filter(action="invitation_accepted").count() == 1
    assert AuditEvent.objects.filter(action="invitation_invalid").exists()


def test_an_expired_invitation_is_refused(client: Any, manager: User) -> None:
    path = _invite(client, manager)
    with time_machine.travel(timedelta(days=8)):
        response = client.get(path)
    assert response.status_code == 410
    assert "plus valable" in response.content.decode()


def test_a_tampered_link_is_refused(client: Any, manager: User) -> None:
    path = _invite(client, manager)
    assert client.get(path[:-3] + "xx/").status_code == 410


def test_members_cannot_invite(client: Any, alice: User) -> None:
    client.force_login(alice)
    assert client.get(reverse("operator_users")).status_code == 403
    response = client.post(
        reverse("operator_users"), {"email": "x@alfa.example", "role": Role.OPERATOR_MEMBER}
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="x@alfa.example").exists()


def test_an_existing_address_is_refused(client: Any, manager: User, alice: User) -> None:
    client.force_login(manager)
    response = client.post(
        reverse("operator_users"), {"email": alice.email, "role": Role.OPERATOR_MEMBER}
    )
    assert response.status_code == 200
    assert not OutboundEmail.objects.filter(kind="invitation").exists()


def test_manager_disables_an_account_of_their_operator_only(
    client: Any, manager: User, alice: User, bob: User
) -> None:
    client.force_login(manager)
    page = client.get(reverse("operator_users")).content.decode()
    assert alice.email in page and bob.email not in page
    client.post(reverse("operator_user_active", args=[alice.pk]), {"active": "0"})
    alice.refresh_from_db()
    assert not alice.is_active
    response = client.post(reverse("operator_user_active", args=[bob.pk]), {"active": "0"})
    assert response.status_code == 404
    bob.refresh_from_db()
    assert bob.is_active
    other = UserFactory(operator=manager.operator, password=PASSWORD)
    client.post(reverse("operator_user_active", args=[other.pk]), {"active": "0"})
    visitor = client.__class__()
    response = visitor.post(reverse("account_login"), {"login": other.email, "password": PASSWORD})
    assert response["Location"] == reverse("account_inactive")
    assert "_auth_user_id" not in visitor.session
