"""Supported browsers: the public page, the banner for unsupported ones, the admin's table."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from esoutien.status.browsers import forget_rules
from esoutien.status.models import SupportedBrowser

pytestmark = pytest.mark.django_db

IE11 = "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
OLD_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/90.0.4430.93 Safari/537.36"
)
CURL = "curl/8.5.0"


def _banner(client: Client, user_agent: str, path: str = "/accounts/login/") -> bool:
    response = client.get(path, HTTP_USER_AGENT=user_agent)
    assert response.status_code == 200
    return 'id="browser-banner"' in response.content.decode()


def test_internet_explorer_gets_the_banner_current_firefox_does_not(client: Client) -> None:
    assert _banner(client, IE11)
    assert not _banner(client, FIREFOX)
    assert not _banner(client, CURL)  # unknown clients are not nagged


def test_an_outdated_version_gets_the_banner_on_every_page(client: Client, alice: Any) -> None:
    client.cookies["django_language"] = "en"
    response = client.get("/statut", HTTP_USER_AGENT=OLD_CHROME)
    assert "Chrome / Chromium 120 or later" in response.content.decode()
    client.force_login(alice)
    assert _banner(client, OLD_CHROME, "/portal/")
    assert not _banner(client, FIREFOX, "/portal/")


def test_the_browsers_page_lists_the_table_and_follows_the_admin(client: Client) -> None:
    response = client.get("/navigateurs")
    html = response.content.decode()
    for name in ("Firefox", "Chrome / Chromium", "Microsoft Edge", "Safari"):
        assert name in html
    assert "115" in html
    SupportedBrowser.objects.filter(name="Firefox").update(min_version=140)
    forget_rules()  # what the admin does after a change
    assert "140" in client.get("/navigateurs").content.decode()
    assert _banner(client, FIREFOX)  # 128 is now too old


def test_footer_links_to_the_status_and_browsers_pages(client: Client) -> None:
    html = client.get("/accounts/login/").content.decode()
    assert 'href="/statut"' in html and 'href="/navigateurs"' in html
    assert "hotline@e-soutien.localhost" in html  # the hotline and its rule on the login page
