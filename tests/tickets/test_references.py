"""Ticket references ES-YYYY-NNNNNN: format, sequence, yearly restart, typed input, races."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
import time_machine
from django.db import connection

from esoutien.core.errors import NotFound
from esoutien.tickets import selectors
from esoutien.tickets.models import Ticket
from esoutien.tickets.references import format_reference, parse_typed_reference
from tests.factories import file_ticket


@pytest.mark.django_db
def test_reference_format_and_sequence(alice: Any, alfa: Any, esav: Any) -> None:
    with time_machine.travel("2026-05-12 10:00 +0200", tick=False):
        refs = [file_ticket(alice, alfa, esav).reference for _ in range(3)]
    assert refs == ["ES-2026-000001", "ES-2026-000002", "ES-2026-000003"]
    assert all(re.fullmatch(r"ES-\d{4}-\d{6}", r) for r in refs)


@pytest.mark.django_db
def test_sequence_restarts_each_year(alice: Any, alfa: Any, esav: Any) -> None:
    with time_machine.travel("2026-12-30 15:00 +0100", tick=False) as traveller:
        assert file_ticket(alice, alfa, esav).reference == "ES-2026-000001"
        assert file_ticket(alice, alfa, esav).reference == "ES-2026-000002"
        traveller.move_to("2027-01-02 09:00 +0100")
        assert file_ticket(alice, alfa, esav).reference == "ES-2027-000001"
        assert file_ticket(alice, alfa, esav).reference == "ES-2027-000002"


@pytest.mark.django_db
def test_reference_year_is_the_french_calendar_year(alice: Any, alfa: Any, esav: Any) -> None:
    """Filed at 00:30 on 1 January in Paris (still 31 December in UTC): a 2027 ticket."""
    with time_machine.travel("2027-01-01 00:30 +0100", tick=False):
        ticket = file_ticket(alice, alfa, esav)
    assert ticket.reference == "ES-2027-000001"


def test_format_reference() -> None:
    assert format_reference(2026, 42) == "ES-2026-000042"
    assert format_reference(2026, 999999) == "ES-2026-999999"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ES-2026-000042", (2026, 42)),
        ("es-2026-000042", (2026, 42)),
        (" ES 2026 000042 ", (2026, 42)),
        ("2026-42", (2026, 42)),
        ("42", (None, 42)),
        ("000042", (None, 42)),
    ],
)
def test_parse_typed_reference_accepts(typed: str, expected: tuple[int | None, int]) -> None:
    assert parse_typed_reference(typed) == expected


@pytest.mark.parametrize("typed", ["abc", "", "ES-2026-", "0", "   ", "ES-2026-0000042x"])
def test_parse_typed_reference_rejects(typed: str) -> None:
    assert parse_typed_reference(typed) is None


@pytest.mark.django_db
def test_typed_number_finds_own_ticket_only(alice: Any, bob: Any, alfa: Any, esav: Any) -> None:
    with time_machine.travel("2026-05-12 10:00 +0200", tick=False):
        ticket = file_ticket(alice, alfa, esav)
        for typed in ("1", "es 2026 1", "ES-2026-000001", "2026-1"):
            assert selectors.find_ticket_by_typed_number(alice, typed) == ticket
        with pytest.raises(NotFound):
            selectors.find_ticket_by_typed_number(bob, "1")
        with pytest.raises(NotFound):
            selectors.find_ticket_by_typed_number(alice, "2")


@pytest.mark.django_db(transaction=True)
def test_references_unique_and_gap_free_under_concurrent_filing(
    alice: Any, alfa: Any, esav: Any
) -> None:
    threads_count, per_thread = 8, 5
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def filer() -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(per_thread):
                file_ticket(alice, alfa, esav)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=filer) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []

    references = list(Ticket.objects.values_list("reference", flat=True))
    total = threads_count * per_thread
    assert len(references) == total
    year = int(min(references)[3:7])
    assert sorted(references) == [format_reference(year, n) for n in range(1, total + 1)]
