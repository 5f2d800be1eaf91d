"""`esoutien bench_seed`: a realistic data set that the product then works with."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.core.management import call_command

from esoutien.accounts.models import Operator
from esoutien.catalogue.models import Subscription
from esoutien.tickets.models import Attachment, ReferenceCounter, Ticket, TicketEvent
from esoutien.tickets.states import FINAL_STATUSES, OPEN_STATUSES
from tests.factories import file_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(tmp_path):
    manifest = tmp_path / "manifest.json"
    call_command(
        "bench_seed",
        tickets=200,
        events_per_ticket=4,
        operators=4,
        showcase=2,
        manifest=str(manifest),
        no_progress=True,
        verbosity=0,
    )
    return manifest


def test_tickets_have_unique_references_and_the_counter_continues(seeded):
    references = list(Ticket.objects.values_list("reference", flat=True))
    assert len(references) == len(set(references)) == 200
    assert all(re.fullmatch(r"ES-\d{4}-\d{6}", r) for r in references)
    for counter in ReferenceCounter.objects.all():
        numbers = [int(r[8:]) for r in references if r[3:7] == str(counter.year)]
        assert counter.last_value == max(numbers) == len(numbers)
    # A ticket filed afterwards takes the next number, without colliding.
    operator = Operator.objects.get(code="BAAZ")
    user = operator.users.first()
    eservice = Subscription.objects.filter(operator=operator).first().eservice
    ticket = file_ticket(user, operator, eservice)
    assert ticket.reference not in references


def test_statuses_timelines_and_sla_look_like_real_life(seeded):
    statuses = Counter(Ticket.objects.values_list("status", flat=True))
    assert statuses["closed"] > 100  # old tickets are closed...
    assert sum(statuses[s] for s in OPEN_STATUSES) >= 2  # ...recent ones still open
    for ticket in Ticket.objects.all():
        events = list(ticket.events.order_by("created_at", "id"))
        assert len(events) >= 4
        assert events[0].kind == "created"
        assert ticket.updated_at == events[-1].created_at
        transitions = [e.to_status for e in events if e.kind == "status"]
        assert (transitions[-1] if transitions else "acknowledged") == ticket.status
        assert ticket.sla_policy_id and ticket.sla_resolution_due > ticket.created_at
        if ticket.status in FINAL_STATUSES:
            assert ticket.closed_at is not None
        # Filed only for e-services the operator subscribes to, by one of its users.
        assert Subscription.objects.filter(
            operator=ticket.operator, eservice=ticket.eservice
        ).exists()
        assert ticket.created_by.operator_id == ticket.operator_id
    assert "synchronisation" in " ".join(Ticket.objects.values_list("subject", flat=True)) or (
        TicketEvent.objects.filter(body__contains="client").exists()
    )


def test_showcase_tickets_have_fifty_events_and_five_files(seeded):
    import json

    showcase = json.loads(seeded.read_text())["showcase"]
    assert len(showcase) == 2
    for reference in showcase:
        ticket = Ticket.objects.get(reference=reference)
        assert ticket.events.count() == 50
        files = Attachment.objects.filter(ticket=ticket)
        assert files.count() == 5
        assert all(f.file.storage.exists(f.file.name) for f in files)
