"""Private file storage for attachments: outside the web root, never served directly."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import LazyObject


class _PrivateStorage(LazyObject):
    def _setup(self) -> None:
        self._wrapped = FileSystemStorage(
            location=str(settings.ESOUTIEN_ATTACHMENT_DIR), base_url=None
        )


private_storage: FileSystemStorage = _PrivateStorage()  # type: ignore[assignment]


def get_private_storage() -> FileSystemStorage:
    """Callable for FileField(storage=...) so migrations do not capture a path."""
    return private_storage
