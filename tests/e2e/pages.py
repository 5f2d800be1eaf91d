"""What a person does in the browser, and what the tests check on every page they see."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings

from tests.support import SmtpSink

# WCAG 2.0 and 2.1, levels A and AA: what RGAA 4 asks.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DEMO_PASSWORD = settings.ESOUTIEN_DEMO_PASSWORD
MAIL_TIMEOUT = 45.0  # the worker may be idle-polling (Huey backs off up to 10 s)

_axe = Axe()
AUDITED: set[tuple[str, str]] = set()  # (path, language) of every page audited


def assert_accessible(page: Any) -> None:
    """axe-core finds no WCAG 2.0/2.1 A or AA violation on the page as it is now."""
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    AUDITED.add(
        (re.sub(r"\?.*", "", page.url.split("//", 1)[-1].split("/", 1)[-1]), page_language(page))
    )
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def page_language(page: Any) -> str:
    return str(page.locator("html").get_attribute("lang") or "")


def assert_reflows(page: Any, width: int = 320) -> None:
    """No horizontal scrolling at ``width`` CSS pixels (WCAG 1.4.10; 1280 px at 400 %)."""
    page.set_viewport_size({"width": width, "height": 800})
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= width, f"{page.url}: {scroll_width}px wide at {width}px"


_last_codes: dict[str, str] = {}


def totp_code(email: str, secret: str) -> str:
    """The code an authenticator app shows now (allauth's own HOTP arithmetic).

    allauth accepts a code once per user: a second login of the same person within the
    same 30 s period waits for the next code, as a person would.
    """
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    while True:
        code = format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))
        if _last_codes.get(email) != code:
            _last_codes[email] = code
            return code
        time.sleep(1)


def log_in(page: Any, email: str, password: str = DEMO_PASSWORD, *, totp: bool = False) -> None:
    """The login form (English UI), then the authenticator code when asked."""
    page.goto("/accounts/login/")
    assert_accessible(page)
    page.get_by_label(re.compile("^E-?mail")).fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    if totp:
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
        assert_accessible(page)
        page.get_by_label(re.compile("code", re.I)).fill(
            totp_code(email, settings.ESOUTIEN_DEMO_TOTP_SECRET)
        )
        page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/(portal|desk)/"))


def wait_for_mail(
    sink: SmtpSink, matches: Callable[[EmailMessage], bool], timeout: float = MAIL_TIMEOUT
) -> EmailMessage:
    """The first message at the relay that ``matches``, waiting for the worker to send it."""
    deadline = time.monotonic() + timeout
    while True:
        for message in sink.messages:
            if matches(message):
                return message
        if time.monotonic() > deadline:
            subjects = [str(m["Subject"]) for m in sink.messages]
            raise AssertionError(f"no such e-mail at the relay; it received: {subjects}")
        time.sleep(0.25)
