"""Browser tests: real servers (servers.py) and Debian's Chromium driven by Playwright.

Run with ``make test-e2e`` (``make test`` leaves this directory out). This process shares the
servers' SQLite database: it writes set-up data that no journey is about (another operator's
ticket, a closed one) and reads nothing the browser could check. Each journey works on its own
tickets, so the order of the tests does not matter.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connections

from tests.e2e.servers import Stack, running_stack

# aiosmtpd (the relay sink) logs every SMTP command at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)
# Playwright's sync API runs an event loop under the hood: Django would refuse ORM calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "var" / "e2e-screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _run_dir() -> Path:
    """Where the servers keep their database, queue, attachments, certificate and logs."""
    if os.environ.get("ESOUTIEN_DATA_DIR"):
        return Path(django_settings.DATA_DIR) / "e2e-run"
    return Path(tempfile.mkdtemp(prefix="esoutien-e2e-"))


RUN_DIR = _run_dir()
DATABASE = RUN_DIR / "esoutien.sqlite3"
# Before any connection is opened: this process uses the servers' database (always SQLite:
# the browser journeys are about the pages, both databases are covered by `make test`).
django_settings.DATABASES["default"] = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": str(DATABASE),
    "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
    "TEST": {"NAME": str(DATABASE)},
}
connections.__dict__.pop("settings", None)  # forget a configuration read before this line


@pytest.fixture(scope="session")
def stack(django_db_blocker: Any) -> Iterator[Stack]:
    shutil.rmtree(RUN_DIR, ignore_errors=True)
    RUN_DIR.mkdir(parents=True)
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # only this run's pictures
    SCREENSHOTS.mkdir(parents=True)
    # The servers' database, not a test database: what this process writes stays.
    with (
        running_stack(
            RUN_DIR,
            REPO / "var" / "e2e-static",
            f"sqlite:///{DATABASE}",
            django_settings.SECRET_KEY,
            ESOUTIEN_DEMO_PASSWORD=django_settings.ESOUTIEN_DEMO_PASSWORD,
            ESOUTIEN_DEMO_TOTP_SECRET=django_settings.ESOUTIEN_DEMO_TOTP_SECRET,
        ) as running,
        django_db_blocker.unblock(),
    ):
        yield running


@pytest.fixture(autouse=True)
def _orm_on_the_servers_database(
    stack: Stack, django_db_blocker: Any, settings: Any
) -> Iterator[None]:
    # The servers' cache too: a service called here drops what they cached (maintenance).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(RUN_DIR / "cache"),
        }
    }
    with django_db_blocker.unblock():
        yield


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(
    browser: Any, stack: Stack, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """``new_page(language="en", width=1280)``: a page in a fresh browser context (no cookies)."""
    contexts: list[Any] = []

    def make(language: str = "en", width: int = 1280, height: int = 900) -> Any:
        context = browser.new_context(
            base_url=stack.base_url,
            ignore_https_errors=True,  # the certificate generated for localhost
            viewport={"width": width, "height": height},
            locale="fr-FR",
            timezone_id="Europe/Paris",
        )
        context.set_default_timeout(15_000)
        context.add_cookies(
            [
                {
                    "name": django_settings.LANGUAGE_COOKIE_NAME,
                    "value": language,
                    "url": stack.base_url,
                }
            ]
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """``shoot(page, "label")``: a full-page screenshot in var/e2e-screenshots/."""
    prefix = request.node.name.removeprefix("test_")
    count = 0

    def take(page: Any, label: str) -> Path:
        nonlocal count
        count += 1
        path = SCREENSHOTS / f"{prefix}-{count:02d}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
