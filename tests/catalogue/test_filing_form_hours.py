"""The operator's filing form states the support hours of each subscribed e-service."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from esoutien.catalogue.models import OpeningInterval, SupportCalendar

pytestmark = pytest.mark.django_db


def test_the_filing_form_lists_support_hours_under_the_eservice_choice(
    client: Client, alice: Any, esav: Any, ftte: Any
) -> None:
    calendar = SupportCalendar.objects.create(name="e-SAV")
    for day in range(6):
        OpeningInterval.objects.create(calendar=calendar, weekday=day, start=time(8), end=time(18))
    esav.support_calendar = calendar
    esav.save()  # Éligibilité FTTE has no calendar: nothing is said about it
    client.force_login(alice)
    client.cookies["django_language"] = "en"

    page = client.get(reverse("portal:ticket_new")).content.decode()

    select = re.search(r'<select name="eservice"[^>]*>', page)
    assert select and 'aria-describedby="eservice-hours"' in select.group(0)
    block = page[page.index('id="eservice-hours"') :]
    block = block[: block.index("</div>")]
    assert "e-SAV: handled Monday to Saturday, 8:00 to 18:00, except public holidays" in block
    assert "FTTE" not in block


def test_no_hours_block_when_no_eservice_has_a_calendar(
    client: Client, alice: Any, esav: Any
) -> None:
    client.force_login(alice)
    page = client.get(reverse("portal:ticket_new")).content.decode()
    assert "eservice-hours" not in page
