"""Maintenance announcements reach every contact concerned, once, over real SMTP, in French
with Paris dates and a calendar file that calendars accept and update in place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from icalendar import Calendar

from esoutien.mail import outbound
from esoutien.mail.models import OutboundEmail
from esoutien.operations import announcements, maintenance
from esoutien.operations.models import (
    AnnouncementKind,
    MaintenanceAnnouncement,
    MaintenanceSubscription,
    WindowState,
)
from tests.factories import SupervisorFactory, UserFactory
from tests.maintenance.conftest import END, START, publish
from tests.support import SmtpSink

pytestmark = pytest.mark.django_db


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return " ".join(body.get_content().split())


def _html(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return " ".join(body.get_content().split())


def _calendar(message: EmailMessage) -> Calendar:
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "maintenance.ics"
    content = part.get_content()
    return Calendar.from_ical(content.encode() if isinstance(content, str) else content)


def _event(message: EmailMessage) -> Any:
    (event,) = _calendar(message).walk("VEVENT")
    return event


def _by_recipient(sink: SmtpSink) -> dict[str, EmailMessage]:
    out = {}
    for envelope, message in zip(sink.envelopes, sink.messages, strict=True):
        (rcpt,) = envelope.rcpt_tos  # one message per recipient
        assert rcpt not in out, f"{rcpt} received the announcement twice"
        out[rcpt] = message
    return out


def test_publication_is_delivered_over_smtp_in_french_with_a_valid_ics(
    clock: Any, contacts: dict[str, list[str]], smtp_sink: SmtpSink, supervisor: Any
) -> None:
    window = publish(supervisor)

    assert outbound.deliver_due() == 3
    received = _by_recipient(smtp_sink)
    assert sorted(received) == sorted(contacts["ALFA"] + contacts["BRAV"])
    message = received["noc@alfa.example"]
    text = _text(message)
    assert "Migration de la base de données" in str(message["Subject"])
    assert "samedi 5 décembre 2026 à 22 h 00" in str(message["Subject"])
    assert "samedi 5 décembre 2026 à 22 h 00" in text
    assert "dimanche 6 décembre 2026 à 00 h 30" in text
    assert "2 h 30" in text
    assert "Mise à jour de PostgreSQL et du stockage." in text
    assert "samedi 5 décembre 2026 à 22 h 00" in _html(message)
    assert message["Auto-Submitted"] == "auto-generated"

    calendar = _calendar(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    event = _event(message)
    assert str(event["UID"]) == window.uid
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Migration de la base de données"
    assert str(event["STATUS"]) == "CONFIRMED"


def test_an_english_speaking_user_who_opted_in_gets_it_in_english(
    clock: Any, contacts: dict[str, list[str]], smtp_sink: SmtpSink, alfa: Any
) -> None:
    user = UserFactory(email="eng@alfa.example", operator=alfa, language="en")
    maintenance.set_subscription(user, True)
    publish()
    outbound.deliver_due()

    message = _by_recipient(smtp_sink)["eng@alfa.example"]
    assert "Saturday 5 December 2026" in _text(message)
    assert "2 h 30" in _text(message)
    assert str(_event(message)["SUMMARY"]) == "Database migration"
    # The operator's contacts (no account) stay in French.
    assert "samedi 5 décembre 2026" in _text(_by_recipient(smtp_sink)["noc@alfa.example"])


def test_rescheduling_then_cancelling_updates_the_same_calendar_event(
    clock: Any, contacts: dict[str, list[str]], smtp_sink: SmtpSink, supervisor: Any
) -> None:
    window = publish(supervisor)
    outbound.deliver_due()
    new_start, new_end = START + timedelta(days=7), END + timedelta(days=7, hours=1)

    maintenance.change(supervisor, window.pk, starts_at=new_start, ends_at=new_end)
    outbound.deliver_due()
    window.refresh_from_db()
    assert (window.state, window.sequence) == (WindowState.RESCHEDULED, 1)
    rescheduled = [m for m in smtp_sink.messages if "samedi 12 décembre" in _text(m)]
    assert len(rescheduled) == 3
    assert "samedi 5 décembre 2026 à 22 h 00" in _text(rescheduled[0])  # previously planned
    assert "3 h 30" in _text(rescheduled[0])
    event = _event(rescheduled[0])
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (window.uid, 1)
    assert event.decoded("DTSTART") == new_start.astimezone(UTC)

    maintenance.cancel(supervisor, window.pk)
    outbound.deliver_due()
    assert len(smtp_sink.messages) == 9
    cancelled = smtp_sink.messages[-1]
    assert str(_calendar(cancelled)["METHOD"]) == "CANCEL"
    event = _event(cancelled)
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (window.uid, 2)
    assert str(event["STATUS"]) == "CANCELLED"


def test_a_window_on_an_e_service_is_announced_to_its_subscribers_only(
    clock: Any, contacts: dict[str, list[str]], ftte: Any, supervisor: Any
) -> None:
    other_supervisor = SupervisorFactory(email="astreinte@fournisseur.example")
    MaintenanceSubscription.objects.create(user=other_supervisor)
    publish(supervisor, affects_portal=False, eservices=[ftte.code])  # BRAV has no FTTE

    recipients = sorted(a for e in OutboundEmail.objects.all() for a in e.recipients)
    assert recipients == sorted([*contacts["ALFA"], "astreinte@fournisseur.example"])


def test_each_recipient_gets_each_announcement_once_across_a_worker_restart(
    clock: Any, contacts: dict[str, list[str]], smtp_sink: SmtpSink, supervisor: Any
) -> None:
    window = publish(supervisor)
    assert outbound.deliver_due() == 3

    # The reminder task runs (23 h before), the worker dies after sending, restarts and
    # runs every periodic task again.
    clock.move_to(START - timedelta(hours=23))
    assert maintenance.send_due_reminders() == 1
    assert outbound.deliver_due() == 3
    assert maintenance.send_due_reminders() == 0
    assert maintenance.finish_ended() == 0
    assert outbound.deliver_due() == 0
    # Even the announcement itself, replayed, writes nothing...
    assert announcements.announce(window, AnnouncementKind.REMINDER) is None
    # ...and without its guard row, the outbox's per-recipient keys still refuse copies.
    MaintenanceAnnouncement.objects.filter(kind=AnnouncementKind.REMINDER).delete()
    announcements.announce(window, AnnouncementKind.REMINDER)
    assert outbound.deliver_due() == 0

    received = [e.rcpt_tos[0] for e in smtp_sink.envelopes]
    assert sorted(received) == sorted(2 * (contacts["ALFA"] + contacts["BRAV"]))
    reminders = [m for m in smtp_sink.messages if "samedi 5 décembre" in str(m["Subject"])]
    assert len(reminders) == 6  # the publication and the reminder, to three addresses


def test_the_reminder_delay_is_configurable_and_a_late_publication_counts_as_reminder(
    clock: Any, contacts: dict[str, list[str]], settings: Any
) -> None:
    settings.ESOUTIEN_MAINTENANCE_REMINDER_HOURS = 48
    window = publish()
    clock.move_to(START - timedelta(hours=49))
    assert maintenance.send_due_reminders() == 0
    clock.move_to(START - timedelta(hours=47))
    assert maintenance.send_due_reminders() == 1
    window.refresh_from_db()
    assert window.reminder_sent_at is not None

    late = publish(starts_at=START - timedelta(hours=2), ends_at=START)
    assert late.reminder_sent_at is not None
    assert maintenance.send_due_reminders() == 0
    kinds = list(late.announcements.values_list("kind", flat=True))
    assert kinds == [AnnouncementKind.PUBLISHED]


def test_a_window_is_closed_after_its_end_and_that_is_announced(
    clock: Any, contacts: dict[str, list[str]], smtp_sink: SmtpSink
) -> None:
    window = publish()
    clock.move_to(END - timedelta(seconds=1))
    assert maintenance.finish_ended() == 0
    clock.move_to(END)
    assert maintenance.finish_ended() == 1
    assert maintenance.finish_ended() == 0
    window.refresh_from_db()
    assert window.state == WindowState.FINISHED
    outbound.deliver_due()
    finished = [m for m in smtp_sink.messages if not list(m.iter_attachments())]
    assert len(finished) == 3  # the end is told without a calendar file


def test_a_closed_window_cannot_change(clock: Any, contacts: dict[str, list[str]]) -> None:
    window = publish()
    maintenance.cancel(None, window.pk)
    with pytest.raises(maintenance.WindowClosed):
        maintenance.change(None, window.pk, title_fr="Autre titre")
    with pytest.raises(maintenance.WindowClosed):
        maintenance.cancel(None, window.pk)
