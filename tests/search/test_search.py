"""Full-text search: accents, French words, references, public events, tenant isolation.

Runs the same on SQLite (FTS5) and PostgreSQL (tsvector): run this file on both.
"""

from __future__ import annotations

from typing import Any

import pytest

from esoutien.accounts import access
from esoutien.tickets import search, search_index, services
from esoutien.tickets.models import Ticket
from tests.factories import file_ticket

pytestmark = pytest.mark.django_db


def _found(user: Any, text: str) -> list[str]:
    visible = access.visible_tickets(user, Ticket.objects.all())
    return [t.reference for t in search.search_tickets(visible, text)]


@pytest.fixture
def tickets(alice: Any, alfa: Any, esav: Any, ftte: Any) -> dict[str, Ticket]:
    return {
        "eligibility": file_ticket(
            alice,
            alfa,
            ftte,
            subject="Éligibilité refusée pour un immeuble neuf",
            description="Le bâtiment est raccordable depuis lundi.",
        ),
        "cut": file_ticket(
            alice,
            alfa,
            esav,
            subject="Fibre coupee rue des Lilas",
            description="Plus de synchronisation sur la ligne.",
            line_reference="FI-AB12-CD34",
            operator_reference="ALFA-INC-778",
        ),
        "other": file_ticket(
            alice, alfa, esav, subject="Commande bloquée", description="Code retour 503."
        ),
    }


def test_accents_and_case_do_not_matter(alice: Any, tickets: dict[str, Ticket]) -> None:
    assert _found(alice, "eligibilite") == [tickets["eligibility"].reference]
    assert _found(alice, "ÉLIGIBILITÉ immeuble") == [tickets["eligibility"].reference]
    assert _found(alice, "batiment raccordable") == [tickets["eligibility"].reference]


def test_french_words_match_with_or_without_accents(alice: Any, tickets: dict[str, Ticket]) -> None:
    assert _found(alice, "fibre coupée") == [tickets["cut"].reference]
    assert _found(alice, "Fibre coupee") == [tickets["cut"].reference]
    assert _found(alice, "SYNCHRONISATION ligne") == [tickets["cut"].reference]
    assert _found(alice, "fibre neuf") == []  # every word must match


def test_line_and_operator_references_are_found(alice: Any, tickets: dict[str, Ticket]) -> None:
    assert _found(alice, "FI-AB12-CD34") == [tickets["cut"].reference]
    assert _found(alice, "fi-ab12-cd34") == [tickets["cut"].reference]
    assert _found(alice, "ALFA-INC-778") == [tickets["cut"].reference]


def test_the_exact_reference_comes_first(
    alice: Any, alfa: Any, esav: Any, tickets: dict[str, Ticket]
) -> None:
    target = tickets["other"]
    # Another ticket mentions the number in its text; the ticket itself has no such word.
    file_ticket(alice, alfa, esav, subject=f"Suite de {target.reference}", description="Voir.")
    number = int(target.reference.rsplit("-", 1)[1])
    year = target.reference.split("-")[1]
    for typed in (target.reference, target.reference.lower(), f"{year}-{number}"):
        assert _found(alice, typed)[0] == target.reference, typed


def test_public_events_are_searchable_internal_notes_are_not(
    alice: Any, agent: Any, tickets: dict[str, Ticket]
) -> None:
    ticket = tickets["other"]
    services.comment_add(agent, ticket, "Le routeur de collecte a été redémarré.")
    services.comment_add(agent, ticket, "Suspicion de fraude chez le client.", internal=True)
    assert _found(alice, "routeur redemarre") == [ticket.reference]
    assert _found(alice, "fraude") == []
    assert _found(agent, "fraude") == []  # notes are never indexed


def test_an_edited_ticket_is_found_by_its_new_words(alice: Any, tickets: dict[str, Ticket]) -> None:
    ticket = tickets["other"]
    services.comment_add(alice, ticket, "Toujours en panne ce soir.")
    Ticket.objects.filter(pk=ticket.pk).update(subject="Portail inaccessible")
    assert _found(alice, "portail") == [ticket.reference]
    assert _found(alice, "panne soir") == [ticket.reference]  # events kept on recompute
    assert _found(alice, "bloquee") == []


def test_search_never_leaves_the_scoped_queryset(
    alice: Any, bob: Any, brav: Any, esav: Any, tickets: dict[str, Ticket]
) -> None:
    theirs = file_ticket(bob, brav, esav, subject="Fibre coupée chez Bravo")
    assert _found(bob, "fibre coupee") == [theirs.reference]
    assert theirs.reference not in _found(alice, "fibre coupee")
    assert _found(alice, theirs.reference) == []  # even by its exact reference
    assert _found(alice, "bravo") == []


def test_relevance_orders_the_matches(alice: Any, alfa: Any, esav: Any) -> None:
    weak = file_ticket(
        alice, alfa, esav, subject="Question", description="Une remarque sur la fibre."
    )
    strong = file_ticket(
        alice, alfa, esav, subject="Fibre fibre", description="Fibre optique, fibre noire."
    )
    assert _found(alice, "fibre") == [strong.reference, weak.reference]


def test_user_input_cannot_break_the_query(alice: Any, tickets: dict[str, Ticket]) -> None:
    for typed in ('"', "fibre OR", "NEAR(", "a:b", "*", "'", "&|!", "-", "fibre*", "l'étape"):
        _found(alice, typed)  # no database error


def test_rebuild_gives_the_same_results(alice: Any, agent: Any, tickets: dict[str, Ticket]) -> None:
    services.comment_add(agent, tickets["other"], "Intervention planifiée demain.")
    before = _found(alice, "intervention")
    search_index.rebuild()
    assert _found(alice, "intervention") == before == [tickets["other"].reference]


def test_the_portal_the_desk_and_the_api_use_the_same_search(
    client: Any, settings: Any, alice: Any, agent: Any, tickets: dict[str, Ticket]
) -> None:
    from django.urls import reverse

    from esoutien.api.tokens import create_token

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    services.comment_add(agent, tickets["cut"], "Note : client difficile.", internal=True)
    wanted, other = tickets["eligibility"].reference, tickets["cut"].reference
    client.force_login(alice)
    page = client.get(reverse("portal:dashboard"), {"q": "eligibilite"}).content.decode()
    assert wanted in page and other not in page
    assert other not in client.get(reverse("portal:dashboard"), {"q": "difficile"}).content.decode()
    client.force_login(agent)
    page = client.get(reverse("desk:queue"), {"q": "ÉLIGIBILITÉ", "status": ""}).content.decode()
    assert wanted in page and other not in page
    token = create_token(alice, "tests")[1]
    api = client.__class__(headers={"Authorization": f"Bearer {token}"})
    items = api.get("/api/v1/tickets", {"q": "coupée"}).json()["items"]
    assert [t["reference"] for t in items] == [other]
    assert api.get("/api/v1/tickets", {"q": "difficile"}).json()["items"] == []
