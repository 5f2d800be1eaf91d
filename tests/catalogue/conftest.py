from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import AdministratorFactory


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    # Pages render {% static %}; tests do not run collectstatic, so no manifest exists.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def admin_client(db: None) -> Client:
    """An administrator (TOTP enrolled, as all staff) reading the admin in English."""
    client = Client()
    client.force_login(AdministratorFactory(is_superuser=True))
    client.cookies["django_language"] = "en"
    return client
