"""Who the API lets in: bearer tokens (created, used, revoked), browser sessions with CSRF,
per-token rate limits, and the ``esoutien apitoken`` command."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from esoutien.api.models import ApiToken
from esoutien.api.tokens import create_token, revoke_token
from esoutien.audit.models import AuditEvent
from esoutien.core import clock
from esoutien.tickets.models import Ticket
from tests.api.conftest import Api, problem, ticket_body

pytestmark = pytest.mark.django_db


def _unauthenticated(response: Any) -> None:
    body = problem(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "reference" not in str(body)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer es_not-a-real-token",
        "Bearer not-even-prefixed",
        "Basic YWxpY2U6c2VjcmV0",
        "Token es_abc",
    ],
)
def test_missing_or_invalid_token_is_401_for_reads_and_writes(
    alice: Any, authorization: str | None
) -> None:
    # enforce_csrf_checks: a real client (curl, an OSS) gets no CSRF exemption; a POST with a
    # bad token must still be a 401, not a CSRF refusal.
    client = Client(enforce_csrf_checks=True)
    headers = {} if authorization is None else {"Authorization": authorization}
    _unauthenticated(client.get("/api/v1/tickets", headers=headers))
    _unauthenticated(client.get("/api/v1/eservices", headers=headers))
    _unauthenticated(
        client.post(
            "/api/v1/tickets", ticket_body(), content_type="application/json", headers=headers
        )
    )
    assert Ticket.objects.count() == 0


def test_token_works_records_last_use_and_is_stored_hashed(alice: Any) -> None:
    token, secret = create_token(alice, "OSS")
    assert secret.startswith("es_") and len(secret) > 40
    assert secret not in {token.key_hash, token.prefix} and secret.startswith(token.prefix)
    assert token.last_used_at is None
    assert Api(alice, secret).get("eservices").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert AuditEvent.objects.filter(action="api_token_created").exists()


def test_revoked_token_is_401(alice: Any) -> None:
    token, secret = create_token(alice, "OSS")
    api = Api(alice, secret, enforce_csrf_checks=True)
    assert api.get("tickets").status_code == 200
    revoke_token(alice, token.pk)
    _unauthenticated(api.get("tickets"))
    _unauthenticated(api.post("tickets", ticket_body()))


def test_token_of_a_disabled_user_is_401(alice: Any) -> None:
    api = Api(alice)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    _unauthenticated(api.get("tickets"))


def test_a_user_revokes_only_its_own_tokens(alice: Any, bob: Any) -> None:
    from esoutien.core.errors import NotFound

    token, _ = create_token(alice, "OSS")
    with pytest.raises(NotFound):
        revoke_token(bob, token.pk)


# --- Browser session -------------------------------------------------------------------------


def test_session_reads_and_csrf_protected_writes(alice: Any, esav: Any, alfa: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/api/v1/eservices").status_code == 200
    # A same-origin POST without the CSRF token: refused, nothing filed.
    body = ticket_body()
    problem(
        client.post("/api/v1/tickets", body, content_type="application/json"), 403, "csrf_failed"
    )
    assert Ticket.objects.count() == 0
    # With the token (cookie + header, as the pages' scripts send it): filed.
    csrf = _get_new_csrf_string()
    client.cookies["csrftoken"] = csrf
    response = client.post(
        "/api/v1/tickets", body, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 201, response.content
    assert Ticket.objects.get().created_by == alice


def test_session_of_a_signed_out_browser_is_401() -> None:
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = "made-up"
    _unauthenticated(client.get("/api/v1/tickets"))
    _unauthenticated(client.post("/api/v1/tickets", {}, content_type="application/json"))


def test_bearer_token_needs_no_csrf_even_with_a_session_cookie(alice: Any, bob: Any) -> None:
    api = Api(alice, enforce_csrf_checks=True)
    api.client.force_login(bob)  # the token decides who calls
    response = api.post("tickets", ticket_body())
    assert response.status_code == 201
    assert response.json()["operator"] == "ALFA"


# --- Rate limit ------------------------------------------------------------------------------


def test_rate_limit_per_token_with_retry_after(alice: Any, bob: Any, settings: Any) -> None:
    settings.ESOUTIEN_API_RATE_LIMIT = "3/m"  # read at request time
    first, second, other = Api(alice), Api(alice), Api(bob)
    for _ in range(3):
        assert first.get("eservices").status_code == 200
    response = first.get("tickets")
    problem(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    problem(first.post("tickets", ticket_body()), 429, "rate_limited")
    # Per token: another token of the same person, and another person, are not affected.
    assert second.get("eservices").status_code == 200
    assert other.get("eservices").status_code == 200
    assert Ticket.objects.count() == 0


def test_rate_limit_window_slides(alice: Any, settings: Any, monkeypatch: Any) -> None:
    import time

    settings.ESOUTIEN_API_RATE_LIMIT = "2/s"
    now = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    api = Api(alice)
    assert api.get("eservices").status_code == 200
    assert api.get("eservices").status_code == 200
    assert api.get("eservices").status_code == 429
    now[0] += 1.01
    assert api.get("eservices").status_code == 200


def test_session_calls_are_rate_limited_per_user(alice: Any, settings: Any) -> None:
    settings.ESOUTIEN_API_RATE_LIMIT = "1/h"
    client = Client()
    client.force_login(alice)
    assert client.get("/api/v1/eservices").status_code == 200
    response = client.get("/api/v1/eservices")
    problem(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 3000


def test_bad_rate_setting_is_refused_at_start_up() -> None:
    from esoutien.api.auth import parse_rate

    assert parse_rate("300/m") == (300, 60)
    assert parse_rate("5/10s") == (5, 10)
    assert parse_rate("1000/day") == (1000, 86400)
    assert parse_rate("60/minute") == parse_rate("60/min") == (60, 60)
    for bad in ("", "300", "x/m", "0/m", "10/fortnight", "10/month", "5/hx"):
        with pytest.raises(ValueError):
            parse_rate(bad)


# --- The apitoken command --------------------------------------------------------------------


def _command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("apitoken", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_apitoken_command_create_list_revoke(alice: Any) -> None:
    out, err = _command("create", "ALICE@alfa.example", "--name", "Notre OSS")
    secret = out.strip()
    assert secret.startswith("es_") and "\n" not in secret
    assert "shown once" in err and secret not in err
    api = Api(alice, secret)
    assert api.get("eservices").status_code == 200

    token = ApiToken.objects.get(user=alice)
    assert token.name == "Notre OSS"
    listing, _ = _command("list", "alice@alfa.example")
    assert f"{token.pk}\t{token.prefix}" in listing
    assert "Notre OSS" in listing and "active" in listing
    assert secret not in listing  # shown once, never again

    out, _ = _command("revoke", "alice@alfa.example", str(token.pk))
    assert "revoked" in out
    _unauthenticated(api.get("eservices"))
    listing, _ = _command("list", "alice@alfa.example")
    assert "revoked" in listing
    with pytest.raises(CommandError):
        _command("revoke", "alice@alfa.example", str(token.pk))  # already revoked


def test_apitoken_command_refusals(alice: Any, bob: Any) -> None:
    with pytest.raises(CommandError):
        _command("create", "nobody@nowhere.example")
    with pytest.raises(CommandError):
        _command("create", "alice@alfa.example", "--name", "   ")
    token, _ = create_token(alice, "OSS")
    with pytest.raises(CommandError):
        _command("revoke", "bob@brav.example", str(token.pk))  # not bob's
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_last_used_is_written_at_most_once_a_minute(alice: Any, monkeypatch: Any) -> None:
    token, secret = create_token(alice, "OSS")
    api = Api(alice, secret)
    api.get("eservices")
    token.refresh_from_db()
    first = token.last_used_at
    api.get("eservices")
    token.refresh_from_db()
    assert token.last_used_at == first
    later = clock.now() + timedelta(minutes=2)
    monkeypatch.setattr(clock, "now", lambda: later)
    api.get("eservices")
    token.refresh_from_db()
    assert token.last_used_at == later
