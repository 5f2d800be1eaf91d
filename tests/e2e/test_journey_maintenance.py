"""Journey 4: a supervisor publishes a maintenance window that makes e-soutien unavailable;
operators see the banner; once the window has started they get the maintenance page, and
the public status page says a maintenance is in progress.

The window starts a minute or two after it is published, in real time: the servers run
on the real clock."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from esoutien.accounts.models import User
from esoutien.operations import maintenance
from esoutien.operations.models import LIVE_STATES, MaintenanceWindow
from tests.e2e.pages import assert_accessible, log_in
from tests.e2e.servers import Stack

PARIS = ZoneInfo("Europe/Paris")
TITLE = "Migration of the e-soutien database"


def test_supervisor_publishes_a_maintenance(new_page: Any, stack: Stack, shoot: Any) -> None:
    try:
        maintenance_journey(new_page, shoot)
    finally:
        # The other journeys need e-soutien available: whatever happened, no window stays.
        supervisor = User.objects.get(email="supervisor@provider.example")
        live = MaintenanceWindow.objects.filter(title_en=TITLE, state__in=LIVE_STATES)
        for window in live:
            maintenance.cancel(supervisor, window.pk)


def maintenance_journey(new_page: Any, shoot: Any) -> None:
    # The next whole minute at least 45 s away: time to publish before it starts.
    start = (datetime.now(PARIS) + timedelta(seconds=105)).replace(second=0, microsecond=0)
    end = start + timedelta(hours=1)

    desk = new_page()
    log_in(desk, "supervisor@provider.example", totp=True)
    desk.goto("/desk/maintenance/new/")
    assert_accessible(desk)
    desk.get_by_label("Title (French)").fill("Migration de la base de données d'e-soutien")
    desk.get_by_label("Title (English)").fill(TITLE)
    desk.get_by_label("Start").fill(start.strftime("%Y-%m-%dT%H:%M"))
    desk.get_by_label("End").fill(end.strftime("%Y-%m-%dT%H:%M"))
    desk.get_by_label("e-soutien itself is unavailable (portal, desk and API)").check()
    desk.get_by_role("button", name="Continue").click()
    confirm = desk.get_by_role("button", name="Confirm and send the e-mails")
    expect(confirm).to_be_visible()
    assert_accessible(desk)
    shoot(desk, "confirm")
    confirm.click()
    expect(desk.get_by_role("status").filter(has_text="Maintenance published")).to_be_visible()
    assert_accessible(desk)

    # Before it starts: every operator page carries the banner.
    portal = new_page()
    log_in(portal, "alice@alfa.example")
    banner = portal.get_by_role("region", name="Planned maintenance")
    expect(banner).to_contain_text(TITLE)
    expect(banner).to_contain_text("e-soutien will be unavailable.")
    assert_accessible(portal)
    shoot(portal, "banner")

    # During the window: the maintenance page instead of the portal, and the status page.
    time.sleep(max(0.0, (start - datetime.now(PARIS)).total_seconds()) + 1)
    response = portal.goto("/portal/")
    assert response is not None and response.status == 503
    expect(portal.get_by_role("heading", level=1, name="Maintenance in progress")).to_be_visible()
    expect(portal.get_by_role("main")).to_contain_text(TITLE)
    assert_accessible(portal)
    shoot(portal, "maintenance-page")

    portal.get_by_role("link", name="Service status").click()
    portal.wait_for_url(re.compile(r"/statut"))
    deadline = time.monotonic() + 90  # the status snapshot is refreshed by the worker
    while not portal.get_by_text(re.compile("Maintenance in progress")).count():
        assert time.monotonic() < deadline, "the status page never said so"
        portal.wait_for_timeout(2000)
        portal.reload()
    expect(portal.get_by_text(TITLE).first).to_be_visible()
    assert_accessible(portal)
    shoot(portal, "status-page")

    # Staff keep working during the window: the supervisor ends it early (cancels it).
    window = MaintenanceWindow.objects.get(title_en=TITLE)
    desk.goto(f"/desk/maintenance/{window.pk}/cancel/")
    assert_accessible(desk)
    desk.get_by_role("button", name="Cancel the maintenance and send the e-mails").click()
    expect(desk.get_by_role("status").first).to_be_visible()
    portal.goto("/portal/")
    expect(portal.get_by_role("heading", level=1)).not_to_have_text("Maintenance in progress")
