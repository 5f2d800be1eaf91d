"""Journey 3: "Retour sur ticket ouvert". The operator types the number of one of its open
tickets and adds a complement; then another operator's number, then a closed ticket's
number: each time the right message, announced and tied to the number field."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from esoutien.accounts.models import User
from esoutien.catalogue.models import EService
from esoutien.tickets.states import Status
from tests.e2e.pages import assert_accessible, log_in
from tests.e2e.servers import Stack
from tests.factories import file_ticket, set_status

COMPLEMENT = "Le client confirme la coupure depuis 8 h ; le voyant PON clignote en rouge."


def send_followup(page: Any, number: str, message: str) -> None:
    page.get_by_label("Ticket number").fill(number)
    page.get_by_role("radio", name="add information to the ticket").check()
    page.get_by_label("Message").fill(message)
    page.get_by_role("button", name="Send").click()


def assert_number_refused(page: Any, message: str) -> None:
    """The error is announced (alert) and tied to the field (summary link, description)."""
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(message)
    summary.get_by_role("link", name="Ticket number").click()
    field = page.get_by_label("Ticket number")
    assert field.evaluate("element => element === document.activeElement")
    assert field.get_attribute("aria-invalid") == "true"
    described_by = (field.get_attribute("aria-describedby") or "").split()
    descriptions = " ".join(page.locator(f"#{ident}").inner_text() for ident in described_by)
    assert message in descriptions


def test_followup_by_ticket_number(new_page: Any, stack: Stack, shoot: Any) -> None:
    alice = User.objects.get(email="alice@alfa.example")
    bob = User.objects.get(email="bob@brav.example")
    esav = EService.objects.get(name="e-SAV")
    open_ticket = file_ticket(alice, alice.operator, esav, subject="Débit dégradé sur FI-2222-3333")
    foreign = file_ticket(bob, bob.operator, esav, subject="Ticket de Bravo Fibre")
    closed = set_status(
        file_ticket(alice, alice.operator, esav, subject="Incident clos"), Status.CLOSED
    )

    page = new_page()
    log_in(page, "alice@alfa.example")
    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Follow-up on an open ticket"
    ).click()
    page.wait_for_url(re.compile(r"/portal/follow-up/$"))
    assert_accessible(page)
    shoot(page, "form")

    # Just the number, as the help text allows.
    send_followup(page, str(int(open_ticket.reference.rsplit("-", 1)[1])), COMPLEMENT)
    page.wait_for_url(re.compile(rf"/portal/tickets/{open_ticket.reference}/$"))
    expect(page.get_by_role("status").filter(has_text=open_ticket.reference)).to_be_visible()
    history = page.get_by_role("region", name="History")
    expect(history.get_by_text(COMPLEMENT)).to_be_visible()
    assert_accessible(page)
    shoot(page, "complement-added")

    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Follow-up on an open ticket"
    ).click()
    send_followup(page, foreign.reference, "Un complément qui ne devrait pas passer.")
    assert_number_refused(
        page, "No open ticket with this number for your operator. Check the number"
    )
    assert_accessible(page)
    shoot(page, "foreign-number")

    send_followup(page, closed.reference, "Le problème est revenu.")
    assert_number_refused(
        page, f"Ticket {closed.reference} is closed: it can no longer be modified."
    )
    assert_accessible(page)
    shoot(page, "closed-number")
