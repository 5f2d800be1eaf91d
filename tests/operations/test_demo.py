"""`esoutien demo`: realistic, idempotent demo data that sends no e-mail."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import translation

from esoutien.accounts.models import Operator, Role, User
from esoutien.catalogue.business_hours import add_business_time
from esoutien.catalogue.models import EService, SlaPolicy, Subscription, SupportCalendar, Team
from esoutien.catalogue.sla import describe_hours, targets_for
from esoutien.mail.models import OutboundEmail, OutboundStatus
from esoutien.tickets.models import Attachment, ResolutionReport, Ticket, TicketEvent
from esoutien.tickets.states import Status

pytestmark = pytest.mark.django_db

DEMO_LOGINS = {
    "alice@alfa.example": (Role.OPERATOR_MEMBER, "ALFA"),
    "manager@alfa.example": (Role.OPERATOR_MANAGER, "ALFA"),
    "bob@brav.example": (Role.OPERATOR_MEMBER, "BRAV"),
    "agent@provider.example": (Role.AGENT, None),
    "supervisor@provider.example": (Role.SUPERVISOR, None),
    "admin@provider.example": (Role.ADMINISTRATOR, None),
}
MODELS = (
    EService,
    SupportCalendar,
    SlaPolicy,
    Operator,
    Subscription,
    Team,
    User,
    Ticket,
    TicketEvent,
    Attachment,
    ResolutionReport,
    OutboundEmail,
)


@pytest.fixture(autouse=True)
def _fast_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    # WeasyPrint takes about a second a report; the PDF itself is tested elsewhere.
    monkeypatch.setattr(
        "esoutien.tickets.report_pdf.render_report_pdf",
        lambda report, language="fr": b"%PDF-1.4\n% demo\n",
    )


def _demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_demo_seeds_the_catalogue_operators_and_users() -> None:
    output = _demo()

    assert dict(EService.objects.values_list("code", "name")) == {
        "ftte-eligibility": "Éligibilité FTTE",
        "e-sav": "e-SAV",
        "fci": "FCI",
    }
    assert all(EService.objects.values_list("description", flat=True))
    subscribed = {
        code: set(
            Subscription.objects.filter(operator__code=code, end_date__isnull=True).values_list(
                "eservice__code", flat=True
            )
        )
        for code in ("ALFA", "BRAV")
    }
    assert subscribed == {"ALFA": {"ftte-eligibility", "e-sav", "fci"}, "BRAV": {"e-sav"}}
    alfa = Operator.objects.get(code="ALFA")
    assert (alfa.name, alfa.notification_addresses) == ("Alfa Télécom", ["noc@alfa.example"])
    assert len(alfa.siren) == 9 and alfa.siren.isdigit()

    for email, (role, operator_code) in DEMO_LOGINS.items():
        user = authenticate(username=email, password=settings.ESOUTIEN_DEMO_PASSWORD)
        assert user is not None, email
        assert user.role == role
        assert getattr(user.operator, "code", None) == operator_code
        assert email in output
    assert User.objects.get(email="admin@provider.example").is_superuser
    team = Team.objects.get(name="Support e-services")
    assert set(team.eservices.values_list("code", flat=True)) == {
        "ftte-eligibility",
        "e-sav",
        "fci",
    }
    assert team.members.filter(email="agent@provider.example").exists()
    assert settings.ESOUTIEN_DEMO_PASSWORD in output


def test_demo_tickets_cover_every_status_with_real_timelines() -> None:
    _demo()

    tickets = Ticket.objects.filter(operator__code__in=["ALFA", "BRAV"])
    assert 20 <= tickets.count() <= 40
    assert set(tickets.values_list("status", flat=True)) == set(Status.values)
    assert set(tickets.filter(operator__code="BRAV").values_list("eservice__code", flat=True)) == {
        "e-sav"
    }
    assert tickets.filter(operator__code="BRAV").exists()
    # Made through the workflow: status changes, messages, notes, reports with their PDF.
    kinds = set(TicketEvent.objects.values_list("kind", flat=True))
    assert {"created", "status", "comment", "note", "inquiry", "assignment"} <= kinds
    transitions = set(TicketEvent.objects.values_list("transition", flat=True))
    assert {
        "take",
        "request_info",
        "receive_info",
        "hold",
        "resolve",
        "reject",
        "cancel",
        "accept",
        "contest",
        "close",
    } <= transitions
    assert ResolutionReport.objects.exists()
    assert not ResolutionReport.objects.filter(pdf__isnull=True).exists()
    # Backdated consistently: filed first, every later step after it, nothing in the future.
    references = list(tickets.order_by("created_at").values_list("reference", flat=True))
    assert references == sorted(references)
    for ticket in tickets:
        times = list(ticket.events.values_list("created_at", flat=True))
        assert times == sorted(times)
        assert times[0] == ticket.created_at and ticket.updated_at == times[-1]
        if ticket.status in (Status.RESOLVED, Status.CLOSED):
            assert ticket.created_at <= ticket.resolved_at <= ticket.updated_at


def test_demo_sends_no_mail() -> None:
    before = OutboundEmail.objects.count()
    _demo()

    demo_rows = OutboundEmail.objects.all()
    assert demo_rows.count() > before
    assert not demo_rows.filter(status=OutboundStatus.QUEUED).exists()
    assert demo_rows.filter(status=OutboundStatus.SUPPRESSED).count() == demo_rows.count()


def test_a_second_run_creates_nothing() -> None:
    _demo()
    first = _counts()

    output = _demo()

    assert _counts() == first
    assert "none added" in output


def test_no_tickets_option_seeds_catalogue_and_users_only() -> None:
    _demo("--no-tickets")

    assert User.objects.count() == len(DEMO_LOGINS)
    assert EService.objects.count() == 3
    assert not Ticket.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_if_empty_does_nothing_when_users_exist() -> None:
    User.objects.create_user("someone@provider.example", "x" * 16, role=Role.SUPERVISOR)

    output = _demo("--if-empty")

    assert User.objects.count() == 1
    assert not EService.objects.exists()
    assert "no demo data" in output


def test_demo_seeds_support_hours_and_sla_policies() -> None:
    _demo("--no-tickets")

    hours = {
        e.code: e.support_calendar for e in EService.objects.select_related("support_calendar")
    }
    with translation.override("en"):
        described = {code: describe_hours(calendar) for code, calendar in hours.items()}
    assert described == {
        "ftte-eligibility": "Monday to Friday, 8:00 to 18:00, except public holidays",
        "e-sav": "Monday to Saturday, 8:00 to 18:00, except public holidays",
        "fci": "Monday to Friday, 9:00 to 17:00",
    }
    hour = timedelta(hours=1)
    ids = dict(EService.objects.values_list("code", "pk"))
    expected = {  # (take charge, resolution); a business day is a full day of the calendar
        ("ftte-eligibility", "major"): (4 * hour, 2 * 10 * hour),
        ("e-sav", "major"): (hour, 10 * hour),
        ("e-sav", "critical"): (hour, 4 * hour),
        ("fci", "minor"): (8 * hour, 5 * 8 * hour),
    }
    for (code, severity), (take_charge, resolution) in expected.items():
        targets = targets_for(ids[code], severity, "incident")
        assert targets is not None
        assert (targets.take_charge, targets.resolution) == (take_charge, resolution)
        assert targets.pause_statuses == {"pending"}
    # Friday 17:30 + 1 business hour on e-SAV is Saturday 08:30.
    paris = ZoneInfo("Europe/Paris")
    esav = targets_for(ids["e-sav"], "major", "incident")
    assert esav is not None
    friday = datetime(2026, 3, 6, 17, 30, tzinfo=paris)
    assert add_business_time(friday, hour, esav.calendar) == datetime(
        2026, 3, 7, 8, 30, tzinfo=paris
    )
