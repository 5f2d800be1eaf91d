"""What every HTTPS response of e-soutien must carry, checked the same way for the Django test
client and for a real server."""

from __future__ import annotations

from typing import Any, Protocol

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000; includeSubDomains"


class Headers(Protocol):
    def get(self, name: str, default: Any = None) -> Any: ...


def csp_directives(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def cookie_attributes(set_cookie: str) -> tuple[str, dict[str, str]]:
    """("csrftoken", {"secure": "", "httponly": "", "samesite": "Lax", ...})."""
    first, *attributes = (part.strip() for part in set_cookie.split(";"))
    name = first.split("=", 1)[0]
    parsed = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        parsed[key.lower()] = value
    return name, parsed


def page_policy(form_targets: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """The Content-Security-Policy of every page (settings.CONTENT_SECURITY_POLICY)."""
    return {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", *form_targets],
        "frame-ancestors": ["'none'"],
    }


def assert_security_headers(headers: Headers, policy: dict[str, list[str]] | None = None) -> None:
    """The headers the issue asks for, on one response served over HTTPS."""
    assert headers.get("Strict-Transport-Security") == HSTS
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Referrer-Policy") == "same-origin"
    assert headers.get("Permissions-Policy") == PERMISSIONS_POLICY
    assert headers.get("X-Frame-Options") == "DENY"
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin"
    csp = csp_directives(headers.get("Content-Security-Policy") or "")
    assert csp == (policy or page_policy())
    assert not any("unsafe" in source for sources in csp.values() for source in sources)


def assert_cookie_is_locked_down(set_cookie: str) -> None:
    _name, attributes = cookie_attributes(set_cookie)
    assert "secure" in attributes
    assert "httponly" in attributes
    assert attributes.get("samesite") == "Lax"
