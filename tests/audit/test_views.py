"""The supervisors' audit page: search, paging, CSV export; nobody else may see it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from esoutien.audit import export
from esoutien.audit.models import AuditEvent
from esoutien.audit.recorder import record
from tests.factories import AdministratorFactory, ManagerFactory

pytestmark = pytest.mark.django_db

LIST = reverse("audit:list")
EXPORT = reverse("audit:export")


@pytest.fixture
def journal(supervisor_client: Client, alice: Any, bob: Any, agent: Any) -> None:
    """A few records at known dates (UTC)."""
    record(
        "login",
        actor=alice,
        data={"method": "password"},
        at=datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
    )
    record(
        "login_failed",
        email='=HYPERLINK("http://evil.example")',
        outcome="failure",
        at=datetime(2026, 3, 3, 22, 45, tzinfo=UTC),  # 23:45 in Paris, still 3 March
    )
    record(
        "login_failed",
        actor=bob,
        outcome="failure",
        at=datetime(2026, 3, 3, 23, 15, tzinfo=UTC),  # 00:15 on 4 March in Paris
    )
    record(
        "admin_change",
        actor=agent,
        target="accounts.operator Alfa Télécom (ALFA)",
        data={"change": "changed", "message": "Nom modifié."},
        at=datetime(2026, 3, 5, 12, 0, tzinfo=UTC),
    )


@pytest.fixture
def supervisor_client(supervisor: Any) -> Client:
    client = Client()
    client.force_login(supervisor)
    AuditEvent.objects.all().delete()  # the journal of each test starts empty
    return client


def _listed(response: Any) -> list[tuple[str, str]]:
    return [(e.action, e.actor_email) for e in response.context["page"].object_list]


@pytest.mark.usefixtures("journal")
def test_a_supervisor_searches_the_journal(supervisor_client: Client) -> None:
    page = supervisor_client.get(LIST)
    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 4
    html = page.content.decode()
    assert "accounts.operator Alfa Télécom (ALFA)" in html
    assert 'scope="col"' in html

    by_action = supervisor_client.get(LIST, {"action": "login_failed"})
    assert [a for a, _ in _listed(by_action)] == ["login_failed", "login_failed"]
    by_account = supervisor_client.get(LIST, {"email": "ALICE@alfa"})
    assert _listed(by_account) == [("login", "alice@alfa.example")]
    by_operator = supervisor_client.get(LIST, {"operator": "brav"})
    assert _listed(by_operator) == [("login_failed", "bob@brav.example")]
    by_outcome = supervisor_client.get(LIST, {"outcome": "failure"})
    assert len(_listed(by_outcome)) == 2
    # Dates are days in Europe/Paris, both ends included.
    one_day = supervisor_client.get(LIST, {"date_from": "2026-03-03", "date_to": "2026-03-03"})
    assert [e.created_at.day for e in one_day.context["page"].object_list] == [3]
    from_fourth = supervisor_client.get(LIST, {"date_from": "2026-03-04"})
    assert [a for a, _ in _listed(from_fourth)] == ["admin_change", "login_failed"]
    backwards = supervisor_client.get(LIST, {"date_from": "2026-03-05", "date_to": "2026-03-01"})
    assert backwards.context["form"].errors
    assert _listed(backwards) == []


def test_the_journal_pages_with_a_fixed_number_of_queries(
    supervisor_client: Client, settings: Any, alice: Any
) -> None:
    settings.ESOUTIEN_PAGE_SIZE = 5
    for n in range(12):
        record("login", actor=alice, data={"n": n})
    supervisor_client.get(LIST)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as first:
        page = supervisor_client.get(LIST, {"action": "login"})
    assert len(page.context["page"].object_list) == 5
    assert page.context["page"].paginator.num_pages == 3
    with CaptureQueriesContext(connection) as last:
        page3 = supervisor_client.get(LIST, {"action": "login", "page": 3})
    assert len(page3.context["page"].object_list) == 2
    # Whatever the page: one count and one page of rows (the rest is session and middleware).
    assert len(first) == len(last)
    audit_queries = [q for q in last.captured_queries if "audit_auditevent" in q["sql"]]
    assert len(audit_queries) == 2
    assert "action=login&amp;page=2" in page.content.decode()


@pytest.mark.usefixtures("journal")
def test_the_csv_export_follows_the_filter_for_a_french_spreadsheet(
    supervisor_client: Client, supervisor: Any
) -> None:
    response = supervisor_client.get(EXPORT, {"action": "login_failed"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="journal-audit-')
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads it as UTF-8
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    with translation.override("fr"):
        assert rows[0] == export.header()  # date, action, outcome, account, operator, …
    assert len(rows[0]) == 8
    assert len(rows) == 3
    # Newest first; dates in Paris time.
    assert rows[1][0] == "2026-03-04 00:15:00"
    assert rows[1][3:5] == ["bob@brav.example", "BRAV"]
    assert rows[2][0] == "2026-03-03 23:45:00"
    # A typed e-mail that looks like a formula is neutralised.
    assert rows[2][3] == '\'=HYPERLINK("http://evil.example")'
    # The export itself is recorded, with its criteria.
    [exported] = AuditEvent.objects.filter(action="audit_exported")
    assert exported.actor == supervisor
    assert exported.data == {"action": "login_failed"}


@pytest.mark.usefixtures("journal")
def test_the_csv_export_has_details_and_objects(supervisor_client: Client) -> None:
    response = supervisor_client.get(EXPORT, {"email": "agent@"})
    rows = list(
        csv.reader(
            io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")), delimiter=";"
        )
    )
    [row] = rows[1:]
    assert row[0] == "2026-03-05 13:00:00"
    assert row[6] == "accounts.operator Alfa Télécom (ALFA)"
    assert row[7] == '{"change": "changed", "message": "Nom modifié."}'


def test_an_administrator_may_read_the_journal(client: Client) -> None:
    client.force_login(AdministratorFactory())
    assert client.get(LIST).status_code == 200
    assert client.get(EXPORT).status_code == 200


@pytest.mark.parametrize("url", [LIST, EXPORT])
def test_agents_and_operator_users_are_refused_and_recorded(
    client: Client, agent: Any, alfa: Any, url: str
) -> None:
    manager = ManagerFactory(operator=alfa)
    for user in (agent, manager):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 403
        assert b"journal-audit" not in response.content
    denials = AuditEvent.objects.filter(action="permission_denied").order_by("id")
    assert [(e.actor, e.target) for e in denials] == [(agent, url), (manager, url)]
    assert not AuditEvent.objects.filter(action="audit_exported").exists()


def test_anonymous_visitors_are_sent_to_login(client: Client) -> None:
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_supervisors_see_the_link_in_the_desk_menu(
    supervisor_client: Client, client: Client, agent: Any
) -> None:
    assert LIST in supervisor_client.get(reverse("desk:queue")).content.decode()
    client.force_login(agent)
    assert LIST not in client.get(reverse("desk:queue")).content.decode()
