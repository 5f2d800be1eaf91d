"""Tenant isolation, proven: every URL of the site, requested by every kind of user.

The URL configuration is walked (``get_resolver()``), so the matrix always covers what the
site really serves, and a URL added without an entry in ``RULES`` fails
``test_every_url_has_an_access_rule``. Each rule names who may reach the page; the expected
outcome of every (URL, user) pair is computed from the rule and the owner of the object in
the URL, never read from the response, then compared with what the site answers:

* ``allowed``: 2xx, or a redirect that goes neither to a login page nor to a refusal;
* ``login``: anonymous visitors are sent to ``/accounts/login/`` (``/admin/login/`` for the
  admin site, which keeps its own door);
* ``403``: a signed-in user whose role may not use the page;
* ``404``: an object of another operator (or outside an agent's e-services) is exactly as
  absent as one that does not exist: same status and same page as the reference
  ``ES-2099-999999``.

One test per user: the data is built once per test and every request runs in a savepoint
rolled back afterwards (and the client's cookies are put back), so a POST that cancels a
ticket or a logout cannot change what the next request sees.

Adding a URL: give it a rule in ``RULES`` (by its name; by its route if it has none); if it
takes parameters no other URL takes, teach ``TARGETS`` how to build them, with an object of
each operator and a missing one (``ENDPOINT_TARGETS`` when one URL needs objects of its own).

The REST API (``/api/v1``) is in the matrix with the browser session of each actor (its
bearer tokens have their own isolation matrix in ``tests/api/test_isolation.py``). Anonymous
callers get 401, not a login redirect. Its schema (``openapi.json``) and interactive docs are
public: they describe the contract, hold no data, and an operator's developer reads them
before having a token. Its unsafe operations are sent with a valid JSON body (``Rule.json``)
or a file (``Rule.upload``), so that what answers is the access rule, not body validation.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.views.generic import RedirectView

from esoutien.accounts import invitations
from esoutien.accounts.models import Role
from esoutien.api.tokens import create_token
from esoutien.mail.models import InboundEmail, InboundStatus, OutboundEmail
from esoutien.tickets import services, workflow
from esoutien.tickets.models import Attachment, Ticket
from esoutien.tickets.states import Status
from esoutien.webhooks import endpoints as webhook_endpoints
from esoutien.webhooks.models import PayloadFormat, WebhookDelivery, WebhookEndpoint
from tests.factories import (
    AdministratorFactory,
    AgentFactory,
    ManagerFactory,
    file_ticket,
    set_status,
)

pytestmark = pytest.mark.django_db

MISSING_REFERENCE = "ES-2099-999999"
MISSING_ID = 999_999

# --- Outcomes ---------------------------------------------------------------------------------

ALLOWED = "allowed"
LOGIN = "login"
ADMIN_LOGIN = "admin login"
UNAUTHORIZED = "401"
FORBIDDEN = "403"
NOT_FOUND = "404"

LOGIN_PATH = "/accounts/login/"
ADMIN_LOGIN_PATH = "/admin/login/"


def outcome(response: HttpResponseBase) -> str:
    """The class of an answer; anything unexpected (500, 405, 410...) is its own class."""
    status = response.status_code
    if status == 401:
        return UNAUTHORIZED
    if status == 403:
        return FORBIDDEN
    if status == 404:
        return NOT_FOUND
    if 300 <= status < 400:
        target = urlsplit(response["Location"]).path
        if target == LOGIN_PATH:
            return LOGIN
        if target == ADMIN_LOGIN_PATH:
            return ADMIN_LOGIN
        return ALLOWED
    if 200 <= status < 300:
        return ALLOWED
    return f"status {status}"


# --- The people -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    key: str
    role: str | None = None  # None: an anonymous visitor
    operator: str | None = None  # an operator user's operator code
    eservices: frozenset[str] | None = None  # an agent's e-services; None: all of them
    mfa: bool = False  # has a TOTP authenticator (provider staff must)

    @property
    def anonymous(self) -> bool:
        return self.role is None

    @property
    def operator_user(self) -> bool:
        return self.role in (Role.OPERATOR_MEMBER, Role.OPERATOR_MANAGER)

    @property
    def desk_user(self) -> bool:
        return self.role in (Role.AGENT, Role.SUPERVISOR, Role.ADMINISTRATOR)


ACTORS = [
    Actor("anonymous"),
    Actor("alice", Role.OPERATOR_MEMBER, operator="ALFA"),
    Actor("alfa_manager", Role.OPERATOR_MANAGER, operator="ALFA"),
    Actor("bob", Role.OPERATOR_MEMBER, operator="BRAV"),
    Actor("agent_esav", Role.AGENT, eservices=frozenset({"esav"}), mfa=True),
    Actor("supervisor", Role.SUPERVISOR, mfa=True),
    Actor("administrator", Role.ADMINISTRATOR, mfa=True),
]


# --- The objects named in URLs ----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One set of URL arguments and the object they designate."""

    label: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    operator: str | None = None  # the owning operator's code (None: provider-side object)
    eservice: str | None = None  # the ticket's e-service code
    exists: bool = True  # False: designates nothing (the 404 every refusal must look like)
    internal: bool = False  # visible to the desk only (an internal note's attachment)
    baseline: bool = False  # the plain missing object every other 404 must look like
    owner: str | None = None  # the actor key of the person owning a personal object


NO_OBJECT = Target("-")


# --- Who may reach what -----------------------------------------------------------------------


def _public(actor: Actor, target: Target) -> str:
    return ALLOWED


def _authenticated(actor: Actor, target: Target) -> str:
    return LOGIN if actor.anonymous else ALLOWED


def _own_operator_object(actor: Actor, target: Target) -> str:
    if target is NO_OBJECT:
        return ALLOWED
    if not target.exists or target.internal or target.operator != actor.operator:
        return NOT_FOUND
    return ALLOWED


def _operator(actor: Actor, target: Target) -> str:
    if actor.anonymous:
        return LOGIN
    if not actor.operator_user:
        return FORBIDDEN
    return _own_operator_object(actor, target)


def _manager(actor: Actor, target: Target) -> str:
    if actor.anonymous:
        return LOGIN
    if actor.role != Role.OPERATOR_MANAGER:
        return FORBIDDEN
    return _own_operator_object(actor, target)


def _desk(actor: Actor, target: Target) -> str:
    if actor.anonymous:
        return LOGIN
    if not actor.desk_user:
        return FORBIDDEN
    if target is NO_OBJECT:
        return ALLOWED
    if not target.exists:
        return NOT_FOUND
    if actor.eservices is not None and target.eservice not in actor.eservices:
        return NOT_FOUND
    return ALLOWED


def _login_stage(actor: Actor, target: Target) -> str:
    return LOGIN if actor.anonymous else ALLOWED


def _sso_stage(actor: Actor, target: Target) -> str:
    return LOGIN


