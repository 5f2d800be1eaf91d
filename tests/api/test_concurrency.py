"""Idempotency-Key and cursor pagination, including under concurrent requests.

These tests commit (``transaction=True``): the threads have their own database connections
and must see each other's writes, as in production.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from esoutien.api.models import IdempotencyRecord
from esoutien.core import clock
from esoutien.mail.models import OutboundEmail
from esoutien.tickets.models import Ticket
from tests.api.conftest import Api, problem, ticket_body
from tests.factories import file_ticket


def _in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together; their results in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    return results


# --- Idempotency-Key -------------------------------------------------------------------------


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_ticket(as_alice: Api) -> None:
    body = ticket_body()
    first = as_alice.post("tickets", body, **{"Idempotency-Key": "k-1"})
    again = as_alice.post("tickets", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Ticket.objects.count() == 1
    assert OutboundEmail.objects.count() == 1  # one acknowledgement
    # Another key, or none: another ticket.
    assert as_alice.post("tickets", body, **{"Idempotency-Key": "k-2"}).status_code == 201
    assert as_alice.post("tickets", body).status_code == 201
    assert Ticket.objects.count() == 3


@pytest.mark.django_db
def test_same_key_other_body_is_409(as_alice: Api) -> None:
    assert as_alice.post("tickets", ticket_body(), **{"Idempotency-Key": "k"}).status_code == 201
    response = as_alice.post("tickets", ticket_body(subject="Autre"), **{"Idempotency-Key": "k"})
    problem(response, 409, "idempotency_key_reused")
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_per_user(as_alice: Api, as_bob: Api) -> None:
    a = as_alice.post("tickets", ticket_body(), **{"Idempotency-Key": "shared"})
    b = as_bob.post("tickets", ticket_body(), **{"Idempotency-Key": "shared"})
    assert a.status_code == b.status_code == 201
    assert a.json()["reference"] != b.json()["reference"]
    assert b.json()["operator"] == "BRAV"


@pytest.mark.django_db
def test_refused_request_does_not_burn_the_key(as_bob: Api) -> None:
    problem(
        as_bob.post("tickets", ticket_body("ftte"), **{"Idempotency-Key": "k"}),
        422,
        "not_subscribed",
    )
    assert IdempotencyRecord.objects.count() == 0
    assert as_bob.post("tickets", ticket_body(), **{"Idempotency-Key": "k"}).status_code == 201


@pytest.mark.django_db
def test_key_expires_after_24_hours(as_alice: Api) -> None:
    body = ticket_body()
    first = as_alice.post("tickets", body, **{"Idempotency-Key": "k"}).json()
    IdempotencyRecord.objects.update(created_at=clock.now() - timedelta(hours=24, seconds=1))
    second = as_alice.post("tickets", body, **{"Idempotency-Key": "k"}).json()
    assert second["reference"] != first["reference"]
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_file_one_ticket(alice: Any, esav: Any) -> None:
    apis = [Api(alice) for _ in range(4)]  # one person, several processes of its OSS
    body = ticket_body()

    def post(i: int) -> tuple[int, str]:
        response = apis[i].post("tickets", body, **{"Idempotency-Key": "same-key"})
        return response.status_code, response.json().get("reference", "")

    results = _in_threads(len(apis), post)
    assert {status for status, _ in results} == {201}
    assert len({reference for _, reference in results}) == 1
    assert Ticket.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


# --- Cursor pagination under concurrent inserts ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_pages_stay_stable_while_tickets_are_filed(
    alice: Any, bob: Any, alfa: Any, brav: Any, esav: Any
) -> None:
    existing = {file_ticket(alice, alfa, esav).reference for _ in range(12)}
    file_ticket(bob, brav, esav)  # never in alice's pages
    api = Api(alice)
    filed_meanwhile: list[str] = []
    first_page_read = threading.Event()
    done = threading.Event()

    def filer() -> None:
        try:
            first_page_read.wait(timeout=30)
            while not done.is_set() and len(filed_meanwhile) < 30:
                filed_meanwhile.append(file_ticket(alice, alfa, esav).reference)
        finally:
            connection.close()

    thread = threading.Thread(target=filer)
    thread.start()
    seen: list[str] = []
    try:
        response = api.get("tickets", {"limit": 3})
        while True:
            assert response.status_code == 200, response.content
            page = response.json()
            seen += [t["reference"] for t in page["items"]]
            first_page_read.set()
            if page["next"] is None:
                break
            # Give the filer a chance between pages.
            threading.Event().wait(0.01)
            response = api.client.get(page["next"])
    finally:
        done.set()
        thread.join(timeout=60)
    assert filed_meanwhile, "no ticket was filed while paging"
    assert len(seen) == len(set(seen)), "a ticket was seen twice"
    assert existing <= set(seen), "a ticket that existed before paging was skipped"
    assert set(seen) <= existing | set(filed_meanwhile)
