"""Journey 2: an agent (password + TOTP) takes the newest ticket, asks for information; the
operator answers by e-mail (smtplib, a quoted reply to the Reply-To); the agent reads the
answer without the quote, resolves with a report; the report and its PDF reach the relay;
the operator sees the ticket resolved, in French, and downloads the PDF."""

from __future__ import annotations

import re
import smtplib
import time
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from esoutien.accounts.models import User
from esoutien.catalogue.models import EService
from esoutien.tickets.models import Severity
from tests.e2e.pages import assert_accessible, log_in, wait_for_mail
from tests.e2e.servers import Stack
from tests.factories import file_ticket

QUESTION = "Pouvez-vous redémarrer le boîtier et nous dire si la synchronisation revient ?"
ANSWER = "Le boîtier a été redémarré à 14 h 05 ; la synchronisation est revenue à 14 h 09."


def answer_by_email(stack: Stack, request: EmailMessage) -> None:
    """What the operator's mail client sends: a reply quoting the question, French style."""
    reply = EmailMessage()
    reply["From"] = "Alice Martin <alice@alfa.example>"
    reply["To"] = request["Reply-To"]
    reply["Subject"] = f"RE: {request['Subject']}"
    reply["Message-ID"] = make_msgid(domain="alfa.example")
    reply["In-Reply-To"] = request["Message-ID"]
    reply["References"] = request["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in QUESTION.splitlines())
    reply.set_content(
        f"Bonjour,\n\n{ANSWER}\n\nCordialement,\nAlice\n\n"
        f"Le 12/05/2026 à 10:02, Support e-soutien a écrit :\n{quoted}\n"
    )
    with smtplib.SMTP("127.0.0.1", stack.smtpd_port, timeout=10) as smtp:
        smtp.send_message(reply)


def wait_for_text(page: Any, text: str, timeout: float = 45.0) -> None:
    """Reload until ``text`` shows: the gateway routes the answer in the worker."""
    deadline = time.monotonic() + timeout
    while not page.get_by_text(text).count():
        assert time.monotonic() < deadline, f"{text!r} never appeared on {page.url}"
        page.wait_for_timeout(1000)
        page.reload()


def test_agent_handles_a_ticket_from_queue_to_report(
    new_page: Any, stack: Stack, shoot: Any
) -> None:
    alice = User.objects.get(email="alice@alfa.example")
    ticket = file_ticket(
        alice,
        alice.operator,
        EService.objects.get(name="e-SAV"),
        severity=Severity.MAJOR,
        subject="Coupure totale du service sur l'immeuble 12 rue des Lilas",
        contact_email="alice@alfa.example",
    )

    desk = new_page()
    log_in(desk, "agent@provider.example", totp=True)
    assert_accessible(desk)
    first_row = desk.get_by_role("table").get_by_role("row").nth(1)
    assert ticket.reference in first_row.inner_text()
    shoot(desk, "queue")
    first_row.get_by_role("link", name=ticket.reference).click()
    desk.wait_for_url(re.compile(rf"/desk/tickets/{ticket.reference}/$"))
    assert_accessible(desk)
    desk.get_by_role("button", name="Take charge").click()
    expect(desk.locator(".page-head").get_by_text("In progress")).to_be_visible()

    desk.get_by_text("Request information", exact=True).click()  # a <details> summary
    desk.get_by_label("Question to the operator (sent by e-mail)").fill(QUESTION)
    assert_accessible(desk)
    desk.get_by_role("button", name="Send the request").click()
    expect(desk.locator(".page-head").get_by_text("Waiting for information")).to_be_visible()

    question = wait_for_mail(
        stack.sink,
        lambda m: (
            ticket.reference in str(m["Subject"])
            and QUESTION in (m.get_body(preferencelist=("plain",)) or m).get_content()
        ),
    )
    answer_by_email(stack, question)

    wait_for_text(desk, "redémarré à 14 h 05")
    event = desk.locator(".event").filter(has_text="redémarré à 14 h 05")
    assert "a écrit" not in event.inner_text()
    assert "Cordialement" in event.inner_text()
    expect(desk.locator(".page-head").get_by_text("In progress")).to_be_visible()
    assert_accessible(desk)
    shoot(desk, "answer-received")

    desk.get_by_text("Resolve", exact=True).click()
    desk.get_by_label("Cause").fill("Carte de l'OLT défectueuse au NRO de Nantes-Est.")
    desk.get_by_label("Actions taken").fill("Remplacement de la carte, resynchronisation des ONT.")
    desk.get_by_label("Resolution summary").fill(
        "Service rétabli pour les 48 lignes de l'immeuble."
    )
    now = datetime.now(ZoneInfo("Europe/Paris"))
    desk.get_by_label("Service restored at").fill(now.strftime("%Y-%m-%dT%H:%M"))
    desk.get_by_role("button", name="Resolve and send the report").click()
    expect(desk.locator(".page-head").get_by_text("Resolved")).to_be_visible()
    assert_accessible(desk)

    report = wait_for_mail(
        stack.sink,
        lambda m: (
            ticket.reference in str(m["Subject"])
            and any(part.get_content_type() == "application/pdf" for part in m.iter_attachments())
        ),
    )
    pdf = next(p for p in report.iter_attachments() if p.get_content_type() == "application/pdf")
    assert pdf.get_content().startswith(b"%PDF")

    portal = new_page()
    log_in(portal, "alice@alfa.example")
    portal.goto(f"/portal/tickets/{ticket.reference}/")
    portal.get_by_role("button", name="Français").click()  # the language switch
    expect(portal.locator("html")).to_have_attribute("lang", "fr")
    expect(portal.locator(".page-head").get_by_text(re.compile(r"^Résolue?$"))).to_be_visible()
    assert_accessible(portal)
    shoot(portal, "operator-sees-resolution")
    with portal.expect_download() as download_info:
        portal.get_by_role("link", name="Télécharger le compte-rendu (PDF)").click()
    downloaded = download_info.value.path()
    assert Path(downloaded).read_bytes().startswith(b"%PDF")