def _sso_error(actor: Actor, target: Target) -> str:
    return UNAUTHORIZED


def _sso_refused(actor: Actor, target: Target) -> str:
    return FORBIDDEN


def _supervisor(actor: Actor, target: Target) -> str:
    if actor.anonymous:
        return LOGIN
    return ALLOWED if actor.role in (Role.SUPERVISOR, Role.ADMINISTRATOR) else FORBIDDEN


def _mfa_enrolled(actor: Actor, target: Target) -> str:
    if actor.anonymous:
        return LOGIN
    return ALLOWED if actor.mfa else NOT_FOUND


def _administrator(actor: Actor, target: Target) -> str:
    return ALLOWED if actor.role == Role.ADMINISTRATOR else ADMIN_LOGIN


def _admin_login(actor: Actor, target: Target) -> str:
    if actor.anonymous:
        return LOGIN
    return ALLOWED if actor.role == Role.ADMINISTRATOR else FORBIDDEN


def _administrator_logout(actor: Actor, target: Target) -> str:
    return LOGIN if actor.role == Role.ADMINISTRATOR else ADMIN_LOGIN


def _administrator_refused(actor: Actor, target: Target) -> str:
    return FORBIDDEN if actor.role == Role.ADMINISTRATOR else ADMIN_LOGIN


def _administrator_not_found(actor: Actor, target: Target) -> str:
    return NOT_FOUND if actor.role == Role.ADMINISTRATOR else ADMIN_LOGIN


def _api(actor: Actor, target: Target) -> str:
    if actor.anonymous:
        return UNAUTHORIZED
    if actor.operator_user:
        return _own_operator_object(actor, target)
    # Provider staff: as on the desk, agents see the tickets of their teams' e-services.
    return _desk(actor, target)


def _api_operator(actor: Actor, target: Target) -> str:
    """Operator users' actions on their tickets; staff who may see the ticket get 403."""
    outcome = _api(actor, target)
    if outcome == ALLOWED and not actor.operator_user:
        return FORBIDDEN
    return outcome


def _api_not_found(actor: Actor, target: Target) -> str:
    return NOT_FOUND


def _owner(actor: Actor, target: Target) -> str:
    if actor.anonymous:
        return LOGIN
    return ALLOWED if target.owner == actor.key else NOT_FOUND


def _desk_mail(actor: Actor, target: Target) -> str:
    """A received message: as ``desk``, except that one naming no ticket (no e-service) is for
    every desk user to triage, agents included."""
    if target is not NO_OBJECT and target.exists and target.eservice is None:
        if actor.anonymous:
            return LOGIN
        return ALLOWED if actor.desk_user else FORBIDDEN
    return _desk(actor, target)


def _api_manager(actor: Actor, target: Target) -> str:
    if actor.anonymous:
        return UNAUTHORIZED
    if actor.role == Role.ADMINISTRATOR:
        return ALLOWED if target is NO_OBJECT or target.exists else NOT_FOUND
    if actor.role != Role.OPERATOR_MANAGER:
        return FORBIDDEN
    return _own_operator_object(actor, target)


def _api_own_manager(actor: Actor, target: Target) -> str:
    if actor.anonymous:
        return UNAUTHORIZED
    return ALLOWED if actor.role == Role.OPERATOR_MANAGER else FORBIDDEN


# --- Maintenance windows (operations app) ---


def _supervisor_object(actor: Actor, target: Target) -> str:
    """A supervisors' page about one object: 403 to everyone else, even for a missing one."""
    outcome = _supervisor(actor, target)
    if outcome == ALLOWED and target is not NO_OBJECT and not target.exists:
        return NOT_FOUND
    return outcome


def _secret_link(actor: Actor, target: Target) -> str:
    return ALLOWED if target is NO_OBJECT or target.exists else NOT_FOUND


def _api_authenticated(actor: Actor, target: Target) -> str:
    return UNAUTHORIZED if actor.anonymous else _secret_link(actor, target)


def _api_supervisor(actor: Actor, target: Target) -> str:
    if actor.anonymous:
        return UNAUTHORIZED
    if actor.role not in (Role.SUPERVISOR, Role.ADMINISTRATOR):
        return FORBIDDEN
    return _secret_link(actor, target)


KINDS: dict[str, Callable[[Actor, Target], str]] = {
    # Anyone, signed in or not (login page, password reset, health check...).
    "public": _public,
    # Any signed-in user, whatever the role (profile, password, 2FA, sessions).
    "authenticated": _authenticated,
    # Operator users, on their own operator's objects only; staff get 403.
    "operator": _operator,
    # Operator managers, on their own operator's accounts only.
    "manager": _manager,
    # Provider staff; agents only on the e-services of their teams, others on all.
    "desk": _desk,
    # A step of a login in progress: with none, visitors go back to the login page and
    # signed-in users elsewhere.
    "login_stage": _login_stage,
    # The SSO sign-up step: with no SSO login in progress, back to the login page.
    "sso_stage": _sso_stage,
    # allauth's SSO failure page answers 401 to everyone.
    "sso_error": _sso_error,
    # An IdP answer that does not belong to a login in progress: recorded and refused.
    "sso_refused": _sso_refused,
    # Supervisors and administrators.
    "supervisor": _supervisor,
    # Signed-in users with a TOTP authenticator (others: allauth's 404).
    "mfa_enrolled": _mfa_enrolled,
    # The Django admin site: administrators; everyone else is sent to its login page.
    "administrator": _administrator,
    # The admin's login page has no form of its own: it hands over to allauth's login (MFA,
    # lockout), as allauth's secure_admin_login does; signed-in non-administrators get 403.
    "admin_login": _admin_login,
    # The admin's logout: administrators are logged out and sent to the login page
    # (LOGOUT_REDIRECT_URL); anyone else to the admin index, hence to the admin login.
    "administrator_logout": _administrator_logout,
    # Admin pages refused even to administrators (read-only models: add, delete).
    "administrator_refused": _administrator_refused,
    # Admin URLs that lead nowhere even for administrators.
    "administrator_not_found": _administrator_not_found,
    # The REST API with a browser session: 401 to anonymous callers; operator users on their
    # operator's tickets, staff on their e-services' (others: the same 404 as a missing one).
    "api": _api,
    # API operations of the operator side only (status inquiry): staff get 403 on tickets
    # they may see, 404 on the others.
    "api_operator": _api_operator,
    # django-ninja's root URL: it only anchors reverse(), and answers 404 to everyone.
    "api_not_found": _api_not_found,
    # A person's own object (an API token): its owner only; anyone else gets a 404.
    "owner": _owner,
    # The desk's quarantined mail: desk users; an agent sees the messages naming no ticket
    # and those naming a ticket of the agent's e-services (others: the same 404).
    "desk_mail": _desk_mail,
    # Operator-owned settings through the API (webhooks): 401 to anonymous callers; an
    # operator's managers on their own operator's, administrators on every operator's; anyone
    # else 403, even for a missing object.
    "api_manager": _api_manager,
    # An operator's managers for their own operator, where the operator is not named (TMF621
    # hub registration): 401 to anonymous callers, 403 to everyone else, administrators too.
    "api_own_manager": _api_own_manager,
    # --- Maintenance windows (operations app)
    # Supervisors and administrators, on an object: 403 to others even for a missing one.
    "supervisor_object": _supervisor_object,
    # A secret address is the credential (the operators' calendar feed): anyone with it; an
    # unknown one is a 404.
    "secret_link": _secret_link,
    # The API for anyone signed in (maintenance windows are no one's secret); 401 anonymous.
    "api_authenticated": _api_authenticated,
    # API writes of supervisors and administrators: 401 anonymous, 403 anyone else.
    "api_supervisor": _api_supervisor,
}


