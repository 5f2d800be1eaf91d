"""Filing a ticket: who may file for what, what is refused, what a valid filing produces."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from esoutien.core.errors import Forbidden, InvalidInput
from esoutien.mail.models import OutboundEmail, OutboundStatus
from esoutien.mail.tokens import verify_reply_token
from esoutien.tickets.models import Attachment, EventKind, Ticket, TicketEvent
from esoutien.tickets.states import Status
from tests.factories import (
    EServiceFactory,
    OperatorFactory,
    SubscriptionFactory,
    UserFactory,
    file_ticket,
)
from tests.support import stored_files

pytestmark = pytest.mark.django_db


def _log_file(name: str = "trace.log", content: bytes = b"ERROR 503 upstream\n") -> Any:
    return SimpleUploadedFile(name, content, content_type="text/plain")


def assert_nothing_saved(attachment_dir: Path) -> None:
    assert Ticket.objects.count() == 0
    assert TicketEvent.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert stored_files(attachment_dir) == []


def test_valid_filing_creates_ticket_event_attachment_and_one_acknowledgement(
    alice: Any, alfa: Any, esav: Any, attachment_dir: Path, settings: Any
) -> None:
    ticket = file_ticket(
        alice,
        alfa,
        esav,
        files=[_log_file()],
        line_reference="oo-ab12-cd34",
        operator_reference="  INC-778  ",
    )

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert re.fullmatch(r"ES-\d{4}-\d{6}", ticket.reference)
    assert ticket.status == Status.ACKNOWLEDGED
    assert (ticket.operator, ticket.eservice, ticket.created_by) == (alfa, esav, alice)
    assert ticket.line_reference == "OO-AB12-CD34"
    assert ticket.operator_reference == "INC-778"

    event = ticket.events.get()
    assert (event.kind, event.to_status, event.actor, event.public) == (
        EventKind.CREATED,
        Status.ACKNOWLEDGED,
        alice,
        True,
    )

    attachment = ticket.attachments.get()
    assert attachment.event == event
    assert (attachment.filename, attachment.size, attachment.public) == ("trace.log", 19, True)
    with attachment.file.open("rb") as fh:
        assert fh.read() == b"ERROR 503 upstream\n"
    assert len(stored_files(attachment_dir)) == 1

    ack = OutboundEmail.objects.get()
    assert ack.kind == "acknowledgement"
    assert ack.status == OutboundStatus.QUEUED
    assert ack.recipients == ["alice@alfa.example"]
    assert ack.thread_key == ticket.reference
    assert f"[{ticket.reference}]" in ack.subject
    assert ticket.reference in ack.text_body
    assert ticket.reference in ack.html_body
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", ack.message_id)
    local, _, domain = ack.reply_to.rpartition("@")
    assert domain == settings.ESOUTIEN_SUPPORT_ADDRESS.rpartition("@")[2]
    mailbox, _, token = local.partition("+")
    assert mailbox == settings.ESOUTIEN_SUPPORT_ADDRESS.rpartition("@")[0]
    assert verify_reply_token(token) == ticket.reference.lower()


def test_acknowledgement_goes_to_the_contact_given_in_the_form(
    alice: Any, alfa: Any, esav: Any
) -> None:
    file_ticket(alice, alfa, esav, contact_email=" NOC@Alfa.example ")
    assert OutboundEmail.objects.get().recipients == ["noc@alfa.example"]


def test_operator_cannot_file_for_an_eservice_it_does_not_subscribe_to(
    bob: Any, brav: Any, ftte: Any, attachment_dir: Path
) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        file_ticket(bob, brav, ftte, files=[_log_file()])
    assert "eservice" in excinfo.value.errors
    assert_nothing_saved(attachment_dir)


def test_ended_subscription_is_refused(alfa: Any, attachment_dir: Path) -> None:
    fci = EServiceFactory(code="fci", name="FCI")
    yesterday = timezone.localdate() - timedelta(days=1)
    SubscriptionFactory(
        operator=alfa, eservice=fci, start_date=date(2020, 1, 1), end_date=yesterday
    )
    user = UserFactory(operator=alfa)
    with pytest.raises(InvalidInput) as excinfo:
        file_ticket(user, alfa, fci, files=[_log_file()])
    assert "eservice" in excinfo.value.errors
    assert_nothing_saved(attachment_dir)


def test_subscription_ending_today_still_accepts_tickets(alfa: Any) -> None:
    fci = EServiceFactory(code="fci", name="FCI")
    SubscriptionFactory(
        operator=alfa, eservice=fci, start_date=date(2020, 1, 1), end_date=timezone.localdate()
    )
    assert file_ticket(UserFactory(operator=alfa), alfa, fci).pk is not None


def test_subscription_not_started_yet_is_refused(alfa: Any, attachment_dir: Path) -> None:
    fci = EServiceFactory(code="fci", name="FCI")
    SubscriptionFactory(
        operator=alfa, eservice=fci, start_date=timezone.localdate() + timedelta(days=1)
    )
    with pytest.raises(InvalidInput) as excinfo:
        file_ticket(UserFactory(operator=alfa), alfa, fci)
    assert "eservice" in excinfo.value.errors
    assert_nothing_saved(attachment_dir)


def test_subscription_dates_are_french_calendar_days(esav: Any) -> None:
    """A subscription starting on 1 January accepts a ticket at 00:30 that day, Paris time."""
    operator = OperatorFactory()
    SubscriptionFactory(operator=operator, eservice=esav, start_date=date(2027, 1, 1))
    user = UserFactory(operator=operator)
    with time_machine.travel("2027-01-01 00:30 +0100", tick=False):
        assert file_ticket(user, operator, esav).pk is not None


def test_inactive_eservice_is_refused(
    alice: Any, alfa: Any, esav: Any, attachment_dir: Path
) -> None:
    esav.is_active = False
    esav.save(update_fields=["is_active"])
    with pytest.raises(InvalidInput) as excinfo:
        file_ticket(alice, alfa, esav, files=[_log_file()])
    assert "eservice" in excinfo.value.errors
    assert_nothing_saved(attachment_dir)


def test_missing_eservice_is_refused(alice: Any, alfa: Any, attachment_dir: Path) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        file_ticket(alice, alfa, None)
    assert "eservice" in excinfo.value.errors
    assert_nothing_saved(attachment_dir)


def test_inactive_operator_is_refused(alice: Any, alfa: Any, esav: Any, attachment_dir: Path):
    alfa.is_active = False
    alfa.save(update_fields=["is_active"])
    with pytest.raises(InvalidInput):
        file_ticket(alice, alfa, esav)
    assert_nothing_saved(attachment_dir)


@pytest.mark.parametrize("line_reference", ["12345", "OO-AB12", "OO-AB12-CD345", "O1-AB12-CD34"])
def test_invalid_line_reference_is_refused_with_a_field_error(
    line_reference: str, alice: Any, alfa: Any, esav: Any, attachment_dir: Path
) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        file_ticket(alice, alfa, esav, line_reference=line_reference, files=[_log_file()])
    assert list(excinfo.value.errors) == ["line_reference"]
    assert_nothing_saved(attachment_dir)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": "   "}, "subject"),
        ({"description": ""}, "description"),
        ({"contact_email": "pas-une-adresse"}, "contact_email"),
        ({"kind": "complaint"}, "kind"),
        ({"severity": "blocking"}, "severity"),
    ],
)
def test_invalid_fields_are_refused(
    overrides: dict[str, str],
    field: str,
    alice: Any,
    alfa: Any,
    esav: Any,
    attachment_dir: Path,
) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        file_ticket(alice, alfa, esav, files=[_log_file()], **overrides)
    assert field in excinfo.value.errors
    assert_nothing_saved(attachment_dir)


def test_oversized_attachment_is_refused_before_anything_is_stored(
    alice: Any, alfa: Any, esav: Any, attachment_dir: Path, settings: Any
) -> None:
    settings.ESOUTIEN_ATTACHMENT_MAX_BYTES = 100
    files = [_log_file("small.txt", b"x" * 100), _log_file("big.txt", b"x" * 101)]
    with pytest.raises(InvalidInput) as excinfo:
        file_ticket(alice, alfa, esav, files=files)
    messages = excinfo.value.errors["attachments"]
    assert any("big.txt" in m for m in messages)
    assert not any("small.txt" in m for m in messages)
    assert_nothing_saved(attachment_dir)


@pytest.mark.parametrize("name", ["setup.exe", "script.EXE", "no-extension", "photo.png.exe"])
def test_forbidden_file_type_is_refused_before_anything_is_stored(
    name: str, alice: Any, alfa: Any, esav: Any, attachment_dir: Path
) -> None:
    files = [_log_file(), _log_file(name, b"MZ\x90\x00")]
    with pytest.raises(InvalidInput) as excinfo:
        file_ticket(alice, alfa, esav, files=files)
    assert any(name in m for m in excinfo.value.errors["attachments"])
    assert_nothing_saved(attachment_dir)


def test_empty_file_is_refused(alice: Any, alfa: Any, esav: Any, attachment_dir: Path) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        file_ticket(alice, alfa, esav, files=[_log_file("vide.txt", b"")])
    assert "attachments" in excinfo.value.errors
    assert_nothing_saved(attachment_dir)


def test_too_many_files_are_refused(
    alice: Any, alfa: Any, esav: Any, attachment_dir: Path, settings: Any
) -> None:
    settings.ESOUTIEN_ATTACHMENT_MAX_FILES = 2
    files = [_log_file(f"trace{i}.log") for i in range(3)]
    with pytest.raises(InvalidInput) as excinfo:
        file_ticket(alice, alfa, esav, files=files)
    assert "attachments" in excinfo.value.errors
    assert_nothing_saved(attachment_dir)


def test_path_in_uploaded_file_name_is_not_followed(
    alice: Any, alfa: Any, esav: Any, attachment_dir: Path
) -> None:
    ticket = file_ticket(alice, alfa, esav, files=[_log_file("../../../etc/passwd.txt")])
    attachment = ticket.attachments.get()
    assert attachment.filename == "passwd.txt"
    (stored,) = stored_files(attachment_dir)
    assert stored.resolve().is_relative_to(attachment_dir.resolve())


def test_operator_user_cannot_file_for_another_operator(
    alice: Any, brav: Any, esav: Any, attachment_dir: Path
) -> None:
    with pytest.raises(Forbidden):
        file_ticket(alice, brav, esav, files=[_log_file()])
    assert_nothing_saved(attachment_dir)


def test_desk_files_on_behalf_of_an_operator(agent: Any, alfa: Any, ftte: Any) -> None:
    ticket = file_ticket(agent, alfa, ftte, contact_email="noc@alfa.example")
    assert (ticket.operator, ticket.created_by) == (alfa, agent)
    assert OutboundEmail.objects.get().recipients == ["noc@alfa.example"]


def test_desk_cannot_file_for_an_eservice_the_operator_does_not_subscribe_to(
    agent: Any, brav: Any, ftte: Any, attachment_dir: Path
) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        file_ticket(agent, brav, ftte, contact_email="noc@brav.example")
    assert "eservice" in excinfo.value.errors
    assert_nothing_saved(attachment_dir)


def test_filing_that_fails_late_leaves_no_file_behind(
    alice: Any, alfa: Any, esav: Any, attachment_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the transaction rolls back after the files were written, they are removed too."""

    def broken_acknowledgement(ticket: Ticket) -> None:
        raise RuntimeError("template error while writing the acknowledgement")

    monkeypatch.setattr("esoutien.tickets.notifications.acknowledgement", broken_acknowledgement)
    with pytest.raises(RuntimeError):
        file_ticket(alice, alfa, esav, files=[_log_file()])
    assert_nothing_saved(attachment_dir)
