"""The test suite's foundation: isolation from the shared data dir, settings, people, data.

Environment. pytest-django imports the settings before this file is read, so the variables
below must be set by whoever runs pytest (``make test`` exports them)::

    ESOUTIEN_DATA_DIR=var/test ESOUTIEN_HUEY_IMMEDIATE=1

When they are missing, ``_isolate_session`` below still keeps the run away from the shared
``var/`` directory: the SQLite test database, attachments and .eml files move to a fresh
temporary directory and Huey runs in immediate (in-memory) mode.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils.functional import empty

from esoutien.core.storage import private_storage
from tests.factories import (
    AgentFactory,
    EServiceFactory,
    OperatorFactory,
    SubscriptionFactory,
    SupervisorFactory,
    UserFactory,
)
from tests.support import SmtpSink, tiny_pdf

_ENV_GIVEN = bool(os.environ.get("ESOUTIEN_DATA_DIR"))


_TEMPORARY_DATA_DIR: Path | None = None


def _isolate_session() -> str:
    """Runs when this module is imported, before any test database is created."""
    from huey.contrib.djhuey import HUEY

    # The queue is only a trigger: in tests it runs tasks inline and stores nothing on disk.
    HUEY.immediate = True
    if _ENV_GIVEN:
        return str(django_settings.DATA_DIR)
    global _TEMPORARY_DATA_DIR
    data_dir = _TEMPORARY_DATA_DIR = Path(tempfile.mkdtemp(prefix="esoutien-tests-"))
    database = django_settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(data_dir / "test-esoutien.sqlite3")
    django_settings.ESOUTIEN_ATTACHMENT_DIR = data_dir / "attachments"
    django_settings.ESOUTIEN_MAIL_DIR = data_dir / "mail"
    django_settings.STATIC_ROOT = data_dir / "static"
    django_settings.STORAGES["default"]["OPTIONS"]["location"] = str(data_dir / "files")
    return f"{data_dir} (ESOUTIEN_DATA_DIR was not set: temporary directory)"


_SESSION_DATA_DIR = _isolate_session()


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [f"e-soutien test data: {_SESSION_DATA_DIR}"]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _TEMPORARY_DATA_DIR is not None:
        shutil.rmtree(_TEMPORARY_DATA_DIR, ignore_errors=True)


# --- Settings ------------------------------------------------------------------------------


def _reset_private_storage() -> None:
    # The private storage reads ESOUTIEN_ATTACHMENT_DIR once; make it read it again.
    private_storage._wrapped = empty


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Every test: mail to memory, attachments and .eml files in its own directory."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ESOUTIEN_ATTACHMENT_DIR = tmp_path / "attachments"
    settings.ESOUTIEN_MAIL_DIR = tmp_path / "mail"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Django's test client speaks plain http to "testserver"; tests about the redirect
    # turn it back on.
    settings.SECURE_SSL_REDIRECT = False
    # Rate limits and lockouts live in the cache: each test starts with none.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()
    _reset_private_storage()
    yield
    _reset_private_storage()


@pytest.fixture
def attachment_dir(settings: Any) -> Path:
    return Path(settings.ESOUTIEN_ATTACHMENT_DIR)


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[SmtpSink]:
    """A real SMTP server (started) that Django's SMTP backend delivers to."""
    sink = SmtpSink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    sink.start()
    yield sink
    sink.stop()


# --- PDF ------------------------------------------------------------------------------------

TINY_PDF = tiny_pdf()


@pytest.fixture
def fake_pdf(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Replace WeasyPrint (~1 s a report) by a tiny valid PDF, for tests not about the PDF."""
    monkeypatch.setattr(
        "esoutien.tickets.report_pdf.render_report_pdf",
        lambda report, language="fr": TINY_PDF,
    )
    return TINY_PDF


# --- The cast -------------------------------------------------------------------------------


@pytest.fixture
def esav(db: None) -> Any:
    return EServiceFactory(code="esav", name="e-SAV")


@pytest.fixture
def ftte(db: None) -> Any:
    return EServiceFactory(code="ftte", name="Éligibilité FTTE")


@pytest.fixture
def alfa(esav: Any, ftte: Any) -> Any:
    """An operator subscribed to e-SAV and Éligibilité FTTE."""
    operator = OperatorFactory(code="ALFA", name="Alfa Télécom", siren="111111111")
    SubscriptionFactory(operator=operator, eservice=esav, start_date=date(2020, 1, 1))
    SubscriptionFactory(operator=operator, eservice=ftte, start_date=date(2020, 1, 1))
    return operator


@pytest.fixture
def brav(esav: Any) -> Any:
    """An operator subscribed to e-SAV only."""
    operator = OperatorFactory(code="BRAV", name="Bravo Fibre", siren="222222222")
    SubscriptionFactory(operator=operator, eservice=esav, start_date=date(2020, 1, 1))
    return operator


@pytest.fixture
def alice(alfa: Any) -> Any:
    return UserFactory(email="alice@alfa.example", full_name="Alice Martin", operator=alfa)


@pytest.fixture
def bob(brav: Any) -> Any:
    return UserFactory(email="bob@brav.example", full_name="Bob Durand", operator=brav)


@pytest.fixture
def agent(esav: Any, ftte: Any) -> Any:
    """An agent whose team covers e-SAV and Éligibilité FTTE."""
    return AgentFactory(
        email="agent@fournisseur.example", full_name="Agathe Agent", eservices=[esav, ftte]
    )


@pytest.fixture
def supervisor(db: None) -> Any:
    return SupervisorFactory(email="superviseur@fournisseur.example", full_name="Sam Superviseur")
