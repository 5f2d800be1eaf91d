"""The resolution report as a PDF (WeasyPrint renders an HTML template)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from esoutien.tickets.models import ResolutionReport


def render_report_pdf(report: ResolutionReport, language: str = "fr") -> bytes:
    from weasyprint import HTML  # heavy import: only when a report is rendered

    with translation.override(language):
        html = render_to_string(
            "tickets/report_pdf.html",
            {"report": report, "ticket": report.ticket, "base_url": settings.ESOUTIEN_BASE_URL},
        )
    return bytes(HTML(string=html).write_pdf())
