"""Attachment download: access-checked, always as a download, never sniffed."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest

from esoutien.core.errors import NotFound
from esoutien.tickets import selectors
from esoutien.tickets.models import Attachment
from esoutien.tickets.views.common import desk_required, operator_required


def attachment_response(attachment: Attachment) -> FileResponse:
    """A stored file as a forced download that no browser will sniff or run."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'; sandbox"
    return response


def _download(request: HttpRequest, reference: str, attachment_id: int) -> FileResponse:
    try:
        attachment = selectors.get_attachment(request.user, reference, attachment_id)
    except NotFound as exc:
        raise Http404() from exc
    return attachment_response(attachment)


# Each side checks its own role: the portal is for operator users, the desk for staff.
portal_download = operator_required(_download)
desk_download = desk_required(_download)