@dataclass(frozen=True)
class Rule:
    kind: str  # a key of KINDS, or SHADOWED
    method: str = "GET"  # POST-only views get a POST with empty data
    query: str = ""
    why: str = ""
    by: str = ""  # SHADOWED: the pattern that answers this one's URLs
    json: dict[str, Any] | None = None  # an API body, sent as application/json
    upload: bool = False  # an API upload: one small text file in the multipart field "files"


# A pattern no request can reach: an earlier one (``by``) answers all its URLs. The matrix
# checks that it still does, and tests the earlier one.
SHADOWED = "shadowed"


# Rules by pattern name ("namespace:name"), or by full route for unnamed patterns.
RULES: dict[str, Rule] = {
    # --- e-soutien's own pages
    "home": Rule("authenticated", why="dispatches to the portal or the desk"),
    "health": Rule("public"),
    "accessibility": Rule("public", why="the RGAA accessibility statement"),
    "set_language": Rule("public", method="POST"),
    "sso_deep_link": Rule("public", query="?next=/portal/"),
    "profile": Rule("authenticated"),
    "operator_users": Rule("manager"),
    "operator_user_active": Rule("manager", method="POST"),
    "invitation_accept": Rule("public", why="the signed one-time link is the credential"),
    "portal:dashboard": Rule("operator"),
    "portal:ticket_new": Rule("operator"),
    "portal:followup": Rule("operator"),
    "portal:ticket": Rule("operator"),
    "portal:ticket_comment": Rule("operator", method="POST"),
    "portal:ticket_cancel": Rule("operator", method="POST"),
    "portal:ticket_accept": Rule("operator", method="POST"),
    "portal:ticket_contest": Rule("operator", method="POST"),
    "portal:attachment": Rule("operator"),
    "desk:queue": Rule("desk"),
    "desk:ticket_new": Rule("desk"),
    "desk:ticket": Rule("desk"),
    "desk:ticket_action": Rule("desk", method="POST"),
    "desk:outbox_retry": Rule("desk", method="POST"),
    "desk:attachment": Rule("desk"),
    "desk:quarantine": Rule("desk"),
    "desk:quarantine_detail": Rule("desk_mail"),
    "desk:quarantine_action": Rule("desk_mail", method="POST"),
    # --- SLA reports (issue 6): every operator's for supervisors, one's own for operator users
    "desk:sla_report": Rule("supervisor"),
    "desk:sla_report_export": Rule("supervisor"),
    "portal:indicators": Rule("operator"),
    "portal:indicators_export": Rule("operator"),
    # --- Webhooks: an operator's managers, on their own operator's endpoints (administrators
    # manage them through the API)
    "webhooks:list": Rule("manager"),
    "webhooks:detail": Rule("manager"),
    "webhooks:active": Rule("manager", method="POST"),
    "webhooks:delete": Rule("manager", method="POST"),
    "webhooks:redeliver": Rule("manager", method="POST"),
    "audit:list": Rule("supervisor"),
    "audit:export": Rule("supervisor"),
    # --- django-allauth (/accounts/...): accounts, 2FA, user sessions, single sign-on
    "account_login": Rule("public"),
    "account_logout": Rule("authenticated"),
    "account_inactive": Rule("public"),
    "account_signup": Rule("public", why="closed: the adapter refuses self-registration"),
    "account_reauthenticate": Rule("authenticated"),
    "account_request_reauthentication_code": Rule("authenticated"),
    "account_confirm_reauthentication_code": Rule("authenticated"),
    "account_email": Rule("authenticated"),
    "account_email_verification_sent": Rule("public"),
    "account_change_password": Rule("authenticated"),
    "account_set_password": Rule("authenticated"),
    "account_reset_password": Rule("public"),
    "account_reset_password_done": Rule("public"),
    "account_reset_password_from_key": Rule("public", why="the key is the credential"),
    "account_reset_password_from_key_done": Rule("public"),
    "account_confirm_email": Rule("public", why="the key is the credential"),
    "account_confirm_login_code": Rule("login_stage"),
    "mfa_index": Rule("authenticated"),
    "mfa_authenticate": Rule("login_stage"),
    "mfa_reauthenticate": Rule("authenticated"),
    "mfa_activate_totp": Rule("authenticated"),
    "mfa_deactivate_totp": Rule("mfa_enrolled"),
    "mfa_view_recovery_codes": Rule("mfa_enrolled"),
    "mfa_generate_recovery_codes": Rule(
        "authenticated", why="reauthentication first; the form refuses users without 2FA"
    ),
    "mfa_download_recovery_codes": Rule("mfa_enrolled"),
    "usersessions_list": Rule("authenticated"),
    "socialaccount_login_cancelled": Rule("public"),
    "socialaccount_login_error": Rule("sso_error"),
    "socialaccount_signup": Rule("sso_stage"),
    "socialaccount_connections": Rule("authenticated"),
    "sso_provider_login": Rule("public", why="allauth's OIDC login with a page for a down IdP"),
    "openid_connect_login": Rule(SHADOWED, by="sso_provider_login"),
    "openid_connect_callback": Rule("sso_refused", why="no login in progress: a forged answer"),
    # --- The admin site's own pages (ModelAdmin pages: GROUP_RULES below)
    "admin:login": Rule("admin_login", why="no password-only door around MFA and lockout"),
    "admin:logout": Rule("administrator_logout", method="POST"),
    "admin:view_on_site": Rule(
        "administrator_not_found", why="no model has get_absolute_url: the shortcut is a 404"
    ),
    "admin:autocomplete": Rule(
        "administrator", query="?app_label=catalogue&model_name=subscription&field_name=operator"
    ),
    "admin/(?P<url>.*)$": Rule("administrator_not_found", why="the admin's catch-all"),
    # --- Personal API tokens ("Accès API")
    "api_tokens": Rule("authenticated"),
    "api_token_revoke": Rule("owner", method="POST"),
    # --- The REST API (/api/v1), with the browser session
    "api-1:openapi-json": Rule("public", why="the contract, no data"),
    "api-1:openapi-view": Rule("public", why="interactive docs of the contract, no data"),
    "api-1:api-root": Rule("api_not_found"),
    "api-1:list_eservices": Rule("api"),
    "api-1:list_tickets": Rule("api"),
    "api-1:create_ticket": Rule(
        "api",
        method="POST",
        json={
            "eservice": "esav",
            "kind": "incident",
            "severity": "minor",
            "subject": "Matrice",
            "description": "Matrice d'accès",
            "contact_email": "noc@example.com",
            "operator": "ALFA",  # staff file on behalf; operator users always for their own
        },
    ),
    "api-1:ticket_detail": Rule("api"),
    "api-1:list_events": Rule("api"),
    "api-1:add_comment": Rule("api", method="POST", json={"body": "Bonjour"}),
    "api-1:status_inquiry": Rule("api_operator", method="POST", json={"body": "Des nouvelles ?"}),
    "api-1:list_attachments": Rule("api"),
    "api-1:upload_attachments": Rule("api", method="POST", upload=True),
    "api-1:attachment_download": Rule("api"),
    "api-1:ticket_report": Rule("api", why="targets: resolved tickets (ENDPOINT_TARGETS)"),
    "api-1:transition": Rule(
        "api", method="POST", json={"action": "cancel"}, why="both sides may cancel"
    ),
    "api-1:list_webhooks": Rule("api_manager"),
    "api-1:create_webhook": Rule(
        "api_manager",
        method="POST",
        json={
            "url": "https://oss.example.com/hooks",
            "events": ["ticket.created"],
            "operator": "ALFA",  # administrators name it; managers always for their own
        },
    ),
    "api-1:webhook_detail": Rule("api_manager"),
    "api-1:update_webhook": Rule("api_manager", method="PATCH", json={"active": False}),
    "api-1:delete_webhook": Rule("api_manager", method="DELETE"),
    "api-1:webhook_deliveries": Rule("api_manager"),
    "api-1:redeliver_delivery": Rule("api_manager", method="POST"),
    # --- The TM Forum TMF621 facade: its contract and docs are public like /api/v1's
    "tmf621:openapi-json": Rule("public", why="the contract, no data"),
    "tmf621:openapi-view": Rule("public", why="interactive docs of the contract, no data"),
    "tmf621:api-root": Rule("api_not_found"),
    "tmf621:list_trouble_tickets": Rule("api"),
    "tmf621:retrieve_trouble_ticket": Rule("api", why="id: the ticket's reference"),
    "tmf621:patch_trouble_ticket": Rule(
        "api", method="PATCH", json={"note": [{"text": "Matrice"}]}, why="adds a note"
    ),
    "tmf621:create_trouble_ticket": Rule(
        "api",
        method="POST",
        json={
            "name": "Matrice",
            "description": "Matrice d'accès",
            "severity": "Minor",
            "ticketType": "incident",
            # staff file on behalf of the customer party; operator users always for their own
            "relatedParty": [{"role": "customer", "id": "ALFA"}],
            "troubleTicketCharacteristic": [{"name": "eservice", "value": "esav"}],
        },
    ),
    "tmf621:register_listener": Rule(
        "api_own_manager",
        method="POST",
        json={"callback": "https://oss.example.net/tmf/listener"},
        why="a listener is one of the caller's operator's webhooks",
    ),
    "tmf621:unregister_listener": Rule(
        "api_manager", method="DELETE", why="a listener is a webhook: as api-1:delete_webhook"
    ),
    # --- Maintenance windows (operations app): everyone reads them; supervisors manage them;
    # an operator's managers manage its calendar address, which is itself the credential
    "maintenance:overview": Rule("authenticated"),
    "maintenance:subscription": Rule("authenticated", method="POST", why="one's own opt-in"),
    "maintenance:feed_regenerate": Rule("manager", method="POST"),
    "maintenance:feed": Rule("secret_link", why="calendar applications poll it without login"),
    "maintenance:desk_list": Rule("supervisor"),
    "maintenance:desk_new": Rule("supervisor"),
    "maintenance:desk_edit": Rule("supervisor_object"),
    "maintenance:desk_cancel": Rule("supervisor_object", why="GET: the confirmation step"),
    "api-1:list_maintenance_windows": Rule("api_authenticated"),
    "api-1:create_maintenance_window": Rule(
        "api_supervisor",
        method="POST",
        json={
            "title_fr": "Matrice",
            "starts_at": "2099-03-01T22:00:00+01:00",
            "ends_at": "2099-03-02T00:30:00+01:00",
            "eservices": ["esav"],
        },
    ),
    "api-1:maintenance_window_detail": Rule("api_authenticated"),
    "api-1:update_maintenance_window": Rule(
        "api_supervisor", method="PATCH", json={"title_fr": "Matrice modifiée"}
    ),
    # --- Service state, status page, probes, hotline (status app)
    "ready": Rule("public", why="readiness probe: database and queue"),
    "metrics": Rule(
        "api_not_found", why="404 while ESOUTIEN_METRICS_TOKEN is unset; then its bearer token"
    ),
    "status:page": Rule("public", why="the public status page, no login"),
    "status:json": Rule("public"),
    "status:feed": Rule("public"),
    "status:browsers": Rule("public"),
    "status:desk_state": Rule("supervisor"),
    "desk:ticket_requalify": Rule("desk", method="POST", why="refused for non-hotline tickets"),
    "desk:quarantine_hotline_ticket": Rule(
        "desk_mail", method="POST", why="no operator given: back to the message"
    ),
    "api-1:get_service_state": Rule("api_authenticated"),
    "api-1:put_service_state": Rule("api_supervisor", method="PUT", json={"state": "operational"}),
}

