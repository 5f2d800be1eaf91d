"""Refuse oversized API bodies before Django reads them (413 problem+json)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

API_PREFIXES = ("/api/", "/tmf-api/")


class ApiBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIXES):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            multipart = (request.content_type or "").startswith("multipart/")
            limit = (
                settings.ESOUTIEN_ATTACHMENT_MAX_BYTES * settings.ESOUTIEN_ATTACHMENT_MAX_FILES
                + 64 * 1024
                if multipart
                else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            )
            if length > limit:
                from esoutien.api.errors import problem

                return problem(413, "payload_too_large", f"The request body exceeds {limit} bytes.")
        return self.get_response(request)
