"""Journey 5: the filing form with the keyboard alone (Tab, arrows, typing, Enter).

Every element that takes the focus shows it (a computed outline); a submission with errors
moves the focus to an announced summary whose links lead to the fields, each field
described by its error."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.e2e.pages import assert_accessible, log_in
from tests.e2e.servers import Stack

MAX_TABS = 60


def has_focus(locator: Any) -> bool:
    return bool(locator.evaluate("element => element === document.activeElement"))


def assert_focus_visible(page: Any) -> None:
    style = page.evaluate(
        """() => {
            const s = getComputedStyle(document.activeElement);
            return {style: s.outlineStyle, width: parseFloat(s.outlineWidth),
                    tag: document.activeElement.outerHTML.slice(0, 80)};
        }"""
    )
    assert style["style"] != "none" and style["width"] >= 2, style


def tab_to(page: Any, target: Any) -> None:
    """Press Tab until ``target`` has the focus, checking the focus shows at each stop."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        if has_focus(target):
            return
    raise AssertionError(f"Tab never reached {target}")


def test_file_a_ticket_with_the_keyboard_only(new_page: Any, stack: Stack, shoot: Any) -> None:
    page = new_page()
    log_in(page, "manager@alfa.example")

    # The first Tab reaches the skip link, which moves the focus to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert has_focus(skip)
    expect(skip).to_be_visible()
    assert_focus_visible(page)
    tab_to(
        page,
        page.get_by_role("navigation", name="Main menu").get_by_role("link", name="New ticket"),
    )
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/portal/tickets/new/$"))

    # Submitted empty: the focus lands on the summary of errors, announced as an alert.
    tab_to(page, page.get_by_role("button", name="File the ticket"))
    page.keyboard.press("Enter")
    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    assert has_focus(summary), "the error summary does not take the focus"
    assert_accessible(page)
    shoot(page, "errors")
    subject_link = summary.get_by_role("link", name="Subject")
    tab_to(page, subject_link)
    page.keyboard.press("Enter")
    subject = page.get_by_label("Subject")
    assert has_focus(subject)
    error_ids = (subject.get_attribute("aria-describedby") or "").split()
    assert any(page.locator(f"#{ident}").inner_text().strip() for ident in error_ids)
    assert subject.get_attribute("aria-invalid") == "true"

    # Now fill it in, from the top, by keyboard.
    eservice = page.get_by_label("E-service")
    eservice.focus()
    assert_focus_visible(page)
    for _ in range(6):
        if eservice.evaluate("s => s.options[s.selectedIndex].text") == "e-SAV":
            break
        page.keyboard.press("ArrowDown")
    assert eservice.evaluate("s => s.options[s.selectedIndex].text") == "e-SAV"
    tab_to(page, page.get_by_role("radio", name="Malfunction"))
    page.keyboard.press("Space")
    assert page.get_by_role("radio", name="Malfunction").is_checked()
    tab_to(page, subject)
    page.keyboard.type("Échec des commandes FCI depuis 7 h")
    page.keyboard.press("Tab")
    assert has_focus(page.get_by_label("Description"))
    page.keyboard.type("Toutes les commandes reviennent en erreur 500 depuis 7 h 02.")
    tab_to(page, page.get_by_role("button", name="File the ticket"))
    shoot(page, "filled")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="is filed")).to_be_visible()
    assert re.search(r"/portal/tickets/ES-\d{4}-\d{6}/(#.*)?$", page.url)  # keeps #id_subject
    assert_accessible(page)
