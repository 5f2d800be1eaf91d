"""axe-core on the pages the journeys visit, in French and in English, signed out, as an
operator and as provider staff; and the layout at 320 px wide and at 200 % zoom.

The journeys audit every page they pass through in English; this file adds French (the
default language) and the pages next to them, and checks reflow. Zero violations at WCAG
2.0/2.1 A and AA: the fixes are in the templates and the stylesheet, nothing is excluded.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from esoutien.accounts.models import User
from esoutien.catalogue.models import EService
from tests.e2e.pages import assert_accessible, assert_reflows, log_in
from tests.e2e.servers import Stack
from tests.factories import file_ticket

LANGUAGES = ("fr", "en")
ZOOM_200 = 640  # a 1280 px window at 200 %: 640 CSS pixels


def audit(page: Any, stack: Stack, paths: list[str], reflow: set[str], shoot: Any) -> None:
    """Each path in each language: axe, and for ``reflow`` the narrow layouts too."""
    for language in LANGUAGES:
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": stack.base_url}]
        )
        for path in paths:
            page.set_viewport_size({"width": 1280, "height": 900})
            response = page.goto(path)
            assert response is not None and response.ok, f"{path}: {response and response.status}"
            assert page.locator("html").get_attribute("lang") == language
            assert_accessible(page)
            if path in reflow:
                assert_reflows(page, ZOOM_200)
                assert_reflows(page, 320)
                assert_accessible(page)  # the narrow layout too (contrast, overlaps)
                if language == "fr":
                    shoot(page, f"320px-{path.strip('/').replace('/', '-') or 'home'}")


def test_pages_signed_out(new_page: Any, stack: Stack, shoot: Any) -> None:
    page = new_page()
    paths = [
        reverse("account_login"),
        reverse("account_reset_password"),
        reverse("accessibility"),
        reverse("status:page"),
        reverse("status:browsers"),
    ]
    audit(page, stack, paths, {reverse("account_login"), reverse("accessibility")}, shoot)
    # The statement says what RGAA asks, and every page's footer leads to it (the last
    # language audited was English).
    page.goto(reverse("account_login"))
    footer = page.get_by_role("contentinfo")
    footer.get_by_role("link", name="Accessibility: partially compliant").click()
    page.wait_for_url(f"**{reverse('accessibility')}")
    for heading in (
        "State of compliance",
        "Test results and method",
        "Feedback and contact",
        "Remedies",
    ):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_text("partially compliant").first).to_be_visible()
    expect(page.get_by_role("link", name="formulaire.defenseurdesdroits.fr")).to_be_visible()


def test_operator_pages(new_page: Any, stack: Stack, shoot: Any) -> None:
    alice = User.objects.get(email="alice@alfa.example")
    ticket = file_ticket(alice, alice.operator, EService.objects.get(name="e-SAV"))
    page = new_page()
    log_in(page, "alice@alfa.example")
    dashboard, new, ticket_page = (
        reverse("portal:dashboard"),
        reverse("portal:ticket_new"),
        reverse("portal:ticket", args=[ticket.reference]),
    )
    paths = [dashboard, new, reverse("portal:followup"), ticket_page, reverse("profile")]
    audit(page, stack, paths, {dashboard, new, ticket_page}, shoot)


def test_desk_pages(new_page: Any, stack: Stack, shoot: Any) -> None:
    alice = User.objects.get(email="alice@alfa.example")
    ticket = file_ticket(alice, alice.operator, EService.objects.get(name="e-SAV"))
    page = new_page()
    log_in(page, "agent@provider.example", totp=True)
    queue, ticket_page = reverse("desk:queue"), reverse("desk:ticket", args=[ticket.reference])
    paths = [queue, ticket_page, reverse("desk:ticket_new"), reverse("desk:quarantine")]
    audit(page, stack, paths, {queue, ticket_page}, shoot)
