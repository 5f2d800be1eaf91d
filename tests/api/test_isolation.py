"""The isolation matrix of /api/v1 with bearer tokens: every operation on a ticket, called
with the token of someone who may not see that ticket, answers exactly what it answers for
a ticket that does not exist (404 not_found), and never a byte of data.

The operations are read from the OpenAPI schema, so an endpoint added later is in the matrix
(and fails ``test_every_ticket_operation_is_in_the_matrix`` until it has a request here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from esoutien.api.urls import api as ninja_api
from esoutien.tickets import services
from esoutien.tickets.models import Attachment, Ticket, TicketEvent
from tests.api.conftest import Api, problem, ticket_body
from tests.factories import file_ticket

pytestmark = pytest.mark.django_db

MISSING = "ES-2099-999999"


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # with {reference} and, for downloads, {attachment_id}
    body: Any = None
    upload: bool = False


CALLS = [
    Call("GET", "/api/v1/tickets/{reference}"),
    Call("GET", "/api/v1/tickets/{reference}/events"),
    Call("POST", "/api/v1/tickets/{reference}/comments", {"body": "Bonjour"}),
    Call("POST", "/api/v1/tickets/{reference}/status-inquiry", {"body": "Des nouvelles ?"}),
    Call("GET", "/api/v1/tickets/{reference}/attachments"),
    Call("POST", "/api/v1/tickets/{reference}/attachments", upload=True),
    Call("GET", "/api/v1/tickets/{reference}/attachments/{attachment_id}"),
    Call("GET", "/api/v1/tickets/{reference}/report.pdf"),
    *[
        Call("POST", "/api/v1/tickets/{reference}/transitions", {"action": action, **extra})
        for action, extra in [
            ("take", {}),
            ("assign", {"assignee": "agent-esav@fournisseur.example"}),
            ("request_info", {"question": "?"}),
            ("hold", {"reason": "x"}),
            ("resume", {}),
            ("resolve", {"cause": "c", "actions": "a", "summary": "s"}),
            ("reject", {"reason": "x"}),
            ("reopen", {"reason": "x"}),
            ("close", {}),
            ("cancel", {}),
            ("accept", {}),
            ("contest", {"reason": "x"}),
        ]
    ],
]


def _send(api: Api, call: Call, reference: str, attachment_id: int) -> Any:
    path = call.path.format(reference=reference, attachment_id=attachment_id)
    if call.upload:
        upload = SimpleUploadedFile("trace.txt", b"ping", content_type="text/plain")
        return api.upload(path, [upload])
    if call.method == "GET":
        return api.get(path)
    return api.post(path, call.body)


def test_every_ticket_operation_is_in_the_matrix() -> None:
    schema = ninja_api.get_openapi_schema()
    operations = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if "{reference}" in path
    }
    assert operations == {(c.method, c.path) for c in CALLS}


@pytest.fixture
def world(alice: Any, bob: Any, alfa: Any, brav: Any, esav: Any, ftte: Any) -> dict[str, Any]:
    upload = SimpleUploadedFile("alfa.txt", b"secret", content_type="text/plain")
    alfa_esav = file_ticket(alice, alfa, esav, files=[upload], subject="Secret ALFA")
    alfa_ftte = file_ticket(alice, alfa, ftte, subject="Secret FTTE")
    brav_esav = file_ticket(bob, brav, esav)
    return {
        "alfa_esav": alfa_esav,
        "alfa_ftte": alfa_ftte,
        "brav_esav": brav_esav,
        "attachment": alfa_esav.attachments.get().pk,
    }


def _snapshot() -> tuple[int, int, int, list[tuple[str, str]]]:
    return (
        Ticket.objects.count(),
        TicketEvent.objects.count(),
        Attachment.objects.count(),
        sorted(Ticket.objects.values_list("reference", "status")),
    )


@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c.method} {c.path} {c.body or ''}")
def test_foreign_ticket_is_exactly_a_missing_ticket(
    world: dict[str, Any],
    as_bob: Api,
    as_agent: Api,
    call: Call,
    fake_pdf: bytes,
) -> None:
    before = _snapshot()
    cases = [
        # BRAV's member on ALFA's ticket (and ALFA's attachment id under BRAV's own ticket).
        (as_bob, world["alfa_esav"].reference, world["attachment"]),
        (as_bob, world["brav_esav"].reference, world["attachment"]),
        # The e-SAV agent on a ticket of an e-service outside its teams.
        (as_agent, world["alfa_ftte"].reference, world["attachment"]),
    ]
    for api, reference, attachment_id in cases:
        if reference == world["brav_esav"].reference and "attachment_id" not in call.path:
            continue  # bob's own ticket: only the attachment pairing is foreign
        missing = _send(api, call, MISSING, attachment_id)
        foreign = _send(api, call, reference, attachment_id)
        body = problem(foreign, 404, "not_found")
        assert foreign.content == missing.content, (reference, body)
        assert dict(foreign.headers) == dict(missing.headers)
        assert b"Secret" not in foreign.content and reference.encode() not in foreign.content
    assert _snapshot() == before


def test_lists_never_show_foreign_tickets(
    world: dict[str, Any], as_bob: Api, as_agent: Api
) -> None:
    bob_refs = {t["reference"] for t in as_bob.get("tickets").json()["items"]}
    assert bob_refs == {world["brav_esav"].reference}
    agent_refs = {
        t["reference"] for t in as_agent.get("tickets", {"eservice": "ftte"}).json()["items"]
    }
    assert agent_refs == set()
    search = as_bob.get("tickets", {"q": world["alfa_esav"].reference}).json()
    assert search["items"] == []


def test_foreign_operator_code_in_create_is_ignored(world: dict[str, Any], as_bob: Api) -> None:
    # An operator user can only file for its own operator.
    response = as_bob.post("tickets", ticket_body(operator="ALFA"))
    assert response.status_code == 201
    assert Ticket.objects.get(reference=response.json()["reference"]).operator.code == "BRAV"


def test_internal_note_attachment_of_own_ticket_is_a_missing_one(
    world: dict[str, Any], as_alice: Api, supervisor: Any
) -> None:
    ticket = world["alfa_esav"]
    upload = SimpleUploadedFile("internal.txt", b"interne", content_type="text/plain")
    note = services.comment_add(supervisor, ticket, "Note", [upload], internal=True)
    internal = note.attachments.get().pk
    path = f"tickets/{ticket.reference}/attachments/{{}}"
    hidden = as_alice.get(path.format(internal))
    missing = as_alice.get(path.format(999_999))
    problem(hidden, 404, "not_found")
    assert hidden.content == missing.content
