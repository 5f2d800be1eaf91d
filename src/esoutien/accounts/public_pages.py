"""Pages anyone may read, signed in or not: the accessibility statement (RGAA).

The statement's facts live here, next to the view, so that a new audit changes one place.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# The date the statement was drawn up, and the date of the tests it reports.
STATEMENT_DATE = date(2026, 11, 28)
RGAA_VERSION = "4.1.2"


def accessibility(request: HttpRequest) -> HttpResponse:
    """The "Déclaration d'accessibilité" required by article 47 of law 2005-102."""
    return render(
        request,
        "public/accessibility.html",
        {
            "statement_date": STATEMENT_DATE,
            "rgaa_version": RGAA_VERSION,
            "contact": settings.ESOUTIEN_ACCESSIBILITY_CONTACT,
            "site_url": settings.ESOUTIEN_BASE_URL,
        },
    )
