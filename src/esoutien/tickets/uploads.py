"""Attachment checks and storage. Every file is checked before any is stored."""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from esoutien.core.errors import InvalidInput
from esoutien.core.storage import private_storage
from esoutien.tickets.models import Attachment, AttachmentKind, Ticket, TicketEvent

log = logging.getLogger(__name__)


def check_uploads(files: Sequence[UploadedFile], field: str = "attachments") -> None:
    """Raise InvalidInput naming each refused file; nothing is stored by this function."""
    errors: list[str] = []
    if len(files) > settings.ESOUTIEN_ATTACHMENT_MAX_FILES:
        errors.append(
            _("At most %(count)d files can be attached at once.")
            % {"count": settings.ESOUTIEN_ATTACHMENT_MAX_FILES}
        )
    allowed = {e.lower().lstrip(".") for e in settings.ESOUTIEN_ATTACHMENT_EXTENSIONS}
    for upload in files:
        name = upload.name or ""
        extension = PurePath(name).suffix.lower().lstrip(".")
        if upload.size is None or upload.size == 0:
            errors.append(_("%(name)s is empty.") % {"name": name})
        elif upload.size > settings.ESOUTIEN_ATTACHMENT_MAX_BYTES:
            errors.append(
                _("%(name)s is too large (%(size)s); the limit is %(limit)s per file.")
                % {
                    "name": name,
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(settings.ESOUTIEN_ATTACHMENT_MAX_BYTES),
                }
            )
        if extension not in allowed:
            errors.append(
                _("%(name)s: this type of file is not accepted (allowed: %(allowed)s).")
                % {"name": name, "allowed": ", ".join(sorted(allowed))}
            )
    if errors:
        raise InvalidInput(errors[0], errors={field: errors})


def clean_filename(name: str) -> str:
    base = PurePath(name or "file").name
    try:
        return get_valid_filename(base)[:200] or "file"
    except Exception:
        return "file"


def content_type_for(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@contextmanager
def files_removed_on_failure() -> Iterator[list[str]]:
    """Collect names of files stored inside a transaction; delete them if it fails.

    The database rolls back by itself, the file system does not: without this a failed
    filing would leave orphan files behind.
    """
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            try:
                private_storage.delete(name)
            except OSError:
                log.warning("could not remove orphan attachment %s", name, exc_info=True)
        raise


def store_attachment(
    ticket: Ticket,
    event: TicketEvent | None,
    content: File[bytes],
    filename: str,
    actor: Any,
    *,
    public: bool,
    stored_names: list[str],
    kind: str = AttachmentKind.FILE,
) -> Attachment:
    """Write one file to private storage and its Attachment row (inside the caller's atomic).

    The stored name is appended to ``stored_names`` so files_removed_on_failure can undo it.
    """
    name = clean_filename(filename)
    attachment = Attachment(
        ticket=ticket,
        event=event,
        filename=name,
        content_type=content_type_for(name),
        size=content.size or 0,
        kind=kind,
        public=public,
        uploaded_by=actor,
    )
    attachment.file.save(name, content, save=False)
    stored_names.append(attachment.file.name)
    attachment.save()
    return attachment
