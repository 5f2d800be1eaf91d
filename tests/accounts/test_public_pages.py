"""The accessibility statement (RGAA): public, complete, and linked from every page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def test_the_statement_is_public_and_says_what_rgaa_asks(client: Client, settings: Any) -> None:
    settings.ESOUTIEN_ACCESSIBILITY_CONTACT = "accessibilite@reseau.example"
    response = english(client).get("/accessibilite/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "partially compliant" in page  # state of compliance
    assert "axe-core" in page  # test method
    assert 'href="mailto:accessibilite@reseau.example"' in page  # contact
    assert "Défenseur des droits" in page  # remedies
    assert "This statement was drawn up on" in page  # date


def test_every_page_footer_carries_the_compliance_notice(client: Client, alice: Any) -> None:
    with translation.override("en"):
        statement = reverse("accessibility")
    english(client)
    for url in ("/accounts/login/", "/accessibilite/"):
        assert f'href="{statement}"' in client.get(url).content.decode()
    client.force_login(alice)
    page = client.get("/portal/").content.decode()
    assert f'href="{statement}"' in page
    assert "Accessibility: partially compliant" in page