# Read-only ModelAdmins (the audit log, the outbox, tickets and their timeline, webhook endpoints
# and deliveries): administrators may look, nobody may add or delete through the admin site.
READ_ONLY_ADMINS = [
    "audit_auditevent",
    "mail_outboundemail",
    "tickets_ticket",
    "tickets_ticketevent",
    "tickets_attachment",
    "tickets_resolutionreport",
    "webhooks_webhookendpoint",
    "webhooks_webhookdelivery",
    "status_healthcheckrecord",  # status app: kept 7 days by the worker
]
for _model in READ_ONLY_ADMINS:
    RULES[f"admin:{_model}_add"] = Rule("administrator_refused", why="read-only in the admin")
    RULES[f"admin:{_model}_delete"] = Rule("administrator_refused", why="read-only in the admin")


def _unwrapped(view: Any) -> Iterator[Any]:
    """A view and every function it wraps (decorators keep ``__wrapped__``)."""
    while view is not None:
        yield view
        view = getattr(view, "__wrapped__", None)


def _served_by_the_admin_site(view: Any) -> bool:
    """Behind AdminSite.admin_view: a view of the admin site or of one of its ModelAdmins."""
    return any(
        hasattr(f, "admin_site")
        or hasattr(f, "model_admin")
        or isinstance(getattr(f, "__self__", None), (AdminSite, ModelAdmin))
        for f in _unwrapped(view)
    )


