"""Errors as application/problem+json (RFC 9457) with a stable ``code``."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from esoutien.core.errors import (
    DomainError,
    Forbidden,
    IllegalTransition,
    InvalidInput,
    NotFound,
)

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
}


class CsrfFailed(Exception):
    """A browser-session call with an unsafe method and no valid CSRF token."""


class FieldError(Schema):
    field: str
    message: str


class Problem(Schema):
    """The body of every error response."""

    type: str = "about:blank"
    title: str
    status: int
    code: str
    detail: str = ""
    errors: list[FieldError] = []


def problem(
    status: int,
    code: str,
    detail: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    import json

    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
        "errors": errors or [],
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_JSON
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_errors(errors: dict[str, list[str]]) -> list[dict[str, str]]:
    return [{"field": f, "message": str(m)} for f, ms in errors.items() for m in ms]


def install(api: NinjaAPI) -> None:
    """Map every exception the API can raise to a problem response."""

    @api.exception_handler(NotFound)
    def _not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
        # The same answer whether the object is missing or belongs to another operator.
        return problem(404, "not_found", "No such object.")

    @api.exception_handler(Http404)
    def _http404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(404, "not_found", "No such object.")

    @api.exception_handler(Forbidden)
    def _forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
        return problem(403, "forbidden", str(exc))

    @api.exception_handler(IllegalTransition)
    def _transition(request: HttpRequest, exc: IllegalTransition) -> HttpResponse:
        return problem(409, "transition_not_allowed", str(exc))

    @api.exception_handler(InvalidInput)
    def _invalid(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
        return problem(
            422,
            exc.code if exc.code != "invalid_input" else "validation_error",
            str(exc),
            _field_errors(exc.errors),
        )

    @api.exception_handler(DomainError)
    def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return problem(409, exc.code, str(exc))

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = []
        for error in exc.errors:
            location = [str(p) for p in error.get("loc", ()) if p not in ("body", "payload")]
            errors.append({"field": ".".join(location), "message": str(error.get("msg", ""))})
        return problem(422, "validation_error", "The request is not valid.", errors)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            401,
            "unauthenticated",
            "A valid bearer token is required.",
            headers={"WWW-Authenticate": 'Bearer realm="e-soutien"'},
        )

    @api.exception_handler(Throttled)
    def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        wait = int(exc.wait or 1)
        return problem(
            429,
            "rate_limited",
            "Too many requests for this token.",
            headers={"Retry-After": str(max(wait, 1))},
        )

    @api.exception_handler(CsrfFailed)
    def _csrf(request: HttpRequest, exc: CsrfFailed) -> HttpResponse:
        return problem(
            403,
            "csrf_failed",
            "A call made with the browser session needs the CSRF token (X-CSRFToken header).",
        )

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        codes = {413: "payload_too_large", 415: "unsupported_media_type", 400: "bad_request"}
        return problem(exc.status_code, codes.get(exc.status_code, "error"), str(exc))

    _document_problems(api)


def _document_problems(api: NinjaAPI) -> None:
    """The schema says what is sent: errors as application/problem+json, 429's Retry-After."""
    generate = api.get_openapi_schema

    def get_openapi_schema(**kwargs: Any) -> Any:
        schema = generate(**kwargs)
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                for status, response in operation.get("responses", {}).items():
                    if int(status) < 400:
                        continue
                    content = response.get("content") or {}
                    if "application/json" in content:
                        content[PROBLEM_JSON] = content.pop("application/json")
                    if int(status) == 429:
                        response["headers"] = {
                            "Retry-After": {
                                "description": "Seconds to wait before the next request.",
                                "schema": {"type": "integer"},
                            }
                        }
        return schema

    api.get_openapi_schema = get_openapi_schema  # type: ignore[method-assign]


ERROR_RESPONSES: dict[int, Any] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    413: Problem,
    422: Problem,
    429: Problem,
}
