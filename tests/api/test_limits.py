"""Limits and bad input: oversized bodies (413), unparseable or unknown input (400, 422),
errors as application/problem+json with stable codes, and nothing partial ever saved."""

from __future__ import annotations

import json
from typing import Any

import pytest

from esoutien.tickets.models import Attachment, Ticket, TicketEvent
from tests.api.conftest import Api, fields, problem, ticket_body
from tests.factories import file_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(alice: Any, alfa: Any, esav: Any) -> Any:
    return file_ticket(alice, alfa, esav)


def _counts() -> tuple[int, int, int]:
    return Ticket.objects.count(), TicketEvent.objects.count(), Attachment.objects.count()


def test_json_body_over_the_limit_is_413(as_alice: Api, settings: Any, esav: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    response = as_alice.post("tickets", ticket_body(description="x" * 3000))
    body = problem(response, 413, "payload_too_large")
    assert "2000" in body["detail"]
    assert _counts() == (0, 0, 0)
    # Just under: accepted.
    assert as_alice.post("tickets", ticket_body(description="x" * 1500)).status_code == 201


def test_unparseable_json_is_400(as_alice: Api, ticket: Any) -> None:
    before = _counts()
    for path in ("tickets", f"tickets/{ticket.reference}/comments"):
        response = as_alice.client.post(
            f"/api/v1/{path}", "{not json", content_type="application/json"
        )
        problem(response, 400, "bad_request")
    response = as_alice.client.post(
        "/api/v1/tickets", json.dumps([1, 2]), content_type="application/json"
    )
    problem(response, 422, "validation_error")
    assert _counts() == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("tickets", ticket_body(priority="P1")),
        ("tickets/{ref}/comments", {"body": "x", "visibility": "public"}),
        ("tickets/{ref}/status-inquiry", {"body": "x", "urgent": True}),
        ("tickets/{ref}/transitions", {"action": "cancel", "why": "x"}),
    ],
)
def test_unknown_fields_are_422_with_details(
    as_alice: Api, ticket: Any, path: str, body: dict[str, Any]
) -> None:
    before = _counts()
    response = as_alice.post(path.format(ref=ticket.reference), body)
    problem_body = problem(response, 422, "validation_error")
    unknown = (set(body) - {"body", "action"} - set(ticket_body())).pop()
    assert unknown in fields(problem_body)
    assert all(e["message"] for e in problem_body["errors"])
    assert _counts() == before
    ticket.refresh_from_db()
    assert ticket.status == "acknowledged"


def test_wrong_types_and_nul_bytes_are_422(as_alice: Api, ticket: Any) -> None:
    before = _counts()
    ref = ticket.reference
    for path, body in [
        ("tickets", ticket_body(subject=["a"])),
        ("tickets", ticket_body(description="a\x00b")),
        (f"tickets/{ref}/comments", {"body": 12}),
        (f"tickets/{ref}/comments", {"body": "a\x00b"}),
        (f"tickets/{ref}/comments", {"body": "x", "internal": "maybe"}),
        (f"tickets/{ref}/transitions", {"action": "cancel", "reason": "a\x00"}),
        (f"tickets/{ref}/transitions", {"action": None}),
    ]:
        problem(as_alice.post(path, body), 422, "validation_error")
    problem(as_alice.get("tickets", {"q": "a\x00b"}), 422, "validation_error")
    assert _counts() == before


def test_odd_paths_are_plain_404s(as_alice: Api, ticket: Any) -> None:
    for path in (
        f"tickets/{'X' * 300}",
        "tickets/ES-2026-%00",
        f"tickets/{ticket.reference}/attachments/{2**70}",
        f"tickets/{ticket.reference}/attachments/0",
    ):
        problem(as_alice.get(path), 404, "not_found")


def test_method_not_allowed_is_405(as_alice: Api, ticket: Any) -> None:
    response = as_alice.client.delete(f"/api/v1/tickets/{ticket.reference}")
    assert response.status_code == 405
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_failed_transition_saves_nothing(as_alice: Api, ticket: Any, fake_pdf: bytes) -> None:
    before = _counts()
    problem(as_alice.transition(ticket.reference, "take"), 403, "forbidden")
    problem(as_alice.transition(ticket.reference, "accept"), 409, "transition_not_allowed")
    assert _counts() == before
