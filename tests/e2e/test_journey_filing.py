"""Journey 1: an operator signs in through the Espace Opérateurs (SSO), files an e-SAV
incident with an attachment, reads the reference and the expected resolution date, and the
acknowledgement reaches the relay with that reference."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.e2e.pages import assert_accessible, wait_for_mail
from tests.e2e.servers import Stack

REFERENCE = re.compile(r"ES-\d{4}-\d{6}")


def sign_in_with_sso(page: Any, sub: str) -> None:
    page.goto("/accounts/login/")
    assert_accessible(page)
    page.get_by_role("button", name="Log in with the Espace Opérateurs").click()
    # The Espace Opérateurs' own (development) login page: any password.
    page.get_by_placeholder(re.compile("login", re.I)).fill(sub)
    page.get_by_placeholder(re.compile("password", re.I)).fill("any password")
    page.get_by_role("button", name=re.compile("sign-?in", re.I)).click()
    page.wait_for_url(re.compile(r"/portal/"))


def test_operator_files_an_incident_through_sso(
    new_page: Any, stack: Stack, shoot: Any, tmp_path: Path
) -> None:
    page = new_page()
    sign_in_with_sso(page, "eo-claire")
    assert_accessible(page)
    shoot(page, "dashboard")

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="New ticket").click()
    page.wait_for_url(re.compile(r"/portal/tickets/new/$"))
    assert_accessible(page)
    page.get_by_label("E-service").select_option(label="e-SAV")
    page.get_by_role("radio", name="Malfunction").check()
    page.get_by_label("Severity").select_option(label="Major")
    page.get_by_label("Subject").fill("Perte de synchronisation sur la PTO FI-1234-5678")
    page.get_by_label("Description").fill(
        "Depuis 9 h 40, la ligne ne synchronise plus. Le boîtier a été redémarré sans effet."
    )
    page.get_by_label("Line reference (PTO)").fill("FI-1234-5678")
    trace = tmp_path / "trace-ont.log"
    trace.write_text("09:40:12 LOS alarm raised on ONT\n09:41:03 LOS alarm persists\n")
    page.get_by_label("Attachments").set_input_files(str(trace))
    shoot(page, "form-filled")
    page.get_by_role("button", name="File the ticket").click()

    page.wait_for_url(re.compile(r"/portal/tickets/ES-\d{4}-\d{6}/$"))
    heading = page.get_by_role("heading", level=1).inner_text()
    match = REFERENCE.search(heading)
    assert match, heading
    reference = match.group(0)
    expect(page.get_by_role("status").filter(has_text=reference)).to_be_visible()
    expect(page.get_by_role("link", name="trace-ont.log")).to_be_visible()
    expected = page.locator("#expected-resolution time")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*", expected.get_attribute("datetime") or "")
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", expected.inner_text())
    assert_accessible(page)
    shoot(page, "ticket-filed")

    acknowledgement = wait_for_mail(stack.sink, lambda m: reference in str(m["Subject"]))
    assert acknowledgement["To"] == "claire@alfa.example"
    body = acknowledgement.get_body(preferencelist=("plain",))
    assert body is not None and reference in body.get_content()
