"""Where webhooks may be sent: HTTPS to public addresses only.

Managers of an operator choose the URL, so it must not turn e-soutien into a way to reach
the provider's internal network: the URL is checked when it is registered, and the addresses
its host resolves to are checked again before every request. Plain ``http://`` to the
loopback interface is accepted for development and tests only (``ESOUTIEN_DEBUG`` or
``ESOUTIEN_WEBHOOK_ALLOW_HTTP_LOOPBACK``).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from esoutien.core.errors import InvalidInput

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_URL_LENGTH = 500


class DestinationRefused(Exception):
    """The URL's host resolves to an address webhooks may not reach."""


def loopback_allowed() -> bool:
    return bool(settings.DEBUG or settings.ESOUTIEN_WEBHOOK_ALLOW_HTTP_LOOPBACK)


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    ip = _ip(host)
    return host in LOOPBACK_NAMES or (ip is not None and ip.is_loopback)


def _refused(message: str) -> InvalidInput:
    return InvalidInput(message, errors={"url": [message]})


def check_url(raw: str) -> str:
    """The URL, cleaned, or InvalidInput (field ``url``) saying what is wrong with it."""
    url = (raw or "").strip()
    if not url:
        raise _refused(_("Give the URL of your receiver."))
    if len(url) > MAX_URL_LENGTH:
        raise _refused(_("The URL is too long (500 characters at most)."))
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError as exc:
        raise _refused(_("This is not a valid URL.")) from exc
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError as exc:
        raise _refused(_("This is not a valid URL.")) from exc
    if parts.username is not None or parts.password is not None:
        raise _refused(
            _("Put no credentials in the URL: requests are authenticated by their signature.")
        )
    if parts.fragment:
        raise _refused(_("The URL cannot have a fragment (#…)."))
    loopback = _is_loopback(host)
    if loopback and not loopback_allowed():
        raise _refused(_("The URL must designate a public server."))
    if parts.scheme != "https" and not loopback:
        raise _refused(_("The URL must start with https://."))
    ip = _ip(host)
    if ip is not None and not loopback and not ip.is_global:
        raise _refused(_("The URL must designate a public server."))
    return url


def check_destination(url: str) -> None:
    """Refuse (DestinationRefused) a host that resolves to a non-public address.

    The check runs right before each request; it does not pin the address for the request
    itself, so a host that changes its DNS answer in between is not covered.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise DestinationRefused(f"cannot resolve {host}: {exc}") from exc
    allow_loopback = loopback_allowed()
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address.is_loopback and allow_loopback:
            continue
        if not address.is_global:
            raise DestinationRefused(f"{host} resolves to {address}, which is not public")
