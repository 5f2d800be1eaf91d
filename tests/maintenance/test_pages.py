"""The desk's maintenance pages (with their confirmation step), the opt-in, the calendar feed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from icalendar import Calendar

from esoutien.mail.models import OutboundEmail
from esoutien.operations.models import MaintenanceSubscription, MaintenanceWindow, WindowState
from tests.factories import ManagerFactory
from tests.maintenance.conftest import publish

pytestmark = pytest.mark.django_db

FORM = {
    "title_fr": "Migration de la base de données",
    "title_en": "",
    "starts_at": "2026-12-05T22:00",
    "ends_at": "2026-12-06T00:30",
    "affects_portal": "on",
    "description_fr": "",
    "description_en": "",
}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def test_a_supervisor_plans_a_window_after_seeing_how_many_will_be_mailed(
    clock: Any, contacts: dict[str, list[str]], supervisor: Any
) -> None:
    client = _client(supervisor)
    assert client.get("/desk/maintenance/new/").status_code == 200

    page = client.post("/desk/maintenance/new/", FORM)
    assert page.status_code == 200
    assert b'id="confirm"' in page.content
    assert b"will be sent to 3 addresses" in page.content
    assert not MaintenanceWindow.objects.exists()

    response = client.post("/desk/maintenance/new/", {**FORM, "confirmed": "yes"})
    assert response.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.starts_at == datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
    assert window.created_by == supervisor
    assert OutboundEmail.objects.count() == 3
    listing = client.get("/desk/maintenance/").content.decode()
    assert f'id="window-{window.pk}"' in listing
    assert "Saturday 5 December 2026" in listing


def test_changing_and_cancelling_from_the_desk(
    clock: Any, contacts: dict[str, list[str]], supervisor: Any
) -> None:
    window = publish(supervisor)
    client = _client(supervisor)
    edit = f"/desk/maintenance/{window.pk}/"
    assert b'value="2026-12-05T22:00"' in client.get(edit).content
    moved = {**FORM, "starts_at": "2026-12-12T22:00", "ends_at": "2026-12-13T00:30"}
    page = client.post(edit, moved)
    assert b"The new dates will be announced (REPLANIFICATION)." in page.content
    assert client.post(edit, {**moved, "confirmed": "yes"}).status_code == 302
    window.refresh_from_db()
    assert (window.state, window.sequence) == (WindowState.RESCHEDULED, 1)

    cancel = f"/desk/maintenance/{window.pk}/cancel/"
    assert b"to 3 addresses" in client.get(cancel).content
    client.post(cancel, {})  # no confirmation: nothing happens
    window.refresh_from_db()
    assert window.state == WindowState.RESCHEDULED
    client.post(cancel, {"confirmed": "yes"})
    window.refresh_from_db()
    assert window.state == WindowState.CANCELLED
    assert OutboundEmail.objects.filter(kind="maintenance_cancelled").count() == 3


def test_agents_and_operators_cannot_manage_windows(
    clock: Any, contacts: dict[str, list[str]], agent: Any, alice: Any
) -> None:
    window = publish()
    for user in (agent, alice):
        client = _client(user)
        assert client.get("/desk/maintenance/").status_code == 403
        response = client.post(f"/desk/maintenance/{window.pk}/cancel/", {"confirmed": "yes"})
        assert response.status_code == 403
    window.refresh_from_db()
    assert window.state == WindowState.PLANNED


def test_anyone_signed_in_opts_in_to_the_announcements(clock: Any, alice: Any) -> None:
    client = _client(alice)
    assert b'id="maintenance-subscribe"' in client.get("/maintenance/").content
    client.post("/maintenance/subscription/", {"subscribe": "on"})
    assert MaintenanceSubscription.objects.filter(user=alice).exists()
    assert b'id="maintenance-unsubscribe"' in client.get("/maintenance/").content
    client.post("/maintenance/subscription/", {"subscribe": "off"})
    assert not MaintenanceSubscription.objects.filter(user=alice).exists()


def test_operator_managers_get_a_secret_calendar_address_they_can_replace(
    clock: Any, contacts: dict[str, list[str]], brav: Any, bob: Any, ftte: Any
) -> None:
    shown = publish()
    publish(title_fr="Sans BRAV", affects_portal=False, eservices=[ftte.code])
    manager = _client(ManagerFactory(operator=brav))
    assert b'id="feed-url"' not in manager.get("/maintenance/").content
    manager.post("/maintenance/feed/regenerate/")
    page = manager.get("/maintenance/").content.decode()
    url = page.split('id="feed-url" readonly value="')[1].split('"')[0]
    assert url.startswith("http://testserver/maintenance/calendar/") and url.endswith(".ics")

    feed = Client().get(url)  # calendar applications do not log in
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [shown.uid]  # BRAV: no FTTE

    manager.post("/maintenance/feed/regenerate/")
    assert Client().get(url).status_code == 404  # the old address stops working
    assert _client(bob).post("/maintenance/feed/regenerate/").status_code == 403
