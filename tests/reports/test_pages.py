"""The report pages: the desk's for supervisors, "Mes indicateurs" for operator users, their
CSV exports, the chart and its table, the empty state."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import SubscriptionFactory, UserFactory
from tests.reports.conftest import Month, paris, sla_ticket

pytestmark = pytest.mark.django_db

DESK = reverse("desk:sla_report")
DESK_CSV = reverse("desk:sla_report_export")
MINE = reverse("portal:indicators")
MINE_CSV = reverse("portal:indicators_export")
MARCH = "?month=2025-03"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _table_pairs(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr data-operator="([^"]*)" data-eservice="([^"]*)">', html)


def _main(html: str) -> str:
    """The page's content (the header's language form echoes the query string)."""
    return html[html.index('<main id="main"') : html.index("</main>")]


def _csv_rows(response: Any) -> list[dict[str, str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def test_supervisors_see_every_operator(march: Month, supervisor: Any) -> None:
    response = _client(supervisor).get(DESK + MARCH)

    assert response.status_code == 200
    html = response.content.decode()
    assert _table_pairs(html) == [("ALFA", "esav"), ("ALFA", "ftte"), ("BRAV", "esav")]
    assert "<tr data-total>" in html
    assert "66.7\u00a0%" in html  # ALFA × e-SAV taken in charge on time, 2 of 3
    assert "(2/3)" in html
    assert "0 h 30 min" in html  # its median take-charge time (1800 s)


def test_operator_users_see_only_their_operator(march: Month, alice: Any) -> None:
    client = _client(alice)

    page = client.get(MINE + MARCH).content.decode()
    forged = client.get(MINE + MARCH + f"&operator={march.brav.code}").content.decode()
    forged_id = client.get(MINE + MARCH + f"&operator={march.brav.pk}").content.decode()

    assert [e for _, e in _table_pairs(page)] == ["esav", "ftte"]
    assert "Bravo Fibre" not in page
    for other in (forged, forged_id):
        assert _table_pairs(other) == _table_pairs(page)
        assert _main(other) == _main(page)  # the parameter changed nothing
    assert client.get(DESK + MARCH).status_code == 403


def test_an_operator_cannot_pick_an_eservice_it_never_subscribed(march: Month, bob: Any) -> None:
    response = _client(bob).get(MINE + MARCH + "&eservice=ftte")

    assert response.status_code == 200
    assert _table_pairs(response.content.decode()) == []
    assert 'class="error-summary"' in response.content.decode()
    assert _client(bob).get(MINE_CSV + MARCH + "&eservice=ftte").status_code == 400


def test_agents_get_no_report(march: Month, agent: Any) -> None:
    client = _client(agent)

    assert client.get(DESK + MARCH).status_code == 403
    assert client.get(DESK_CSV + MARCH).status_code == 403
    assert client.get(MINE + MARCH).status_code == 403


def test_the_csv_is_the_table(march: Month, supervisor: Any) -> None:
    client = _client(supervisor)
    html = client.get(DESK + MARCH).content.decode()

    response = client.get(DESK_CSV + MARCH)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="sla-2025-03.csv"' in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert [(r["Operator code"], r["E-service code"]) for r in rows[:-1]] == _table_pairs(html)
    alfa_esav = rows[0]
    assert alfa_esav["Period"] == "2025-03"
    assert alfa_esav["Tickets"] == "4"
    assert alfa_esav["Taken in charge on time"] == "2"
    assert alfa_esav["Take-charge outcomes known"] == "3"
    assert alfa_esav["Taken in charge on time (%)"] == "66.7"
    assert alfa_esav["Median take-charge time (business hours)"] == "0.50"
    assert alfa_esav["90th percentile take-charge time (business hours)"] == "1.30"
    assert alfa_esav["Resolved on time (%)"] == "50.0"
    assert alfa_esav["Median resolution time (business hours)"] == f"{23600 / 3600:.2f}"
    assert (alfa_esav["Take-charge breaches"], alfa_esav["Resolution breaches"]) == ("1", "1")
    brav = rows[2]
    assert (
        brav["Resolved on time (%)"] == "" and brav["Median resolution time (business hours)"] == ""
    )
    total = rows[-1]
    assert (total["Operator"], total["Tickets"], total["Taken in charge on time"]) == (
        "Total",
        "7",
        "5",
    )


def test_the_operators_csv_holds_only_their_rows(march: Month, alice: Any) -> None:
    response = _client(alice).get(MINE_CSV + MARCH + f"&operator={march.brav.code}")

    rows = _csv_rows(response)
    assert {r["Operator code"] for r in rows[:-1]} == {"ALFA"}
    assert rows[-1]["Tickets"] == "5"
    assert "BRAV" not in response.content.decode()


def test_the_chart_is_an_accessible_svg_with_a_table(march: Month, supervisor: Any) -> None:
    html = _client(supervisor).get(DESK + MARCH).content.decode()

    svg_markup = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg_markup is not None
    svg = ET.fromstring(svg_markup.group(0))  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{ns}title"), svg.find(f"{ns}desc")
    assert title is not None and "April 2024" in title.text and "March 2025" in title.text
    assert desc is not None and "March 2025" in desc.text and "83.3" in desc.text
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    # March's two bars and February's single one (no resolution outcome in February).
    assert len([r for r in svg.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]) == 3
    trend = re.search(
        r'<table class="tickets sla-trend" id="sla-trend-table">.*?</table>', html, re.S
    )
    assert trend is not None
    assert len(re.findall(r"<tr data-month=", trend.group(0))) == 12
    assert '<tr data-month="2025-03">' in trend.group(0)


def test_an_empty_month_says_so(march: Month, supervisor: Any) -> None:
    html = _client(supervisor).get(DESK + "?month=2024-06").content.decode()

    assert "No ticket was filed in this period." in html
    assert 'id="sla-table"' not in html and 'id="sla-export"' not in html


def test_a_wrong_month_is_explained(supervisor: Any) -> None:
    client = _client(supervisor)

    response = client.get(DESK + "?month=2025-13")

    assert response.status_code == 200
    assert "Enter a month as YYYY-MM" in response.content.decode()
    assert client.get(DESK_CSV + "?month=march").status_code == 400


def test_the_default_is_the_current_month(march: Month, supervisor: Any) -> None:
    with time_machine.travel(paris(2025, 3, 20, 12), tick=False):
        html = _client(supervisor).get(DESK).content.decode()

    assert "Figures for March 2025" in html
    assert len(_table_pairs(html)) == 3


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_page_costs_the_same_queries_whatever_the_data(march: Month, supervisor: Any) -> None:
    client = _client(supervisor)
    path = DESK + MARCH + "&span=year"
    client.get(path)  # the session's first-request writes out of the way
    before = _queries(client, path)
    for k in range(3):
        user = UserFactory()
        SubscriptionFactory(operator=user.operator, eservice=march.esav)
        for day in (3, 4):
            sla_ticket(user, user.operator, march.esav, paris(2025, 3, day, 10 + k), take=60)

    assert _queries(client, path) == before
    assert len(_table_pairs(client.get(path).content.decode())) == 6


def test_navigation_links(march: Month, supervisor: Any, alice: Any) -> None:
    assert f'href="{DESK}"' in _client(supervisor).get(DESK).content.decode()
    assert f'href="{MINE}"' in _client(alice).get(MINE).content.decode()
