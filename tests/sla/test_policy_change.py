"""Editing a policy never rewrites filed tickets; ``esoutien sla_recompute`` does, on demand."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from esoutien.mail.models import OutboundEmail
from esoutien.tickets import workflow
from esoutien.tickets.models import Ticket
from tests.factories import file_ticket
from tests.sla.conftest import hours, paris

pytestmark = pytest.mark.django_db


def _recompute(*args: str) -> str:
    out = StringIO()
    call_command("sla_recompute", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def filed(alice: Any, alfa: Any, esav: Any, agent: Any, esav_policies: Any) -> Ticket:
    """Filed Friday 13 March 2026 17:30 on e-SAV (take charge 1 h, resolution 10 h)."""
    with time_machine.travel(paris(2026, 3, 13, 17, 30), tick=False):
        return file_ticket(alice, alfa, esav)


def test_a_policy_change_keeps_the_targets_of_filed_tickets_even_through_transitions(
    filed: Ticket, esav_policies: Any, agent: Any, alice: Any, alfa: Any, esav: Any
) -> None:
    policy = esav_policies["any"]
    policy.take_charge_target = hours(2)
    policy.resolution_target = hours(20)
    policy.save()
    with time_machine.travel(paris(2026, 3, 14, 8, 15), tick=False):
        workflow.take_charge(filed, agent)
        newer = file_ticket(alice, alfa, esav)
    filed.refresh_from_db()
    assert filed.sla_take_charge_target == hours(1)
    assert filed.sla_resolution_target == hours(10)
    assert filed.sla_resolution_due == paris(2026, 3, 14, 17, 30)
    assert newer.sla_resolution_target == hours(20)  # new tickets get the new targets


def test_sla_recompute_applies_the_current_policy_and_dry_run_saves_nothing(
    filed: Ticket, esav_policies: Any
) -> None:
    policy = esav_policies["any"]
    policy.resolution_target = hours(20)
    policy.save()
    with time_machine.travel(paris(2026, 3, 14, 9, 0), tick=False):
        dry = _recompute("--dry-run")
        filed.refresh_from_db()
        assert filed.sla_resolution_target == hours(10)
        assert "1 ticket(s) examined, 1 would change" in dry and "nothing saved" in dry

        out = _recompute("--ticket", filed.reference.lower())
        assert "1 changed" in out
        filed.refresh_from_db()
        assert filed.sla_resolution_target == hours(20)
        # Friday 17:30 + 20 business hours: Friday 0 h 30, Saturday 10 h, Monday 9 h 30.
        assert filed.sla_resolution_due == paris(2026, 3, 16, 17, 30)
        assert "0 changed" in _recompute()  # idempotent


def test_sla_recompute_clears_the_sla_of_tickets_no_policy_covers_any_more(
    filed: Ticket, esav_policies: Any
) -> None:
    for policy in esav_policies.values():
        policy.delete()
    assert "1 changed" in _recompute("--since", "2026-03-01")
    filed.refresh_from_db()
    assert filed.sla_policy is None and filed.sla_resolution_due is None
    assert "0 ticket(s)" in _recompute("--since", "2026-04-01")


def test_sla_recompute_refuses_bad_arguments(filed: Ticket) -> None:
    with pytest.raises(CommandError):
        _recompute("--since", "13/03/2026")
    with pytest.raises(CommandError):
        _recompute("--ticket", "ES-1999-000001")


def test_acknowledgement_mail_gives_the_expected_resolution_date_in_paris_time(
    filed: Ticket,
) -> None:
    ack = OutboundEmail.objects.get(thread_key=filed.reference, kind="acknowledgement")
    # The contact's language is French: "samedi 14/03/2026 17:30".
    assert "samedi 14/03/2026 17:30" in ack.text_body
    assert "samedi 14/03/2026 17:30" in ack.html_body


def test_acknowledgement_without_sla_has_no_expected_date(
    alice: Any, alfa: Any, esav: Any, ftte: Any, esav_policies: Any
) -> None:
    alice.language = "en"
    alice.save(update_fields=["language"])
    with_sla = file_ticket(alice, alfa, esav)
    without = file_ticket(alice, alfa, ftte)
    bodies = {
        t.pk: OutboundEmail.objects.get(thread_key=t.reference, kind="acknowledgement").text_body
        for t in (with_sla, without)
    }
    assert "Expected resolution: by " in bodies[with_sla.pk]
    assert "Expected resolution" not in bodies[without.pk]
