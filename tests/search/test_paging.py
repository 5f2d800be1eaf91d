"""Lists page by keyset: deep pages reachable, stable while tickets arrive, capped counts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import F
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation

from esoutien.core.paging import capped_count, keyset_page
from esoutien.tickets.models import Ticket
from tests.factories import file_ticket

pytestmark = pytest.mark.django_db

_NEXT = re.compile(r'href="\?([^"]*)" rel="next"')
_PREV = re.compile(r'href="\?([^"]*)" rel="prev"')
_REF = re.compile(r"ES-\d{4}-\d{6}")


@pytest.fixture(autouse=True)
def _static(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _rows(html: str) -> list[str]:
    # Each row links its reference once; keep the order, drop repeats within the row.
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return list(dict.fromkeys(_REF.findall(table)))


def _walk(
    client: Any, url: str, between: Any = None, query: str = ""
) -> tuple[list[list[str]], list[str]]:
    """Follow the "next" links from ``url?query``; returns the pages and the page queries."""
    pages: list[list[str]] = []
    queries: list[str] = []
    while True:
        html = client.get(f"{url}?{query}").content.decode()
        pages.append(_rows(html))
        queries.append(query)
        found = _NEXT.search(html)
        if not found:
            return pages, queries
        query = found.group(1).replace("&amp;", "&")
        if between:
            between(len(pages))


def _file(user: Any, operator: Any, eservice: Any, n: int) -> list[str]:
    return [file_ticket(user, operator, eservice, subject=f"Panne {i}").reference for i in range(n)]


def test_the_fiftieth_page_is_reachable_and_every_ticket_shows_once(
    client: Any, settings: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    settings.ESOUTIEN_PAGE_SIZE = 2
    filed = _file(alice, alfa, esav, 101)
    client.force_login(alice)
    pages, _ = _walk(client, reverse("portal:dashboard"))
    assert len(pages) == 51
    assert pages[49] == list(reversed(filed))[98:100]
    seen = [ref for page in pages for ref in page]
    assert seen == list(reversed(filed))  # newest first, none missing, none twice


def test_pages_stay_stable_while_tickets_are_filed_and_updated(
    client: Any, settings: Any, agent: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    settings.ESOUTIEN_PAGE_SIZE = 3
    filed = _file(alice, alfa, esav, 10)
    client.force_login(agent)
    arrivals: list[str] = []

    def meanwhile(page_number: int) -> None:
        arrivals.append(file_ticket(alice, alfa, esav, subject="Nouvelle").reference)

    pages, _ = _walk(client, reverse("desk:queue"), between=meanwhile)
    seen = [ref for page in pages for ref in page]
    assert len(seen) == len(set(seen))
    assert set(filed) <= set(seen)
    assert not set(arrivals) & set(seen[3:])  # newcomers never push rows into later pages


def test_the_urgency_order_pages_through_tickets_without_deadline(
    client: Any, settings: Any, agent: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    settings.ESOUTIEN_PAGE_SIZE = 2
    filed = _file(alice, alfa, esav, 7)
    now = timezone.now()
    # Two share a deadline, two have none (sorted last), the rest in between.
    due = [now + timedelta(hours=h) for h in (5, 1, 1, 3, 4)] + [None, None]
    for ref, when in zip(filed, due, strict=True):
        Ticket.objects.filter(reference=ref).update(sla_resolution_due=when)
    client.force_login(agent)
    pages, _ = _walk(client, reverse("desk:queue"))
    seen = [ref for page in pages for ref in page]
    expected = list(
        Ticket.objects.order_by(
            F("sla_resolution_due").asc(nulls_last=True), "-updated_at", "-id"
        ).values_list("reference", flat=True)
    )
    assert seen == expected
    assert seen[-2:] == [filed[6], filed[5]]


def test_previous_goes_back_to_the_same_rows(
    client: Any, settings: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    settings.ESOUTIEN_PAGE_SIZE = 3
    _file(alice, alfa, esav, 8)
    client.force_login(alice)
    url = reverse("portal:dashboard")
    first = client.get(url).content.decode()
    second = client.get(f"{url}?{_NEXT.search(first).group(1).replace('&amp;', '&')}")
    back = _PREV.search(second.content.decode()).group(1).replace("&amp;", "&")
    again = client.get(f"{url}?{back}").content.decode()
    assert _rows(again) == _rows(first)
    assert not _PREV.search(again)


def test_filters_are_kept_across_pages_and_a_forged_cursor_gives_the_first_page(
    client: Any, settings: Any, alice: Any, alfa: Any, esav: Any, ftte: Any
) -> None:
    settings.ESOUTIEN_PAGE_SIZE = 2
    on_ftte = [file_ticket(alice, alfa, ftte).reference for _ in range(3)]
    _file(alice, alfa, esav, 3)
    client.force_login(alice)
    pages, queries = _walk(client, reverse("portal:dashboard"), query="eservice=ftte")
    assert sorted(ref for page in pages for ref in page) == sorted(on_ftte)
    assert all("eservice=ftte" in q for q in queries)
    first = client.get(reverse("portal:dashboard"), {"cursor": "forged:value"})
    assert first.status_code == 200
    assert len(_rows(first.content.decode())) == 2


def test_counts_stop_at_the_cap(
    client: Any, settings: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    _file(alice, alfa, esav, 7)
    assert capped_count(Ticket.objects.all(), cap=5).capped
    assert str(capped_count(Ticket.objects.all(), cap=5)) == "5+"
    assert str(capped_count(Ticket.objects.all(), cap=10)) == "7"
    settings.ESOUTIEN_COUNT_CAP = 5
    client.force_login(alice)
    with translation.override("en"):
        client.cookies["django_language"] = "en"
        html = client.get(reverse("portal:dashboard")).content.decode()
    assert re.search(r'id="result-count">\s*5\+ tickets', html)


def test_the_cap_is_shown_with_a_thousands_separator() -> None:
    with translation.override("en"):
        from esoutien.core.paging import CappedCount

        assert str(CappedCount(10_000, True)) == "10,000+"


def test_keyset_page_on_annotated_search_results(alice: Any, alfa: Any, esav: Any) -> None:
    from esoutien.tickets import search

    filed = [
        file_ticket(alice, alfa, esav, subject="Fibre " * (1 + i % 3), description="x").reference
        for i in range(7)
    ]
    results = search.search_tickets(Ticket.objects.all(), "fibre")
    expected = [t.reference for t in results]
    params, seen = QueryDict(mutable=True), []
    while True:
        page = keyset_page(results, params, size=2)
        seen += [t.reference for t in page.object_list]
        if not page.has_next:
            break
        params["cursor"] = page.next_cursor
    assert seen == expected and sorted(seen) == sorted(filed)
