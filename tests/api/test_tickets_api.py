"""/api/v1 with bearer tokens: every endpoint, for each kind of caller.

Operators (alice of ALFA, bob of BRAV) see their operator's tickets only; the e-SAV agent the
tickets on e-SAV; the supervisor all. Refusals are application/problem+json with a stable
``code`` (checked by ``problem``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from esoutien.mail.models import OutboundEmail
from esoutien.tickets.models import Attachment, Ticket, TicketEvent
from esoutien.tickets.states import Status
from tests.api.conftest import Api, fields, problem, ticket_body
from tests.factories import EServiceFactory, SubscriptionFactory, file_ticket, set_status
from tests.support import stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(alice: Any, bob: Any, alfa: Any, brav: Any, esav: Any, ftte: Any) -> dict[str, Any]:
    """ALFA on e-SAV and on FTTE, BRAV on e-SAV."""
    return {
        "alfa_esav": file_ticket(alice, alfa, esav, subject="Alfa e-SAV panne"),
        "alfa_ftte": file_ticket(
            alice, alfa, ftte, subject="Alfa FTTE éligibilité", kind="request"
        ),
        "brav_esav": file_ticket(bob, brav, esav, subject="Bravo e-SAV panne"),
    }


def _refs(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {t["reference"] for t in response.json()["items"]}


def _upload(name: str = "trace.txt", content: bytes = b"ping timeout", **kw: Any) -> Any:
    return SimpleUploadedFile(name, content, content_type=kw.get("content_type", "text/plain"))


# --- E-services ------------------------------------------------------------------------------


def test_eservices_operator_active_subscriptions_only_staff_all(
    as_alice: Api, as_bob: Api, as_agent: Api, as_supervisor: Api, alfa: Any
) -> None:
    ended = EServiceFactory(code="ancien", name="Ancien service")
    SubscriptionFactory(operator=alfa, eservice=ended, end_date=date(2021, 1, 1))
    EServiceFactory(code="retire", name="Retiré", is_active=False)

    def codes(api: Api) -> list[str]:
        response = api.get("eservices")
        assert response.status_code == 200
        assert set(response.json()[0]) == {"code", "name", "description"}
        return sorted(e["code"] for e in response.json())

    assert codes(as_alice) == ["esav", "ftte"]
    assert codes(as_bob) == ["esav"]
    # Staff file on behalf of anyone: every active e-service, subscribed or not.
    assert codes(as_agent) == codes(as_supervisor) == ["ancien", "esav", "ftte"]


# --- Filing ----------------------------------------------------------------------------------


def test_create_returns_201_and_the_ticket(as_alice: Api, alfa: Any) -> None:
    response = as_alice.post("tickets", ticket_body(line_reference="fi-1234-abcd"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("ES-")
    assert body["status"] == "acknowledged"
    assert body["operator"] == "ALFA"
    assert body["eservice"] == "esav"
    assert body["line_reference"] == "FI-1234-ABCD"
    assert body["href"] == f"http://testserver/api/v1/tickets/{body['reference']}"
    assert body["assignee"] is None and body["report_url"] is None
    assert {"created_at", "updated_at", "sla", "contact"} <= set(body)
    ticket = Ticket.objects.get(reference=body["reference"])
    assert ticket.operator == alfa and ticket.created_by == as_alice.user
    # Same services as the portal: the acknowledgement is queued.
    assert OutboundEmail.objects.filter(thread_key=ticket.reference).exists()


def test_create_not_subscribed_is_422_with_field_errors_and_saves_nothing(as_bob: Api) -> None:
    body = problem(as_bob.post("tickets", ticket_body("ftte")), 422, "not_subscribed")
    assert "eservice" in fields(body)
    body = problem(as_bob.post("tickets", ticket_body("nope")), 422, "not_subscribed")
    assert Ticket.objects.count() == 0
    assert TicketEvent.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bogus": 1}, "bogus"),
        ({"line_reference": "12345"}, "line_reference"),
        ({"line_reference": "X" * 13}, "line_reference"),
        ({"kind": "complaint"}, "kind"),
        ({"severity": "blocker"}, "severity"),
        ({"subject": ""}, "subject"),
        ({"contact_email": "not-an-address"}, "contact_email"),
        ({"subject": "nul\x00byte"}, "subject"),
    ],
)
def test_create_refuses_bad_input_with_field_details(
    as_alice: Api, overrides: dict[str, Any], field: str, attachment_dir: Any
) -> None:
    body = problem(as_alice.post("tickets", ticket_body(**overrides)), 422, "validation_error")
    assert field in fields(body), body
    assert Ticket.objects.count() == 0
    assert stored_files(attachment_dir) == []


def test_create_missing_field(as_alice: Api) -> None:
    payload = ticket_body()
    del payload["subject"]
    body = problem(as_alice.post("tickets", payload), 422, "validation_error")
    assert fields(body) == {"subject"}


def test_staff_must_name_the_operator(as_agent: Api, alfa: Any, brav: Any) -> None:
    body = problem(as_agent.post("tickets", ticket_body()), 422, "validation_error")
    assert fields(body) == {"operator"}
    problem(as_agent.post("tickets", ticket_body(operator="ZZZZ")), 422, "validation_error")
    # On behalf of BRAV, which does not subscribe to FTTE.
    problem(as_agent.post("tickets", ticket_body("ftte", operator="BRAV")), 422, "not_subscribed")
    assert Ticket.objects.count() == 0
    response = as_agent.post("tickets", ticket_body(operator="alfa"))
    assert response.status_code == 201
    assert response.json()["operator"] == "ALFA"
    assert Ticket.objects.get().created_by == as_agent.user


def test_operator_files_for_its_own_operator_only(as_bob: Api) -> None:
    # The operator field is for staff; an operator user always files for its own.
    response = as_bob.post("tickets", ticket_body(operator="ALFA"))
    assert response.status_code == 201
    assert response.json()["operator"] == "BRAV"


# --- Listing ---------------------------------------------------------------------------------


def test_list_scopes(
    tickets: dict[str, Any], as_alice: Api, as_bob: Api, as_agent: Api, as_supervisor: Api
) -> None:
    refs = {k: t.reference for k, t in tickets.items()}
    assert _refs(as_alice.get("tickets")) == {refs["alfa_esav"], refs["alfa_ftte"]}
    assert _refs(as_bob.get("tickets")) == {refs["brav_esav"]}
    assert _refs(as_agent.get("tickets")) == {refs["alfa_esav"], refs["brav_esav"]}
    assert _refs(as_supervisor.get("tickets")) == set(refs.values())
    assert _refs(as_supervisor.get("tickets", {"operator": "brav"})) == {refs["brav_esav"]}
    # An operator cannot widen its view with the staff filter.
    assert _refs(as_alice.get("tickets", {"operator": "BRAV"})) == {
        refs["alfa_esav"],
        refs["alfa_ftte"],
    }


def test_list_filters(tickets: dict[str, Any], as_alice: Api) -> None:
    alfa_esav, alfa_ftte = tickets["alfa_esav"], tickets["alfa_ftte"]
    set_status(alfa_esav, Status.IN_PROGRESS)
    set_status(alfa_ftte, Status.CLOSED)
    assert _refs(as_alice.get("tickets", {"status": "in_progress"})) == {alfa_esav.reference}
    assert _refs(as_alice.get("tickets", {"status": "open"})) == {alfa_esav.reference}
    assert _refs(as_alice.get("tickets", {"status": "closed"})) == {alfa_ftte.reference}
    assert _refs(as_alice.get("tickets", {"eservice": "ftte"})) == {alfa_ftte.reference}
    assert _refs(as_alice.get("tickets", {"kind": "request"})) == {alfa_ftte.reference}
    assert _refs(as_alice.get("tickets", {"q": "éligibilité"})) == {alfa_ftte.reference}
    assert _refs(as_alice.get("tickets", {"q": alfa_esav.reference})) == {alfa_esav.reference}
    # updated_after: strictly after; naive times are French time.
    later = timezone.now() + timedelta(minutes=1)
    Ticket.objects.filter(pk=alfa_ftte.pk).update(updated_at=later + timedelta(minutes=1))
    assert _refs(as_alice.get("tickets", {"updated_after": later.isoformat()})) == {
        alfa_ftte.reference
    }
    naive = timezone.localtime(later).replace(tzinfo=None).isoformat()
    assert _refs(as_alice.get("tickets", {"updated_after": naive})) == {alfa_ftte.reference}
    for bad in (
        {"status": "bogus"},
        {"kind": "bogus"},
        {"updated_after": "yesterday"},
        {"limit": 0},
        {"limit": 101},
        {"cursor": "!!!"},
        {"cursor": "MA"},  # "0"
    ):
        problem(as_alice.get("tickets", bad), 422, "validation_error")


def test_list_cursor_pagination(as_alice: Api, alice: Any, alfa: Any, esav: Any) -> None:
    filed = [file_ticket(alice, alfa, esav).reference for _ in range(5)]
    seen: list[str] = []
    response = as_alice.get("tickets", {"limit": 2, "status": "open"})
    pages = 0
    while True:
        assert response.status_code == 200
        page = response.json()
        seen += [t["reference"] for t in page["items"]]
        pages += 1
        if page["next"] is None:
            break
        assert "status=open" in page["next"] and "limit=2" in page["next"]
        response = as_alice.client.get(page["next"])
    assert pages == 3
    assert seen == list(reversed(filed))  # newest first, each once


# --- One ticket ------------------------------------------------------------------------------


def test_detail(tickets: dict[str, Any], as_alice: Api, as_agent: Api, esav_agent: Any) -> None:
    ticket = tickets["alfa_esav"]
    Ticket.objects.filter(pk=ticket.pk).update(assignee=esav_agent)
    response = as_alice.get(f"tickets/{ticket.reference}")
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == ticket.reference
    assert body["subject"] == "Alfa e-SAV panne"
    assert body["contact"]["email"] == "alice@alfa.example"
    assert body["assignee"] is None  # operators do not learn who works their ticket
    assert as_agent.get(f"tickets/{ticket.reference.lower()}").json()["assignee"] == (
        esav_agent.email
    )
    problem(as_alice.get("tickets/ES-2099-999999"), 404, "not_found")


def test_events_operators_never_see_internal_notes(
    tickets: dict[str, Any], as_alice: Api, as_agent: Api
) -> None:
    ref = tickets["alfa_esav"].reference
    assert (
        as_agent.post(f"tickets/{ref}/comments", {"body": "Note", "internal": True}).status_code
        == 201
    )
    assert as_agent.post(f"tickets/{ref}/comments", {"body": "Réponse"}).status_code == 201
    staff_view = as_agent.get(f"tickets/{ref}/events").json()
    operator_view = as_alice.get(f"tickets/{ref}/events").json()
    assert [e["kind"] for e in staff_view] == ["created", "note", "comment"]
    assert [e["kind"] for e in operator_view] == ["created", "comment"]
    assert all(e["public"] for e in operator_view)
    assert "Note" not in str(operator_view)
    # Staff are "support" to operators, named to staff.
    assert operator_view[-1]["author"] == "support"
    assert staff_view[-1]["author"] == as_agent.user.get_full_name()


# --- Comments --------------------------------------------------------------------------------


def test_operator_complement_on_pending_puts_it_back_in_progress(
    tickets: dict[str, Any], as_alice: Api
) -> None:
    ticket = set_status(tickets["alfa_esav"], Status.PENDING)
    response = as_alice.post(f"tickets/{ticket.reference}/comments", {"body": "Voici le relevé"})
    assert response.status_code == 201
    event = response.json()
    assert event["kind"] == "comment" and event["public"] is True
    assert event["body"] == "Voici le relevé"
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.events.filter(transition="receive_info").exists()


def test_comment_refusals(tickets: dict[str, Any], as_alice: Api, as_bob: Api) -> None:
    ref = tickets["alfa_esav"].reference
    # Internal notes are for the provider's staff.
    problem(
        as_alice.post(f"tickets/{ref}/comments", {"body": "x", "internal": True}), 403, "forbidden"
    )
    problem(as_alice.post(f"tickets/{ref}/comments", {"body": "   "}), 422, "validation_error")
    problem(as_alice.post(f"tickets/{ref}/comments", {}), 422, "validation_error")
    problem(
        as_alice.post(f"tickets/{ref}/comments", {"body": "x", "x": 1}), 422, "validation_error"
    )
    problem(as_bob.post(f"tickets/{ref}/comments", {"body": "x"}), 404, "not_found")
    set_status(tickets["alfa_esav"], Status.CLOSED)
    problem(as_alice.post(f"tickets/{ref}/comments", {"body": "x"}), 422, "validation_error")
    assert TicketEvent.objects.filter(kind="comment").count() == 0


# --- Status inquiry --------------------------------------------------------------------------


def test_status_inquiry(tickets: dict[str, Any], as_alice: Api, as_agent: Api, as_bob: Api) -> None:
    ref = tickets["alfa_esav"].reference
    response = as_alice.post(f"tickets/{ref}/status-inquiry", {"body": "Des nouvelles ?"})
    assert response.status_code == 201
    assert response.json()["kind"] == "inquiry"
    assert as_alice.post(f"tickets/{ref}/status-inquiry").status_code == 201  # body optional
    problem(as_agent.post(f"tickets/{ref}/status-inquiry", {}), 403, "forbidden")
    problem(as_bob.post(f"tickets/{ref}/status-inquiry", {}), 404, "not_found")
    set_status(tickets["alfa_esav"], Status.CANCELLED)
    problem(as_alice.post(f"tickets/{ref}/status-inquiry", {}), 422, "validation_error")
    assert TicketEvent.objects.filter(kind="inquiry").count() == 2


# --- Attachments -----------------------------------------------------------------------------


def test_upload_list_and_download(
    tickets: dict[str, Any], as_alice: Api, as_agent: Api, as_bob: Api
) -> None:
    ref = tickets["alfa_esav"].reference
    response = as_alice.upload(
        f"tickets/{ref}/attachments",
        [_upload("trace.txt", b"ping timeout"), _upload("capture.png", b"\x89PNG...")],
    )
    assert response.status_code == 201, response.content
    uploaded = response.json()
    assert [a["filename"] for a in uploaded] == ["trace.txt", "capture.png"]
    assert uploaded[0]["size"] == len(b"ping timeout")
    listed = as_agent.get(f"tickets/{ref}/attachments").json()
    assert [a["id"] for a in listed] == [a["id"] for a in uploaded]

    download = as_agent.client.get(uploaded[0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"ping timeout"
    assert download["Content-Type"].startswith("text/plain")
    assert download["Content-Disposition"] == 'attachment; filename="trace.txt"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"]
    assert "sandbox" in download["Content-Security-Policy"]

    problem(as_bob.get(f"tickets/{ref}/attachments"), 404, "not_found")
    problem(as_bob.client.get(uploaded[0]["url"]), 404, "not_found")
    problem(as_bob.upload(f"tickets/{ref}/attachments", [_upload()]), 404, "not_found")
    other = tickets["alfa_ftte"].reference
    # An attachment under the reference of another ticket does not exist.
    problem(as_alice.get(f"tickets/{other}/attachments/{uploaded[0]['id']}"), 404, "not_found")


def test_internal_attachment_hidden_from_operator(
    tickets: dict[str, Any], as_alice: Api, esav_agent: Any
) -> None:
    from esoutien.tickets import services

    ticket = tickets["alfa_esav"]
    note = services.comment_add(esav_agent, ticket, "interne", [_upload()], internal=True)
    internal = note.attachments.get()
    assert as_alice.get(f"tickets/{ticket.reference}/attachments").json() == []
    problem(as_alice.get(f"tickets/{ticket.reference}/attachments/{internal.pk}"), 404, "not_found")


def test_upload_refused_before_storing(
    tickets: dict[str, Any], as_alice: Api, settings: Any, attachment_dir: Any
) -> None:
    settings.ESOUTIEN_ATTACHMENT_MAX_BYTES = 1000
    ref = tickets["alfa_esav"].reference
    before = stored_files(attachment_dir)
    body = problem(
        as_alice.upload(f"tickets/{ref}/attachments", [_upload("ok.txt"), _upload("x.exe")]),
        422,
        "validation_error",
    )
    assert fields(body) == {"attachments"}
    problem(
        as_alice.upload(f"tickets/{ref}/attachments", [_upload("big.txt", b"x" * 1001)]),
        422,
        "validation_error",
    )
    problem(
        as_alice.upload(f"tickets/{ref}/attachments", [_upload("empty.txt", b"")]),
        422,
        "validation_error",
    )
    problem(as_alice.upload(f"tickets/{ref}/attachments", []), 422, "validation_error")
    assert stored_files(attachment_dir) == before
    assert Attachment.objects.count() == 0


def test_upload_body_over_the_limit_is_413(
    tickets: dict[str, Any], as_alice: Api, settings: Any, attachment_dir: Any
) -> None:
    settings.ESOUTIEN_ATTACHMENT_MAX_BYTES = 1000
    settings.ESOUTIEN_ATTACHMENT_MAX_FILES = 1
    ref = tickets["alfa_esav"].reference
    before = stored_files(attachment_dir)
    huge = _upload("big.txt", b"x" * (1000 + 64 * 1024 + 1))
    problem(as_alice.upload(f"tickets/{ref}/attachments", [huge]), 413, "payload_too_large")
    assert stored_files(attachment_dir) == before


# --- Transitions -----------------------------------------------------------------------------

A = Status.ACKNOWLEDGED
P = Status.IN_PROGRESS
W = Status.PENDING
H = Status.HELD
R = Status.RESOLVED
C = Status.CLOSED

# (action, who, from status, fields, expected new status)
ALLOWED = [
    ("take", "agent", A, {}, P),
    ("request_info", "agent", P, {"question": "Quel ONT ?"}, W),
    ("hold", "agent", P, {"reason": "Attente tiers"}, H),
    ("resume", "agent", H, {}, P),
    ("resume", "agent", W, {}, P),
    ("reject", "agent", A, {"reason": "Hors périmètre"}, Status.REJECTED),
    ("reopen", "agent", R, {"reason": "Toujours en panne"}, P),
    ("close", "agent", R, {}, C),
    ("cancel", "agent", P, {}, Status.CANCELLED),
    ("cancel", "alice", A, {"reason": "Résolu de notre côté"}, Status.CANCELLED),
    ("accept", "alice", R, {}, C),
    ("contest", "alice", R, {"reason": "Toujours en panne"}, P),
]


@pytest.mark.parametrize(
    ("action", "who", "source", "payload", "target"),
    ALLOWED,
    ids=[f"{a}-{w}-{s}" for a, w, s, _, _ in ALLOWED],
)
def test_transition_allowed(
    tickets: dict[str, Any],
    as_alice: Api,
    as_agent: Api,
    action: str,
    who: str,
    source: str,
    payload: dict[str, Any],
    target: str,
) -> None:
    api = {"alice": as_alice, "agent": as_agent}[who]
    ticket = set_status(tickets["alfa_esav"], source)
    response = api.transition(ticket.reference, action, **payload)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == target
    ticket.refresh_from_db()
    assert ticket.status == target
    assert ticket.events.filter(transition=action).count() == 1


# (action, who, from status, fields, status, code)
REFUSED = [
    ("take", "alice", A, {}, 403, "forbidden"),
    ("take", "agent", P, {}, 409, "transition_not_allowed"),
    ("request_info", "agent", A, {"question": "?"}, 409, "transition_not_allowed"),
    ("request_info", "alice", P, {"question": "?"}, 403, "forbidden"),
    ("hold", "agent", H, {"reason": "x"}, 409, "transition_not_allowed"),
    ("resume", "agent", A, {}, 409, "transition_not_allowed"),
    ("resume", "alice", H, {}, 403, "forbidden"),
    (
        "resolve",
        "agent",
        A,
        {"cause": "c", "actions": "a", "summary": "s"},
        409,
        "transition_not_allowed",
    ),
    ("resolve", "alice", P, {"cause": "c", "actions": "a", "summary": "s"}, 403, "forbidden"),
    ("reject", "agent", P, {"reason": "x"}, 409, "transition_not_allowed"),
    ("reject", "alice", A, {"reason": "x"}, 403, "forbidden"),
    ("reopen", "alice", R, {"reason": "x"}, 403, "forbidden"),
    ("reopen", "agent", C, {"reason": "x"}, 409, "transition_not_allowed"),
    ("close", "alice", R, {}, 403, "forbidden"),
    ("close", "agent", P, {}, 409, "transition_not_allowed"),
    ("cancel", "alice", C, {}, 409, "transition_not_allowed"),
    ("cancel", "agent", R, {}, 409, "transition_not_allowed"),
    ("accept", "agent", R, {}, 403, "forbidden"),
    ("accept", "alice", P, {}, 409, "transition_not_allowed"),
    ("contest", "agent", R, {"reason": "x"}, 403, "forbidden"),
    ("contest", "alice", C, {"reason": "x"}, 409, "transition_not_allowed"),
    ("assign", "alice", A, {"assignee": "agent-esav@fournisseur.example"}, 403, "forbidden"),
]


@pytest.mark.parametrize(
    ("action", "who", "source", "payload", "status", "code"),
    REFUSED,
    ids=[f"{a}-{w}-{s}" for a, w, s, *_ in REFUSED],
)
def test_transition_refused(
    tickets: dict[str, Any],
    as_alice: Api,
    as_agent: Api,
    as_bob: Api,
    action: str,
    who: str,
    source: str,
    payload: dict[str, Any],
    status: int,
    code: str,
) -> None:
    api = {"alice": as_alice, "agent": as_agent}[who]
    ticket = set_status(tickets["alfa_esav"], source)
    events = ticket.events.count()
    problem(api.transition(ticket.reference, action, **payload), status, code)
    # A foreign ticket: 404 whatever the action, before any rule is looked at.
    problem(as_bob.transition(ticket.reference, action, **payload), 404, "not_found")
    ticket.refresh_from_db()
    assert ticket.status == source
    assert ticket.events.count() == events


@pytest.mark.parametrize(
    ("action", "source", "expected"),
    [
        ("request_info", P, {"question"}),
        ("hold", P, {"reason"}),
        ("reject", A, {"reason"}),
        ("reopen", R, {"reason"}),
        ("resolve", P, {"cause", "actions", "summary"}),
    ],
)
def test_transition_missing_text_names_the_api_field(
    tickets: dict[str, Any], as_agent: Api, action: str, source: str, expected: set[str]
) -> None:
    ticket = set_status(tickets["alfa_esav"], source)
    body = problem(as_agent.transition(ticket.reference, action), 422, "validation_error")
    assert fields(body) <= expected and fields(body)
    problem(as_agent.transition(ticket.reference, "fly"), 422, "validation_error")
    problem(as_agent.transition(ticket.reference, "take", bogus=1), 422, "validation_error")


def test_transition_on_foreign_ticket_for_an_agent_is_404(
    tickets: dict[str, Any], as_agent: Api
) -> None:
    # FTTE is not among the e-SAV agent's e-services.
    problem(as_agent.transition(tickets["alfa_ftte"].reference, "take"), 404, "not_found")
    problem(as_agent.get(f"tickets/{tickets['alfa_ftte'].reference}"), 404, "not_found")


def test_assign(tickets: dict[str, Any], as_supervisor: Api, esav_agent: Any) -> None:
    ref = tickets["alfa_esav"].reference
    response = as_supervisor.transition(ref, "assign", assignee=esav_agent.email)
    assert response.status_code == 200
    assert response.json()["assignee"] == esav_agent.email
    body = problem(
        as_supervisor.transition(ref, "assign", assignee="alice@alfa.example"),
        422,
        "validation_error",
    )
    assert fields(body) == {"assignee"}
    response = as_supervisor.transition(ref, "assign", assignee=None)
    assert response.json()["assignee"] is None


def test_contest_after_the_deadline_is_409(
    tickets: dict[str, Any], as_alice: Api, settings: Any
) -> None:
    long_ago = timezone.now() - timedelta(days=settings.ESOUTIEN_CONTEST_DAYS + 1)
    ticket = set_status(tickets["alfa_esav"], R, resolved_at=long_ago)
    problem(
        as_alice.transition(ticket.reference, "contest", reason="Trop tard ?"),
        409,
        "transition_not_allowed",
    )


def test_take_assigns_the_agent(tickets: dict[str, Any], as_agent: Api, esav_agent: Any) -> None:
    response = as_agent.transition(tickets["alfa_esav"].reference, "take")
    assert response.json()["assignee"] == esav_agent.email
    assert response.json()["taken_at"] is not None


# --- Resolution and report -------------------------------------------------------------------


def test_resolve_then_report_pdf(
    tickets: dict[str, Any], as_agent: Api, as_alice: Api, as_bob: Api, fake_pdf: bytes
) -> None:
    ticket = set_status(tickets["alfa_esav"], P)
    ref = ticket.reference
    problem(as_alice.get(f"tickets/{ref}/report.pdf"), 404, "not_found")
    response = as_agent.transition(
        ref, "resolve", cause="Fibre coupée", actions="Soudure", summary="Rétabli"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "resolved" and body["resolved_at"]
    assert body["report_url"] == f"http://testserver/api/v1/tickets/{ref}/report.pdf"
    for api in (as_alice, as_agent):
        pdf = api.client.get(body["report_url"])
        assert pdf.status_code == 200
        assert pdf["Content-Type"] == "application/pdf"
        assert pdf["Content-Disposition"].startswith("attachment;")
        assert b"".join(pdf.streaming_content) == fake_pdf
    problem(as_bob.get(f"tickets/{ref}/report.pdf"), 404, "not_found")
    # The operator then accepts: closed.
    assert as_alice.transition(ref, "accept").json()["status"] == "closed"


def test_resolve_restored_at(tickets: dict[str, Any], as_agent: Api, fake_pdf: bytes) -> None:
    ticket = set_status(tickets["alfa_esav"], P)
    resolution = {"cause": "c", "actions": "a", "summary": "s"}
    future = (timezone.now() + timedelta(days=1)).isoformat()
    body = problem(
        as_agent.transition(ticket.reference, "resolve", restored_at=future, **resolution),
        422,
        "validation_error",
    )
    assert fields(body) == {"restored_at"}
    problem(
        as_agent.transition(
            ticket.reference, "resolve", restored_at="0001-01-01T00:00", **resolution
        ),
        422,
        "validation_error",
    )
    # Without an offset: French time.
    naive = timezone.localtime().replace(tzinfo=None, microsecond=0).isoformat()
    response = as_agent.transition(ticket.reference, "resolve", restored_at=naive, **resolution)
    assert response.status_code == 200, response.content
    assert ticket.reports.get().restored_at.replace(microsecond=0) == timezone.make_aware(
        datetime.fromisoformat(naive)
    )


@pytest.mark.slow
def test_report_pdf_rendered_for_real(tickets: dict[str, Any], as_agent: Api) -> None:
    ticket = set_status(tickets["alfa_esav"], P)
    as_agent.transition(ticket.reference, "resolve", cause="c", actions="a", summary="s")
    pdf = as_agent.get(f"tickets/{ticket.reference}/report.pdf")
    assert pdf.status_code == 200
    content = b"".join(pdf.streaming_content)
    assert content.startswith(b"%PDF-")
    assert ticket.reference.encode() in pdf["Content-Disposition"].encode()
