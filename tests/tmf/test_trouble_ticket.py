"""The TMF621 mapping round trip: /tmf-api/troubleTicket/v4 over the same tickets as /api/v1.

A ticket filed through TMF reads the same through /api/v1 and back; one filed through
/api/v1 (or the portal) reads as a TroubleTicket; notes added with PATCH are the operator's
public messages; the agent's work shows as TMF statuses and an ordered status history.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from esoutien.tickets import workflow
from esoutien.tickets.models import Ticket, TicketEvent
from esoutien.tickets.states import Status
from tests.factories import file_ticket, set_status
from tests.tmf.conftest import TMF, Api, error_fields, problem, tmf_ticket

pytestmark = pytest.mark.django_db


def _create(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post("troubleTicket", tmf_ticket(**overrides))
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def _get(api: Api, reference: str, **params: Any) -> dict[str, Any]:
    response = api.get(f"troubleTicket/{reference}", params)
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


# --- Round trip -------------------------------------------------------------------------------


def test_created_through_tmf_reads_the_same_through_v1_and_tmf(as_alice: Api, alice: Any) -> None:
    response = as_alice.post("troubleTicket", tmf_ticket())
    assert response.status_code == 201, response.content
    created = response.json()
    reference = created["id"]
    assert reference.startswith("ES-")
    assert created["href"] == f"http://testserver{TMF}troubleTicket/{reference}"
    assert response["Location"] == created["href"]

    native = as_alice.get(f"/api/v1/tickets/{reference}").json()
    assert native["subject"] == "Commande bloquée à l'étape de raccordement"
    assert native["description"].startswith("La commande reste bloquée")
    assert (native["severity"], native["kind"], native["status"]) == (
        "major",
        "incident",
        "acknowledged",
    )
    assert native["eservice"] == "esav" and native["operator"] == "ALFA"
    assert native["operator_reference"] == "ALFA-INC-0042"
    assert native["line_reference"] == "FI-1234-5678"
    assert native["site_address"] == "12 rue de la Fibre, 75011 Paris"
    assert native["contact"] == {
        "name": "Centre de supervision",
        "email": "noc@alfa.example",
        "phone": "+33 1 23 45 67 89",
    }

    tmf = _get(as_alice, reference)
    assert tmf == created
    assert tmf["@type"] == "TroubleTicket" and tmf["@baseType"] == "TroubleTicket"
    assert tmf["@schemaLocation"].endswith("/openapi.json#/components/schemas/TroubleTicket")
    assert (tmf["name"], tmf["severity"], tmf["ticketType"], tmf["status"]) == (
        native["subject"],
        "Major",
        "incident",
        "acknowledged",
    )
    assert tmf["externalId"] == "ALFA-INC-0042"
    assert tmf["creationDate"] and tmf["lastUpdate"]
    assert tmf["resolutionDate"] is None and tmf["expectedResolutionDate"] is None
    assert tmf["relatedParty"] == [
        {"id": "ALFA", "name": "Alfa Télécom", "role": "customer", "@referredType": "Organization"},
        {
            "name": "Centre de supervision",
            "role": "contact",
            "@referredType": "Individual",
            "contactMedium": [
                {"mediumType": "email", "characteristic": {"emailAddress": "noc@alfa.example"}},
                {"mediumType": "phone", "characteristic": {"phoneNumber": "+33 1 23 45 67 89"}},
            ],
        },
    ]
    assert tmf["troubleTicketCharacteristic"] == [
        {"name": "eservice", "value": "esav", "valueType": "string"},
        {"name": "lineReference", "value": "FI-1234-5678", "valueType": "string"},
        {"name": "siteAddress", "value": "12 rue de la Fibre, 75011 Paris", "valueType": "string"},
    ]
    assert tmf["note"] == [] and tmf["attachment"] == []
    assert [c["status"] for c in tmf["statusChange"]] == ["acknowledged"]
    assert tmf["statusChangeHistory"] == tmf["statusChange"]
    assert tmf["statusChangeDate"] == tmf["statusChange"][0]["changeDate"]


def test_created_through_v1_reads_as_a_trouble_ticket(
    as_alice: Api, alice: Any, alfa: Any, ftte: Any
) -> None:
    ticket = file_ticket(
        alice,
        alfa,
        ftte,
        kind="request",
        severity="critical",
        operator_reference="REF-9",
        contact_phone="",
        files=[],
    )
    tmf = _get(as_alice, ticket.reference)
    assert (tmf["severity"], tmf["ticketType"], tmf["externalId"]) == (
        "Critical",
        "request",
        "REF-9",
    )
    assert tmf["troubleTicketCharacteristic"] == [
        {"name": "eservice", "value": "ftte", "valueType": "string"}
    ]
    contact = tmf["relatedParty"][1]
    assert contact["contactMedium"] == [
        {"mediumType": "email", "characteristic": {"emailAddress": "alice@alfa.example"}}
    ]


def test_create_accepts_tmf_spellings_and_defaults_the_contact(as_alice: Api) -> None:
    created = _create(
        as_alice,
        severity="MINOR",
        ticketType="request",
        relatedParty=[{"role": "Customer", "id": "alfa"}],
        troubleTicketCharacteristic=[],
        characteristic=[{"name": "eservice", "value": "ftte", "@type": "StringCharacteristic"}],
        note=[{"text": "Premier constat : la PTO clignote.", "@type": "Note"}],
    )
    ticket = Ticket.objects.get(reference=created["id"])
    assert (ticket.severity, ticket.kind, ticket.eservice.code) == ("minor", "request", "ftte")
    assert ticket.contact_email == "alice@alfa.example"  # the caller, when no contact is given
    assert [n["text"] for n in created["note"]] == ["Premier constat : la PTO clignote."]
    assert created["note"][0]["author"] == "Alice Martin"


def test_create_honours_idempotency_key(as_alice: Api) -> None:
    first = as_alice.post("troubleTicket", tmf_ticket(), **{"Idempotency-Key": "k-1"})
    again = as_alice.post("troubleTicket", tmf_ticket(), **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Ticket.objects.count() == 1


def test_operator_users_always_file_for_their_own_operator(as_alice: Api, alfa: Any) -> None:
    created = _create(as_alice, relatedParty=[{"role": "customer", "id": "BRAV"}])
    assert Ticket.objects.get(reference=created["id"]).operator == alfa
    assert created["relatedParty"][0]["id"] == "ALFA"


def test_staff_file_on_behalf_with_the_customer_party(as_agent: Api, alfa: Any) -> None:
    refused = as_agent.post("troubleTicket", tmf_ticket())
    assert "relatedParty" in error_fields(problem(refused, 422, "validation_error"))
    parties = [*tmf_ticket()["relatedParty"], {"role": "customer", "id": "ALFA"}]
    created = _create(as_agent, relatedParty=parties)
    assert Ticket.objects.get(reference=created["id"]).operator == alfa


# --- fields -----------------------------------------------------------------------------------


def test_fields_selects_attributes_plus_id_and_href(as_alice: Api) -> None:
    reference = _create(as_alice)["id"]
    one = _get(as_alice, reference, fields="name,status,@type")
    assert set(one) == {"id", "href", "name", "status", "@type"}
    assert one["status"] == "acknowledged"

    listed = as_alice.get("troubleTicket", {"fields": "severity"}).json()
    assert listed == [{"id": reference, "href": one["href"], "severity": "Major"}]
    assert set(_get(as_alice, reference, fields="none")) == {"id", "href"}

    body = problem(
        as_alice.get("troubleTicket", {"fields": "name,priority"}), 422, "validation_error"
    )
    assert error_fields(body) == {"fields"} and "priority" in body["detail"]


# --- PATCH: notes -----------------------------------------------------------------------------


def test_patch_note_is_a_public_comment_of_the_caller(as_alice: Api, esav_agent: Any) -> None:
    reference = _create(as_alice)["id"]
    ticket = Ticket.objects.get(reference=reference)
    workflow.take_charge(ticket, esav_agent)
    workflow.request_info(ticket, esav_agent, "Quel est le code retour exact ?")

    response = as_alice.patch(
        f"troubleTicket/{reference}",
        {"note": [{"text": "Code retour 503, depuis 8h12.", "author": "ignored"}]},
    )
    assert response.status_code == 200, response.content
    patched = response.json()
    note = patched["note"][-1]
    assert (note["text"], note["author"], note["@type"]) == (
        "Code retour 503, depuis 8h12.",
        "Alice Martin",
        "Note",
    )
    # The operator's answer puts the ticket back to work, as from the portal.
    assert patched["status"] == "inProgress"

    events = as_alice.get(f"/api/v1/tickets/{reference}/events").json()
    comment = next(e for e in events if e["kind"] == "comment")
    assert comment["public"] is True and comment["body"] == "Code retour 503, depuis 8h12."
    assert str(comment["id"]) == note["id"]

    # Merge patch: the whole list sent back with a new note adds only the new one.
    again = as_alice.patch(
        f"troubleTicket/{reference}",
        {"note": [*patched["note"], {"text": "Toujours en panne."}]},
        content_type="application/json",
    )
    assert again.status_code == 200
    assert [n["text"] for n in again.json()["note"]] == [
        "Code retour 503, depuis 8h12.",
        "Toujours en panne.",
    ]


def test_patch_refuses_other_attributes_and_saves_nothing(as_alice: Api) -> None:
    reference = _create(as_alice)["id"]
    before = TicketEvent.objects.count()
    body = problem(
        as_alice.patch(
            f"troubleTicket/{reference}",
            {"status": "cancelled", "severity": "Critical", "note": [{"text": "x"}]},
        ),
        422,
        "validation_error",
    )
    assert error_fields(body) == {"severity", "status"}
    assert "note" in body["detail"] and "transitions" in body["detail"]
    assert TicketEvent.objects.count() == before
    ticket = Ticket.objects.get(reference=reference)
    assert (ticket.status, ticket.severity) == ("acknowledged", "major")


def test_patch_takes_a_merge_patch_not_a_json_patch(as_alice: Api) -> None:
    reference = _create(as_alice)["id"]
    operations = [{"op": "add", "path": "/note/-", "value": {"text": "x"}}]
    response = as_alice.patch(
        f"troubleTicket/{reference}", operations, content_type="application/json-patch+json"
    )
    problem(response, 415, "unsupported_media_type")


def test_patch_on_a_closed_ticket_is_refused(as_alice: Api, alice: Any) -> None:
    reference = _create(as_alice)["id"]
    set_status(Ticket.objects.get(reference=reference), Status.CLOSED)
    response = as_alice.patch(f"troubleTicket/{reference}", {"note": [{"text": "Encore ?"}]})
    problem(response, 422, "validation_error")
    assert not TicketEvent.objects.filter(kind="comment").exists()


# --- The agent's work as TMF statuses ----------------------------------------------------------


def test_status_and_ordered_history_follow_the_agent(
    as_alice: Api, esav_agent: Any, fake_pdf: bytes
) -> None:
    reference = _create(as_alice)["id"]
    ticket = Ticket.objects.get(reference=reference)

    def status() -> str:
        return str(_get(as_alice, reference, fields="status")["status"])

    workflow.take_charge(ticket, esav_agent)
    assert status() == "inProgress"
    workflow.request_info(ticket, esav_agent, "Pouvez-vous redémarrer l'ONT ?")
    pending = _get(as_alice, reference)
    assert pending["status"] == "pending"
    assert pending["statusChangeReason"] == "Pouvez-vous redémarrer l'ONT ?"
    workflow.resume(ticket, esav_agent)
    workflow.hold(ticket, esav_agent, "Intervention d'un tiers")
    assert status() == "held"
    workflow.resume(ticket, esav_agent)
    workflow.resolve(
        ticket, esav_agent, cause="Carte OLT", actions_taken="Remplacement", summary="Rétabli."
    )

    resolved = _get(as_alice, reference)
    assert resolved["status"] == "resolved"
    assert resolved["resolutionDate"] is not None
    assert resolved["statusChangeReason"] == "Rétabli."
    history = resolved["statusChange"]
    assert [c["status"] for c in history] == [
        "acknowledged",
        "inProgress",
        "pending",
        "inProgress",
        "held",
        "inProgress",
        "resolved",
    ]
    assert [c["changeDate"] for c in history] == sorted(c["changeDate"] for c in history)
    assert history[4]["changeReason"] == "Intervention d'un tiers"
    assert resolved["statusChangeHistory"] == history
    assert resolved["statusChangeDate"] == history[-1]["changeDate"]
    [report] = resolved["attachment"]
    assert report["attachmentType"] == "resolutionReport"
    assert report["mimeType"] == "application/pdf"
    assert report["size"] == {"amount": len(fake_pdf), "units": "bytes"}
    assert report["url"].startswith(f"http://testserver/api/v1/tickets/{reference}/attachments/")
    download = as_alice.client.get(report["url"])
    assert download.status_code == 200

    workflow.accept_resolution(ticket, as_alice.user)
    assert status() == "closed"


@pytest.mark.parametrize(
    ("ours", "tmf"),
    [
        (Status.ACKNOWLEDGED, "acknowledged"),
        (Status.IN_PROGRESS, "inProgress"),
        (Status.PENDING, "pending"),
        (Status.HELD, "held"),
        (Status.RESOLVED, "resolved"),
        (Status.CLOSED, "closed"),
        (Status.REJECTED, "rejected"),
        (Status.CANCELLED, "cancelled"),
    ],
)
def test_every_status_has_its_tmf_name(as_alice: Api, ours: str, tmf: str) -> None:
    reference = _create(as_alice)["id"]
    set_status(Ticket.objects.get(reference=reference), ours)
    assert _get(as_alice, reference, fields="status")["status"] == tmf
    listed = as_alice.get("troubleTicket", {"status": tmf, "fields": "status"}).json()
    assert [t["id"] for t in listed] == [reference]


def test_internal_notes_and_files_never_show(as_alice: Api, esav_agent: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from esoutien.tickets import services

    reference = _create(as_alice)["id"]
    ticket = Ticket.objects.get(reference=reference)
    secret = SimpleUploadedFile("interne.txt", b"interne", content_type="text/plain")
    services.comment_add(esav_agent, ticket, "Note interne", [secret], internal=True)
    services.comment_add(esav_agent, ticket, "Réponse publique")
    tmf = _get(as_alice, reference)
    assert [(n["text"], n["author"]) for n in tmf["note"]] == [("Réponse publique", "support")]
    assert tmf["attachment"] == []


# --- List and filters -------------------------------------------------------------------------


@pytest.fixture
def three(as_alice: Api, esav_agent: Any) -> list[str]:
    first = _create(as_alice, externalId="A-1")["id"]
    second = _create(as_alice, externalId="A-2", severity="critical", ticketType="request")["id"]
    third = _create(as_alice, externalId="A-3", severity="Minor")["id"]
    workflow.take_charge(Ticket.objects.get(reference=second), esav_agent)
    return [first, second, third]


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [t["id"] for t in response.json()]


def test_list_newest_first_with_counts_and_paging(as_alice: Api, three: list[str]) -> None:
    response = as_alice.get("troubleTicket", {"limit": 2})
    assert _ids(response) == [three[2], three[1]]
    assert (response["X-Total-Count"], response["X-Result-Count"]) == ("3", "2")
    response = as_alice.get("troubleTicket", {"limit": 2, "offset": 2})
    assert _ids(response) == [three[0]]
    assert (response["X-Total-Count"], response["X-Result-Count"]) == ("3", "1")
    problem(as_alice.get("troubleTicket", {"limit": 500}), 422, "validation_error")


def test_list_filters(as_alice: Api, three: list[str]) -> None:
    first, second, third = three

    def ids(**params: Any) -> set[str]:
        return set(_ids(as_alice.get("troubleTicket", params)))

    assert ids(status="inProgress") == {second}
    assert ids(status="acknowledged,inProgress") == {first, second, third}
    assert ids(severity="CRITICAL") == {second}
    assert ids(severity="minor,major") == {first, third}
    assert ids(ticketType="Request") == {second}
    assert ids(externalId="A-3") == {third}

    Ticket.objects.filter(reference=first).update(updated_at=timezone.now() - timedelta(days=2))
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert ids(**{"lastUpdate.gt": since}) == {second, third}
    assert ids(**{"lastUpdate.lt": since}) == {first}
    assert ids(**{"creationDate.gte": since}) == {first, second, third}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "open"}, "status"),
        ({"severity": "blocking"}, "severity"),
        ({"ticketType": "complaint"}, "ticketType"),
        ({"priority": "High"}, "priority"),
        ({"lastUpdate.gt": "yesterday"}, "query.lastUpdate.gt"),
    ],
)
def test_list_refuses_unknown_filters_and_values(
    as_alice: Api, params: dict[str, str], field: str
) -> None:
    body = problem(as_alice.get("troubleTicket", params), 422, "validation_error")
    assert field in error_fields(body)


# --- Isolation --------------------------------------------------------------------------------


def test_another_operators_ticket_is_exactly_as_absent_as_a_missing_one(
    as_alice: Api, as_bob: Api
) -> None:
    reference = _create(as_alice)["id"]
    missing = problem(as_bob.get("troubleTicket/ES-2099-999999"), 404, "not_found")
    foreign = problem(as_bob.get(f"troubleTicket/{reference}"), 404, "not_found")
    assert foreign == missing
    patched = as_bob.patch(f"troubleTicket/{reference}", {"note": [{"text": "Intrusion"}]})
    assert problem(patched, 404, "not_found") == missing
    assert _ids(as_bob.get("troubleTicket")) == []
    assert not TicketEvent.objects.filter(kind="comment").exists()


def test_unauthenticated_is_401(client: Any, as_alice: Api) -> None:
    reference = _create(as_alice)["id"]
    for response in (
        client.get(f"{TMF}troubleTicket"),
        client.get(f"{TMF}troubleTicket/{reference}"),
        client.post(f"{TMF}troubleTicket", tmf_ticket(), content_type="application/json"),
    ):
        problem(response, 401, "unauthenticated")


# --- Bad input: refused whole, nothing saved ---------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"severity": "Blocking"}, "validation_error", "severity"),
        ({"ticketType": "complaint"}, "validation_error", "ticketType"),
        ({"priority": "High"}, "validation_error", "priority"),
        ({"status": "resolved"}, "validation_error", "status"),
        ({"troubleTicketCharacteristic": []}, "validation_error", "troubleTicketCharacteristic"),
        (
            {
                "troubleTicketCharacteristic": [
                    {"name": "eservice", "value": "esav"},
                    {"name": "x", "value": "y"},
                ]
            },
            "validation_error",
            "troubleTicketCharacteristic[1].name",
        ),
        (
            {"relatedParty": [{"role": "reporter", "name": "X"}]},
            "validation_error",
            "relatedParty[0].role",
        ),
        (
            {
                "troubleTicketCharacteristic": [
                    {"name": "lineReference", "value": "FI-1234-5678"},
                    {"name": "eservice", "value": "esav"},
                ],
                "name": "",
            },
            "validation_error",
            "name",
        ),
        (
            {
                "troubleTicketCharacteristic": [
                    {"name": "eservice", "value": "esav"},
                    {"name": "lineReference", "value": "bad"},
                ]
            },
            "validation_error",
            "troubleTicketCharacteristic.lineReference",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(
    as_alice: Api, overrides: dict[str, Any], code: str, field: str
) -> None:
    body = problem(as_alice.post("troubleTicket", tmf_ticket(**overrides)), 422, code)
    assert field in error_fields(body), body
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()


def test_not_subscribed_is_422_not_subscribed(as_bob: Api) -> None:
    characteristic = [{"name": "eservice", "value": "ftte"}]
    response = as_bob.post("troubleTicket", tmf_ticket(troubleTicketCharacteristic=characteristic))
    problem(response, 422, "not_subscribed")
    unknown = [{"name": "eservice", "value": "nope"}]
    response = as_bob.post("troubleTicket", tmf_ticket(troubleTicketCharacteristic=unknown))
    problem(response, 422, "not_subscribed")
    assert not Ticket.objects.exists()


def test_a_failing_note_undoes_the_whole_creation(
    as_alice: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from esoutien.core.errors import InvalidInput
    from esoutien.tickets import services

    real = services.comment_add
    calls = []

    def second_note_fails(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 2:
            raise InvalidInput("refused")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "comment_add", second_note_fails)
    response = as_alice.post("troubleTicket", tmf_ticket(note=[{"text": "un"}, {"text": "deux"}]))
    problem(response, 422, "validation_error")
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()


def test_openapi_schema_is_served(as_alice: Api) -> None:
    schema = as_alice.get("openapi.json").json()
    assert {"/tmf-api/troubleTicket/v4/troubleTicket", "/tmf-api/troubleTicket/v4/hub"} <= set(
        schema["paths"]
    )


def test_listing_costs_the_same_queries_for_more_tickets(as_alice: Api, esav_agent: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(count: int) -> None:
        for _ in range(count):
            reference = _create(as_alice, note=[{"text": "Constat"}])["id"]
            workflow.take_charge(Ticket.objects.get(reference=reference), esav_agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert as_alice.get("troubleTicket").status_code == 200
        return len(captured)

    add(2)
    few = queries()
    add(4)
    assert queries() == few
