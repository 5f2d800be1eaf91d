"""Administrative changes (the admin site's change log) and permission denials are recorded."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from esoutien.accounts.models import Operator
from esoutien.audit import admin_log
from esoutien.audit.models import AuditEvent
from tests.factories import OperatorFactory

pytestmark = pytest.mark.django_db

IP = "198.51.100.20"


@pytest.fixture
def admin_client(administrator: Any) -> Client:
    client = Client(REMOTE_ADDR=IP)
    client.force_login(administrator)  # the factory enrolled TOTP: the desk lets them in
    return client


def test_an_operator_changed_in_the_admin_is_recorded(
    admin_client: Client, administrator: Any
) -> None:
    operator = OperatorFactory(code="CHLI", name="Charlie Réseaux", siren="333333333")
    url = reverse("admin:accounts_operator_change", args=[operator.pk])
    response = admin_client.post(
        url,
        {
            "name": "Charlie Réseaux SAS",
            "code": "CHLI",
            "siren": "333333333",
            "notification_emails": "",
            "is_active": "",
            "created_at_0": "2024-01-01",
            "created_at_1": "10:00:00",
            "_save": "Enregistrer",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = AuditEvent.objects.filter(action="admin_change")
    assert event.actor == administrator
    assert event.actor_email == "admin@fournisseur.example"
    assert event.ip_address == IP
    assert event.target == "accounts.operator Charlie Réseaux SAS (CHLI)"
    assert event.data["change"] == "changed"
    assert event.data["model"] == "accounts.operator"
    assert event.data["object_id"] == str(operator.pk)
    assert "Name" in event.data["message"] or "Nom" in event.data["message"]
    # Copied once: the sweep finds nothing left to copy.
    assert admin_log.sweep() == 0


def test_a_bulk_deletion_in_the_admin_is_recorded_by_the_sweep(admin_client: Client) -> None:
    first = OperatorFactory(code="DELA", name="Delta A")
    second = OperatorFactory(code="DELB", name="Delta B")
    response = admin_client.post(
        reverse("admin:accounts_operator_changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Operator.objects.filter(code__in=["DELA", "DELB"]).exists()
    # The admin writes both entries with bulk_create (no signal): the periodic sweep copies them.
    assert admin_log.sweep() == 2
    events = AuditEvent.objects.filter(action="admin_change").order_by("id")
    assert sorted(e.target for e in events) == [
        "accounts.operator Delta A (DELA)",
        "accounts.operator Delta B (DELB)",
    ]
    assert {e.data["change"] for e in events} == {"deleted"}
    assert all(e.data["swept"] for e in events)
    assert admin_log.sweep() == 0


def test_an_operator_user_refused_a_desk_page_is_recorded(client: Client, alice: Any) -> None:
    client.force_login(alice)
    response = client.get(reverse("desk:queue"), REMOTE_ADDR=IP)
    assert response.status_code == 403
    [event] = AuditEvent.objects.filter(action="permission_denied")
    assert (event.actor, event.outcome, event.target) == (alice, "refused", "/desk/")
    assert (event.operator_code, event.ip_address) == ("ALFA", IP)


def test_a_desk_user_refused_a_portal_page_is_recorded(client: Client, agent: Any) -> None:
    client.force_login(agent)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 403
    [event] = AuditEvent.objects.filter(action="permission_denied")
    assert event.actor == agent
    assert event.target == reverse("portal:dashboard")
