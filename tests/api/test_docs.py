"""The published contract: /api/v1/openapi.json and the interactive docs at /api/v1/docs.

Both are public (they describe the contract and hold no data). The docs page must work under
the site's Content-Security-Policy: everything it loads comes from the site itself.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_static(settings: Any) -> None:
    # The page uses {% static %}; tests do not run collectstatic, so no manifest exists.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def schema() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def test_schema_is_public_and_documents_every_answer(schema: dict[str, Any]) -> None:
    assert schema["info"]["title"] == "e-soutien API"
    assert schema["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http",
        "scheme": "bearer",
    }
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation.get("security"), f"{where} has no security requirement"
            responses = operation["responses"]
            assert {"401", "429"} <= set(responses), where
            for status, response in responses.items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], where
            assert "Retry-After" in responses["429"]["headers"], where


def test_downloads_are_documented_as_files(schema: dict[str, Any]) -> None:
    report = schema["paths"]["/api/v1/tickets/{reference}/report.pdf"]["get"]["responses"]
    assert list(report["200"]["content"]) == ["application/pdf"]
    download = schema["paths"]["/api/v1/tickets/{reference}/attachments/{attachment_id}"]
    assert "application/octet-stream" in download["get"]["responses"]["200"]["content"]


def test_docs_page_loads_nothing_from_elsewhere() -> None:
    # The CSP allows scripts and styles from the site only: a page built on a CDN would be
    # blank. django-ninja serves its own copy of Swagger UI when "ninja" is an installed app.
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/openapi.json" in html
    external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', html)
    assert external == [], f"the docs page loads {external}: add 'ninja' to INSTALLED_APPS"
