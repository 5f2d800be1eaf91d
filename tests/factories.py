"""Factories for the domain's data, and ``file_ticket`` which files through the real service.

Tickets are never built by a factory: a ticket only exists because ``ticket_create`` filed it
(reference, ``created`` event, acknowledgement in the outbox). Tests that need a ticket in a
given status put it there with ``set_status`` (test set-up only).
"""

from __future__ import annotations

import string
from datetime import date
from typing import Any

import factory
from factory.django import DjangoModelFactory

from esoutien.accounts.models import Operator, Role, User
from esoutien.catalogue.models import EService, Subscription, Team
from esoutien.tickets import services
from esoutien.tickets.models import Kind, Severity, Ticket
from esoutien.tickets.states import Status


def _operator_code(n: int) -> str:
    """Four capital letters, unique per sequence number, never ALFA/BRAV (they start with Q)."""
    letters = string.ascii_uppercase
    return "Q" + letters[(n // 676) % 26] + letters[(n // 26) % 26] + letters[n % 26]


class OperatorFactory(DjangoModelFactory):
    class Meta:
        model = Operator
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Opérateur {n}")
    code = factory.Sequence(_operator_code)
    siren = factory.Sequence(lambda n: f"{800000000 + n:09d}")


class EServiceFactory(DjangoModelFactory):
    class Meta:
        model = EService
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"eservice-{n}")
    name = factory.Sequence(lambda n: f"E-service {n}")
    is_active = True


class SubscriptionFactory(DjangoModelFactory):
    class Meta:
        model = Subscription

    operator = factory.SubFactory(OperatorFactory)
    eservice = factory.SubFactory(EServiceFactory)
    start_date = date(2020, 1, 1)
    end_date = None


class UserFactory(DjangoModelFactory):
    """An operator member (pass ``role`` / ``operator`` for others)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@operateur.example")
    full_name = factory.Sequence(lambda n: f"Utilisateur {n}")
    role = Role.OPERATOR_MEMBER
    operator = factory.SubFactory(OperatorFactory)
    language = "fr"

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        # Through the manager, as the product creates users (normalised e-mail, full_clean).
        password = kwargs.pop("password", None)
        return model_class.objects.create_user(password=password, **kwargs)


class ManagerFactory(UserFactory):
    role = Role.OPERATOR_MANAGER


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Équipe {n}")

    @factory.post_generation
    def eservices(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.eservices.add(*extracted)

    @factory.post_generation
    def members(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.members.add(*extracted)


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # the test authenticator's shared secret


class StaffFactory(UserFactory):
    """Provider staff, enrolled in TOTP (mandatory for staff) unless ``mfa=False``."""

    operator = None

    @factory.post_generation
    def mfa(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted is not False:
            from allauth.mfa.totp.internal.auth import TOTP

            TOTP.activate(self, TOTP_SECRET)


class AgentFactory(StaffFactory):
    """An agent in a new team covering ``eservices=[...]``."""

    email = factory.Sequence(lambda n: f"agent{n}@fournisseur.example")
    role = Role.AGENT
    operator = None

    @factory.post_generation
    def eservices(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted is not None:
            TeamFactory(eservices=list(extracted), members=[self])


class SupervisorFactory(StaffFactory):
    email = factory.Sequence(lambda n: f"supervisor{n}@fournisseur.example")
    role = Role.SUPERVISOR
    operator = None


class AdministratorFactory(StaffFactory):
    email = factory.Sequence(lambda n: f"admin{n}@fournisseur.example")
    role = Role.ADMINISTRATOR
    operator = None


def ticket_draft(user: Any, eservice: EService | None, **overrides: Any) -> services.TicketDraft:
    """A valid draft; ``overrides`` replace any TicketDraft field."""
    fields: dict[str, Any] = {
        "eservice": eservice,
        "kind": Kind.INCIDENT,
        "severity": Severity.MAJOR,
        "subject": "Commande bloquée à l'étape de raccordement",
        "description": "La commande reste bloquée depuis ce matin, code retour 503.",
        "contact_email": getattr(user, "email", "") or "noc@operateur.example",
        "contact_name": "Centre de supervision",
        "files": [],
    }
    fields.update(overrides)
    return services.TicketDraft(**fields)


def file_ticket(
    user: Any, operator: Operator, eservice: EService | None, **overrides: Any
) -> Ticket:
    """File a ticket exactly as the portal does: through ``services.ticket_create``."""
    return services.ticket_create(user, operator, ticket_draft(user, eservice, **overrides))


def set_status(ticket: Ticket, status: str, **fields: Any) -> Ticket:
    """Test set-up only: put ``ticket`` in ``status`` without going through the workflow."""
    if status == Status.RESOLVED:
        fields.setdefault("resolved_at", ticket.created_at)
    Ticket.objects.filter(pk=ticket.pk).update(status=status, **fields)
    ticket.refresh_from_db()
    return ticket
