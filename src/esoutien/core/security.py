"""HTTP security headers Django does not set itself, and the trusted-proxy rule.

The rest of the policy is plain settings (the "HTTPS" section of config/settings.py):
Django's SecurityMiddleware (HSTS, SSL redirect, nosniff, Referrer-Policy) and django-csp.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

# No page of e-soutien uses these browser features; deny them to every frame.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

Handler = Callable[[HttpRequest], HttpResponseBase]


def permissions_policy_middleware(get_response: Handler) -> Handler:
    """Add ``Permissions-Policy`` to every response that does not set its own."""

    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response

    return middleware


def is_trusted_proxy(address: str, trusted: Iterable[str]) -> bool:
    """Whether ``address`` is in ``trusted`` (addresses, CIDR networks, or ``*``).

    A peer without an IP address is a unix-socket client: local, trusted as gunicorn does.
    """
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return True
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped:
        peer = peer.ipv4_mapped  # "::ffff:10.0.0.2" when listening on [::]
    for entry in trusted:
        entry = entry.strip()
        if entry == "*":
            return True
        try:
            if peer in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def trusted_proxy_middleware(get_response: Handler) -> Handler:
    """Honour ``SECURE_PROXY_SSL_HEADER`` only from ``ESOUTIEN_FORWARDED_ALLOW_IPS``.

    Django believes that header from anyone; a client reaching the application port
    directly could claim HTTPS and skip the redirect. Runs before SecurityMiddleware and
    drops the header when the peer is not a trusted proxy (the same list gunicorn uses
    for ``--forwarded-allow-ips``).
    """

    def middleware(request: HttpRequest) -> HttpResponseBase:
        proxy_header = settings.SECURE_PROXY_SSL_HEADER
        if (
            proxy_header
            and proxy_header[0] in request.META
            and not is_trusted_proxy(
                request.META.get("REMOTE_ADDR", ""), settings.ESOUTIEN_FORWARDED_ALLOW_IPS
            )
        ):
            del request.META[proxy_header[0]]
        return get_response(request)

    return middleware
