"""The "Accès API" page: create a token (shown once), use it, revoke it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from esoutien.api.models import ApiToken

pytestmark = pytest.mark.django_db


def test_a_person_creates_uses_and_revokes_a_token(client: Any, alice: Any, esav: Any) -> None:
    client.force_login(alice)
    page = client.post(reverse("api_tokens"), {"name": "Notre OSS"})
    secret = re.search(r"es_[A-Za-z0-9_\-]{20,}", page.content.decode()).group(0)
    assert page["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=alice)
    assert secret not in token.key_hash and token.prefix in secret
    # The token works for the API; the page never shows it again.
    api = client.__class__()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert api.get("/api/v1/eservices", **auth).status_code == 200
    assert secret not in client.get(reverse("api_tokens")).content.decode()
    client.post(reverse("api_token_revoke", args=[token.pk]))
    assert api.get("/api/v1/eservices", **auth).status_code == 401


def test_a_token_needs_a_name_and_others_tokens_cannot_be_revoked(
    client: Any, alice: Any, bob: Any
) -> None:
    client.force_login(alice)
    client.post(reverse("api_tokens"), {"name": "  "})
    assert not ApiToken.objects.exists()
    client.force_login(bob)
    client.post(reverse("api_tokens"), {"name": "bob"})
    bobs = ApiToken.objects.get(user=bob)
    client.force_login(alice)
    assert client.post(reverse("api_token_revoke", args=[bobs.pk])).status_code == 404
    bobs.refresh_from_db()
    assert bobs.revoked_at is None