def _a_redirect(view: Any) -> bool:
    view_class = getattr(view, "view_class", None)
    return isinstance(view_class, type) and issubclass(view_class, RedirectView)


@dataclass(frozen=True)
class GroupRule:
    """One rule for a whole third-party group: a route prefix and the mechanism serving it."""

    prefix: str
    served_by: Callable[[Any], bool]
    rule: Rule


GROUP_RULES: list[GroupRule] = [
    # The Django admin site: every page behind AdminSite.admin_view (changelists,
    # add/change/history/delete of every ModelAdmin, app indexes, jsi18n, password pages) is
    # for administrators; a view mounted under /admin/ some other way needs its own rule.
    GroupRule("admin/", _served_by_the_admin_site, Rule("administrator")),
    # allauth's pre-65 socialaccount addresses: permanent redirects to the /3rdparty/ pages,
    # which have rules of their own.
    GroupRule("accounts/social/", _a_redirect, Rule("public")),
]


def rule_for(endpoint: Endpoint) -> Rule | None:
    rule = RULES.get(endpoint.key)
    if rule is not None:
        return rule
    for group in GROUP_RULES:
        if endpoint.route.startswith(group.prefix) and group.served_by(endpoint.callback):
            return group.rule
    return None


# --- The URL configuration, walked ------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    route: str  # the full route, as ResolverMatch.route spells it
    name: str | None  # "namespace:name"; None for unnamed patterns
    chain: tuple[Any, ...]  # the pattern objects from the root include to the leaf
    callback: Callable[..., Any]

    @property
    def key(self) -> str:
        return self.name or self.route

    @property
    def params(self) -> frozenset[str]:
        names: set[str] = set()
        for pattern in self.chain:
            if isinstance(pattern, RoutePattern):
                names.update(pattern.converters)
            else:
                names.update(pattern.regex.groupindex)
        return frozenset(names)

    def path(self, kwargs: dict[str, Any]) -> str:
        return "/" + "".join(_fill(pattern, kwargs) for pattern in self.chain)


def _join_route(route1: str, route2: str) -> str:
    """As Django's URLResolver._join_route, so routes compare with ResolverMatch.route."""
    if not route1:
        return route2
    return route1 + route2.removeprefix("^")


def endpoints(
    patterns: list[Any] | None = None,
    chain: tuple[Any, ...] = (),
    route: str = "",
    namespace: str | None = None,
) -> Iterator[Endpoint]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        full = _join_route(route, str(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from endpoints(entry.url_patterns, (*chain, entry.pattern), full, inner)
        else:
            assert isinstance(entry, URLPattern)
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield Endpoint(full, name, (*chain, entry.pattern), entry.callback)


_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


def _fill(pattern: Any, kwargs: dict[str, Any]) -> str:
    if isinstance(pattern, RoutePattern):
        return _ROUTE_PARAMETER.sub(
            lambda m: str(pattern.converters[m["parameter"]].to_url(kwargs[m["parameter"]])),
            str(pattern),
        )
    if isinstance(pattern, RegexPattern):
        return _fill_regex(str(pattern).removeprefix("^").removesuffix("$"), kwargs)
    raise TypeError(f"cannot build a URL through a {type(pattern).__name__}")


def _fill_regex(text: str, kwargs: dict[str, Any]) -> str:
    """A regex route with its named groups replaced by values (literals unescaped)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("(?P<", i):
            name = text[i + 4 : text.index(">", i)]
            out.append(str(kwargs[name]))
            i = _group_end(text, i) + 1
        elif text[i] == "\\":
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _group_end(text: str, start: int) -> int:
    depth, i, in_class = 0, start, False
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unbalanced group in {text!r}")


# --- The data ---------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, Any]
    tickets: list[Ticket]
    attachments: list[tuple[Ticket, Attachment]]
    internal_attachment: tuple[Ticket, Attachment]
    invitation_path: str
    resolved: list[Ticket]  # with a resolution report
    tokens: dict[str, int]  # an API token id per actor key
    webhooks: list[tuple[WebhookEndpoint, WebhookDelivery]]  # ALFA's, BRAV's; a delivery each
    listeners: list[WebhookEndpoint]  # TMF621 hub listeners: ALFA's, BRAV's
    quarantined: list[tuple[InboundEmail, Ticket | None]]  # and the ticket each one names


def _upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"ping timeout", content_type="text/plain")


def _quarantined_mail(sender: str, subject: str, ticket: Ticket | None) -> InboundEmail:
    """A received message the pipeline put in quarantine (stored as mail/inbound stores)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@fournisseur.example"
    message["Subject"] = f"Re: [{ticket.reference}] {subject}" if ticket else subject
    message["Message-ID"] = f"<{uuid.uuid4()}@matrice.example>"
    message.set_content("Le lien est coupé depuis ce matin.")
    raw = message.as_bytes()
    return InboundEmail.objects.create(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        message_id=message["Message-ID"],
        envelope_sender=sender,
        envelope_recipients="support@fournisseur.example",
        transport="smtp",
        status=InboundStatus.QUARANTINED,
        reason="unverified_sender" if ticket else "not_a_reply",
        sender=sender,
        subject=str(message["Subject"]),
        thread_key=ticket.reference if ticket else "",
    )


def _first_delivery(endpoint: WebhookEndpoint) -> WebhookDelivery:
    delivery = endpoint.deliveries.order_by("pk").first()
    assert delivery is not None, f"no delivery queued for the webhook to {endpoint.url}"
    return delivery


def _webhook(actor: Any, operator: Any, *, url: str, tmf: bool = False) -> WebhookEndpoint:
    """An endpoint registered as the portal and the API do (a TMF621 listener as the hub)."""
    endpoint, _secret = webhook_endpoints.create_endpoint(
        actor, operator.pk, url=url, event_types=["ticket.created"]
    )
    if tmf:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(payload_format=PayloadFormat.TMF621)
        endpoint.refresh_from_db()
    return endpoint


SSO_ISSUER = "https://idp.espace-operateurs.example"


@pytest.fixture
def _sso_configured(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Single sign-on configured as in production; its discovery document without network."""
    settings.ESOUTIEN_SSO_ISSUER = SSO_ISSUER
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "espace-operateurs",
                    "name": "Espace Opérateurs",
                    "client_id": "esoutien",
                    "secret": "secret",
                    "settings": {"server_url": SSO_ISSUER, "scope": ["openid", "email"]},
                }
            ],
        }
    }
    discovery = {
        "issuer": SSO_ISSUER,
        "authorization_endpoint": f"{SSO_ISSUER}/auth",
        "token_endpoint": f"{SSO_ISSUER}/token",
        "userinfo_endpoint": f"{SSO_ISSUER}/me",
        "jwks_uri": f"{SSO_ISSUER}/jwks",
    }
    monkeypatch.setattr(OpenIDConnectOAuth2Adapter, "openid_config", discovery)


@pytest.fixture
def world(
    _sso_configured: None,
    fake_pdf: bytes,
    alfa: Any,
    brav: Any,
    esav: Any,
    ftte: Any,
    alice: Any,
    bob: Any,
    supervisor: Any,
) -> World:
    manager = ManagerFactory(email="manon@alfa.example", operator=alfa)
    agent_esav = AgentFactory(email="agent-esav@fournisseur.example", eservices=[esav])
    administrator = AdministratorFactory(email="admin@fournisseur.example", is_superuser=True)
    for user in (alice, manager, bob):
        # Local accounts (an invitation accepted): allauth lets them reauthenticate.
        user.set_password("Un-mot-de-passe-solide-42")
        user.save(update_fields=["password"])
    for user in (agent_esav, supervisor, administrator):
        # Enrolled as allauth enrols: TOTP and recovery codes.
        RecoveryCodes.activate(user)
    # Registered before the tickets are filed: each gets a delivery (ticket.created).
    webhooks = [
        _webhook(manager, alfa, url="https://oss.alfa.example/hooks"),
        _webhook(administrator, brav, url="https://oss.brav.example/hooks"),
    ]
    tickets = [
        file_ticket(alice, alfa, esav, files=[_upload("alfa-esav.txt")]),
        file_ticket(bob, brav, esav, files=[_upload("brav-esav.txt")]),
        file_ticket(alice, alfa, ftte, files=[_upload("alfa-ftte.txt")]),
    ]
    attachments = [(t, t.attachments.get()) for t in tickets]
    note = services.comment_add(
        supervisor, tickets[0], "Note interne", [_upload("internal.txt")], internal=True
    )
    invitee = invitations.invite(
        manager, email="ines@alfa.example", full_name="Inès Invitée", role=Role.OPERATOR_MEMBER
    )
    Group.objects.create(name="Lecteurs")
    resolved = []
    for user, operator in ((alice, alfa), (bob, brav)):
        ticket = set_status(file_ticket(user, operator, esav), Status.IN_PROGRESS)
        workflow.resolve(ticket, supervisor, cause="c", actions_taken="a", summary="s")
        resolved.append(ticket)
    listeners = [
        _webhook(manager, alfa, url="https://oss.alfa.example/tmf/listener", tmf=True),
        _webhook(administrator, brav, url="https://oss.brav.example/tmf/listener", tmf=True),
    ]
    quarantined = [
        (_quarantined_mail("nouveau@client.example", "Panne à Luçon", None), None),
        (_quarantined_mail("mallory@evil.example", "Relance", tickets[0]), tickets[0]),
        (_quarantined_mail("mallory@evil.example", "Relance", tickets[2]), tickets[2]),
    ]
    users = {
        "alice": alice,
        "alfa_manager": manager,
        "bob": bob,
        "agent_esav": agent_esav,
        "supervisor": supervisor,
        "administrator": administrator,
    }
    return World(
        users=users,
        tickets=tickets,
        attachments=attachments,
        internal_attachment=(tickets[0], note.attachments.get()),
        invitation_path=invitations.invitation_path(invitee),
        resolved=resolved,
        tokens={key: create_token(user, "matrix")[0].pk for key, user in users.items()},
        webhooks=[(e, _first_delivery(e)) for e in webhooks],
        listeners=listeners,
        quarantined=quarantined,
    )


def _ticket_target(ticket: Ticket, label: str = "", **kwargs: Any) -> Target:
    return Target(
        label or f"{ticket.operator.code} ticket on {ticket.eservice.code}",
        {"reference": ticket.reference, **kwargs},
        operator=ticket.operator.code,
        eservice=ticket.eservice.code,
    )


def _missing(label: str, *, baseline: bool = True, **kwargs: Any) -> Target:
    return Target(f"missing {label}", kwargs, exists=False, baseline=baseline)


def _tickets(world: World, endpoint: Endpoint) -> list[Target]:
    return [_ticket_target(t) for t in world.tickets] + [
        _missing("ticket", reference=MISSING_REFERENCE)
    ]


DESK_ACTIONS = ["take", "note"]


def _ticket_actions(world: World, endpoint: Endpoint) -> list[Target]:
    return [
        dataclasses.replace(t, label=f"{t.label} [{action}]", kwargs={**t.kwargs, "action": action})
        for action in DESK_ACTIONS
        for t in _tickets(world, endpoint)
    ]


def _attachments(world: World, endpoint: Endpoint) -> list[Target]:
    targets = [
        _ticket_target(
            t,
            f"attachment of the {t.operator.code} ticket on {t.eservice.code}",
            attachment_id=a.pk,
        )
        for t, a in world.attachments
    ]
    ticket, internal = world.internal_attachment
    targets.append(
        Target(
            "internal attachment of the ALFA ticket on esav",
            {"reference": ticket.reference, "attachment_id": internal.pk},
            operator=ticket.operator.code,
            eservice=ticket.eservice.code,
            internal=True,
        )
    )
    (_, alfa_attachment), (brav_ticket, _) = world.attachments[:2]
    targets.append(
        _missing(
            "pairing: ALFA attachment under the BRAV reference",
            baseline=False,
            reference=brav_ticket.reference,
            attachment_id=alfa_attachment.pk,
        )
    )
    targets.append(_missing("ticket", reference=MISSING_REFERENCE, attachment_id=MISSING_ID))
    return targets


def _outbox(world: World, endpoint: Endpoint) -> list[Target]:
    targets = []
    for ticket in world.tickets:
        email = OutboundEmail.objects.filter(thread_key=ticket.reference).order_by("pk").first()
        assert email is not None, f"no acknowledgement queued for {ticket.reference}"
        targets.append(
            Target(
                f"e-mail about the {ticket.operator.code} ticket on {ticket.eservice.code}",
                {"email_id": email.pk},
                operator=ticket.operator.code,
                eservice=ticket.eservice.code,
            )
        )
    return [*targets, _missing("e-mail", email_id=MISSING_ID)]


def _users(world: World, endpoint: Endpoint) -> list[Target]:
    alice, bob, supervisor = (world.users[k] for k in ("alice", "bob", "supervisor"))
    return [
        Target("ALFA user", {"user_id": alice.pk}, operator="ALFA"),
        Target("BRAV user", {"user_id": bob.pk}, operator="BRAV"),
        Target("provider user", {"user_id": supervisor.pk}, operator=None),
        _missing("user", user_id=MISSING_ID),
    ]


def _invitation(world: World, endpoint: Endpoint) -> list[Target]:
    match = resolve(world.invitation_path)
    return [Target("valid invitation", dict(match.kwargs))]


def _admin_model(endpoint: Endpoint) -> Any:
    for view in _unwrapped(endpoint.callback):
        model_admin = getattr(view, "model_admin", None) or getattr(view, "__self__", None)
        if isinstance(model_admin, ModelAdmin):
            return model_admin.model
    raise LookupError(f"no ModelAdmin behind /{endpoint.route}")


def _admin_object(world: World, endpoint: Endpoint) -> list[Target]:
    model = _admin_model(endpoint)
    first = model._default_manager.order_by("pk").first()
    key = "object_id" if "object_id" in endpoint.params else "id"
    if first is None:
        return [Target(f"no {model._meta.label} exists", {key: MISSING_ID})]
    return [Target(f"a {model._meta.label}", {key: first.pk})]


def _admin_view_on_site(world: World, endpoint: Endpoint) -> list[Target]:
    ticket = world.tickets[0]
    content_type = ContentType.objects.get_for_model(Ticket)
    return [Target("a ticket", {"content_type_id": content_type.pk, "object_id": ticket.pk})]


def _resolved_tickets(world: World, endpoint: Endpoint) -> list[Target]:
    return [_ticket_target(t, f"resolved {t.operator.code} ticket") for t in world.resolved] + [
        _missing("ticket", reference=MISSING_REFERENCE)
    ]


def _tmf_tickets(world: World, endpoint: Endpoint) -> list[Target]:
    """TMF621 names a trouble ticket ``id``: our reference."""
    return [
        dataclasses.replace(t, kwargs={"id": t.kwargs["reference"]})
        for t in _tickets(world, endpoint)
    ]


def _tokens(world: World, endpoint: Endpoint) -> list[Target]:
    return [
        Target(f"{key}'s API token", {"token_id": world.tokens[key]}, owner=key)
        for key in ("alice", "bob", "supervisor")
    ] + [_missing("token", token_id=MISSING_ID)]


def _webhook_target(endpoint: WebhookEndpoint, label: str = "", **kwargs: Any) -> Target:
    code = endpoint.operator.code
    return Target(label or f"{code} webhook", {"endpoint_id": endpoint.pk, **kwargs}, operator=code)


def _webhooks(world: World, endpoint: Endpoint) -> list[Target]:
    return [_webhook_target(e) for e, _ in world.webhooks] + [
        _missing("webhook", endpoint_id=MISSING_ID)
    ]


def _deliveries(world: World, endpoint: Endpoint) -> list[Target]:
    targets = [
        _webhook_target(e, f"delivery of the {e.operator.code} webhook", delivery_id=d.delivery_id)
        for e, d in world.webhooks
    ]
    (alfa_webhook, _), (_, brav_delivery) = world.webhooks
    targets.append(
        _missing(
            "pairing: BRAV delivery under the ALFA webhook",
            baseline=False,
            endpoint_id=alfa_webhook.pk,
            delivery_id=brav_delivery.delivery_id,
        )
    )
    targets.append(
        _missing("delivery", endpoint_id=alfa_webhook.pk, delivery_id=uuid.UUID(int=MISSING_ID))
    )
    return targets


def _listeners(world: World, endpoint: Endpoint) -> list[Target]:
    """TMF621 hub listeners (``id``: the webhook's id); a plain webhook is no listener."""
    alfa_webhook, _ = world.webhooks[0]
    return [
        Target(f"{e.operator.code} TMF621 listener", {"id": e.pk}, operator=e.operator.code)
        for e in world.listeners
    ] + [
        _missing("listener: the ALFA plain webhook", baseline=False, id=alfa_webhook.pk),
        _missing("listener", id=MISSING_ID),
    ]


def _inbound_target(mail: InboundEmail, ticket: Ticket | None, **kwargs: Any) -> Target:
    if ticket is None:
        return Target("quarantined mail naming no ticket", {"inbound_id": mail.pk, **kwargs})
    return Target(
        f"quarantined mail naming the {ticket.operator.code} ticket on {ticket.eservice.code}",
        {"inbound_id": mail.pk, **kwargs},
        operator=ticket.operator.code,
        eservice=ticket.eservice.code,
    )


def _quarantined(world: World, endpoint: Endpoint) -> list[Target]:
    return [_inbound_target(mail, ticket) for mail, ticket in world.quarantined] + [
        _missing("mail", inbound_id=MISSING_ID)
    ]


# Sent with no data: "attach" then names no ticket and the page says so (a redirect back), so
# what answers is the access rule; every action is rolled back after its request.
QUARANTINE_ACTIONS = ["attach", "release", "discard"]


def _quarantine_actions(world: World, endpoint: Endpoint) -> list[Target]:
    return [
        dataclasses.replace(t, label=f"{t.label} [{action}]", kwargs={**t.kwargs, "action": action})
        for action in QUARANTINE_ACTIONS
        for t in _quarantined(world, endpoint)
    ]


# --- Maintenance windows (operations app) ---


def _maintenance_windows(world: World, endpoint: Endpoint) -> list[Target]:
    """A window far in the future (no banner, no maintenance mode) and a missing one."""
    from esoutien.operations.models import MaintenanceWindow

    window, _created = MaintenanceWindow.objects.get_or_create(
        uid="matrix-window@e-soutien.test",
        defaults={
            "title_fr": "Matrice",
            "starts_at": datetime(2099, 1, 10, 21, 0, tzinfo=UTC),
            "ends_at": datetime(2099, 1, 10, 23, 0, tzinfo=UTC),
        },
    )
    window.eservices.add(world.tickets[0].eservice)  # something must be affected
    return [
        Target("a maintenance window", {"window_id": window.pk}),
        _missing("maintenance window", window_id=MISSING_ID),
    ]


def _calendar_feeds(world: World, endpoint: Endpoint) -> list[Target]:
    from esoutien.operations.models import OperatorCalendarFeed

    feed, _created = OperatorCalendarFeed.objects.get_or_create(
        operator=world.users["alice"].operator, defaults={"token": "matrix-feed-token-alfa"}
    )
    return [
        Target("ALFA's calendar address", {"token": feed.token}, operator="ALFA"),
        _missing("calendar address", token="not-a-feed-token"),
    ]


def _fixed(label: str, **kwargs: Any) -> Callable[[World, Endpoint], list[Target]]:
    return lambda world, endpoint: [Target(label, kwargs)]


# Test arguments by the set of parameter names a URL takes.
TARGETS: dict[frozenset[str], Callable[[World, Endpoint], list[Target]]] = {
    frozenset({"reference"}): _tickets,
    frozenset({"reference", "action"}): _ticket_actions,
    frozenset({"reference", "attachment_id"}): _attachments,
    frozenset({"email_id"}): _outbox,
    frozenset({"user_id"}): _users,
    frozenset({"uidb64", "token"}): _invitation,
    # allauth: keys and provider
    frozenset({"key"}): _fixed("unknown key", key="nope"),
    frozenset({"uidb36", "key"}): _fixed("unknown key", uidb36="zz", key="nope-nope"),
    frozenset({"provider_id"}): _fixed("the Espace Opérateurs", provider_id="espace-operateurs"),
    # the admin site
    frozenset({"object_id"}): _admin_object,
    frozenset({"id"}): _admin_object,
    frozenset({"content_type_id", "object_id"}): _admin_view_on_site,
    frozenset({"app_label"}): _fixed("the tickets app", app_label="tickets"),
    frozenset({"url"}): _fixed("an unknown admin page", url="nope/"),
    frozenset({"token_id"}): _tokens,
    frozenset({"endpoint_id"}): _webhooks,
    frozenset({"endpoint_id", "delivery_id"}): _deliveries,
    frozenset({"inbound_id"}): _quarantined,
    frozenset({"inbound_id", "action"}): _quarantine_actions,
    # maintenance windows (operations app)
    frozenset({"window_id"}): _maintenance_windows,
    frozenset({"token"}): _calendar_feeds,
}

# Test arguments of one URL, by its key, when its objects are not those of its parameters'
# (the resolution report exists for resolved tickets only).
ENDPOINT_TARGETS: dict[str, Callable[[World, Endpoint], list[Target]]] = {
    "api-1:ticket_report": _resolved_tickets,
    "tmf621:retrieve_trouble_ticket": _tmf_tickets,
    "tmf621:patch_trouble_ticket": _tmf_tickets,
    "tmf621:unregister_listener": _listeners,
}


def targets_for(world: World, endpoint: Endpoint) -> list[Target]:
    if endpoint.key in ENDPOINT_TARGETS:
        return ENDPOINT_TARGETS[endpoint.key](world, endpoint)
    if not endpoint.params:
        return [NO_OBJECT]
    provider = TARGETS.get(endpoint.params)
    if provider is None:
        raise LookupError(
            f"no test arguments for the URL parameters {sorted(endpoint.params)} of "
            f"{endpoint.route} ({endpoint.key}): add a provider to TARGETS"
        )
    return provider(world, endpoint)


# --- The requests -----------------------------------------------------------------------------

_CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def _normalised(body: bytes, path: str) -> str:
    return _CSRF.sub(r"\1\2", body.decode()).replace(path, "{path}")


@dataclass
class Answer:
    outcome: str
    status: int
    body: str | None  # normalised, for 404s only
    error: str = ""


def _send(client: Client, rule: Rule, path: str) -> HttpResponseBase:
    if rule.method == "GET":
        return client.get(path)
    if rule.json is not None:
        return client.generic(
            rule.method, path, json.dumps(rule.json), content_type="application/json"
        )
    if rule.upload:
        return client.post(path, {"files": [_upload("matrice.txt")]})
    if rule.method == "POST":
        return client.post(path, {})
    return client.generic(rule.method, path)


def _request(client: Client, rule: Rule, path: str) -> Answer:
    """One request whose effects (database, cookies) are undone afterwards."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = _send(client, rule, path)
        if response.status_code in (301, 302) and urlsplit(response["Location"]).path == "/admin/":
            # AdminSite.admin_view sends some refusals (the logout) to the admin index, which
            # sends anyone but an administrator on to its login page: follow that one hop.
            response = client.get(response["Location"])
        transaction.set_rollback(True)
    client.cookies = cookies
    body = None
    if response.status_code == 404:
        body = _normalised(response.content, urlsplit(path).path)
    error = ""
    if getattr(response, "exc_info", None):
        error = repr(response.exc_info[1])
    if response.streaming:
        # Exhausting the content closes the response the test client's way (a plain close()
        # would send request_finished, and that closes the test's database connection).
        b"".join(response.streaming_content)
    return Answer(outcome(response), response.status_code, body, error)


# --- The tests --------------------------------------------------------------------------------


def test_every_url_has_an_access_rule() -> None:
    missing = [
        f"new URL without an access rule: /{e.route} ({e.key})"
        for e in endpoints()
        if rule_for(e) is None
    ]
    assert not missing, "\n".join(missing)


def test_every_rule_names_a_url() -> None:
    keys = {e.key for e in endpoints()}
    stale = [f"access rule for a URL that no longer exists: {k}" for k in RULES if k not in keys]
    stale += [
        f"group rule matching no URL: {group.prefix}"
        for group in GROUP_RULES
        if not any(e.route.startswith(group.prefix) for e in endpoints())
    ]
    assert not stale, "\n".join(stale)


def test_every_url_parameter_has_test_arguments() -> None:
    unknown = [
        f"no test arguments for the URL parameters {sorted(e.params)} of /{e.route} ({e.key})"
        for e in endpoints()
        if e.params and e.params not in TARGETS
    ]
    assert not unknown, "\n".join(unknown)


def test_every_rule_kind_exists() -> None:
    rules = [*RULES.values(), *(group.rule for group in GROUP_RULES)]
    unknown = sorted({rule.kind for rule in rules} - set(KINDS) - {SHADOWED})
    assert not unknown, f"unknown rule kinds: {unknown}"


@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: a.key)
def test_url_matrix(actor: Actor, world: World) -> None:
    client = Client(raise_request_exception=False)
    if not actor.anonymous:
        client.force_login(world.users[actor.key])
    failures: list[str] = []
    checks = 0
    for endpoint in endpoints():
        rule = rule_for(endpoint)
        if rule is None:
            continue  # test_every_url_has_an_access_rule names it
        baseline: str | None = None
        foreign_404s: list[tuple[Target, str | None]] = []
        targets = targets_for(world, endpoint)
        for target in targets:
            path = endpoint.path(target.kwargs)
            match = resolve(path)
            if rule.kind == SHADOWED:
                if match.view_name != rule.by:
                    failures.append(
                        f"{path} ({endpoint.key}) is answered by {match.view_name}, "
                        f"not {rule.by}: give {endpoint.key} a rule of its own"
                    )
                continue
            assert match.route == endpoint.route, (
                f"the URL built for /{endpoint.route} ({endpoint.key}) resolves to "
                f"/{match.route}: fix its arguments ({target.kwargs})"
            )
            expected = KINDS[rule.kind](actor, target)
            answer = _request(client, rule, path + rule.query)
            if answer.outcome != expected:
                failures.append(
                    f"{rule.method} {path}{rule.query} ({endpoint.key}, {target.label}) "
                    f"as {actor.key}: {answer.outcome} ({answer.status}), expected {expected}"
                    + (f" [{answer.error}]" if answer.error else "")
                )
            elif expected == NOT_FOUND:
                if target.baseline:
                    baseline = answer.body
                else:
                    foreign_404s.append((target, answer.body))
        for target, body in foreign_404s:
            if baseline is not None and body != baseline:
                failures.append(
                    f"{endpoint.key} ({target.label}) as {actor.key}: the 404 differs from "
                    f"the one for an object that does not exist"
                )
        checks += 0 if rule.kind == SHADOWED else len(targets)
    assert not failures, f"{len(failures)} of {checks} answers unexpected:\n" + "\n".join(failures)
