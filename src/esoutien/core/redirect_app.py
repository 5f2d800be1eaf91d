"""The plain-HTTP port: every request is answered with a 301 to the same path over HTTPS.

Served by a second, one-worker gunicorn that ``esoutien serve --redirect-port`` starts::

    gunicorn 'esoutien.core.redirect_app:make_app(8443)' --bind 127.0.0.1:8080

It never serves the product and never redirects to a host of the client's choosing: the
host comes from the ``Host`` header only when ALLOWED_HOSTS accepts it (a ``*`` entry does
not count), otherwise from ESOUTIEN_BASE_URL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, urlsplit

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# Characters left as they are in the path (RFC 3986 pchar and "/"), and in the query.
_PATH_SAFE = "/:@!$&'()*+,;=~"
_QUERY_SAFE = _PATH_SAFE + "?%"


def redirect_host(host_header: str, allowed_hosts: Iterable[str], fallback: str) -> str:
    """The host to send the browser to: its own when allowed, else ``fallback``."""
    from django.http.request import split_domain_port, validate_host

    domain, _port = split_domain_port(host_header)
    explicit = [host for host in allowed_hosts if host != "*"]
    if domain and validate_host(domain, explicit):
        return domain
    return fallback


def https_location(environ: dict[str, Any], host: str, https_port: int) -> str:
    path_info = environ.get("PATH_INFO") or "/"
    # WSGI carries the path as latin-1 decoded bytes: quote those bytes again.
    path = quote(path_info.encode("latin-1"), safe=_PATH_SAFE)
    if not path.startswith("/"):
        path = "/" + path
    query = environ.get("QUERY_STRING") or ""
    authority = host if https_port == 443 else f"{host}:{https_port}"
    location = f"https://{authority}{path}"
    if query:
        location += "?" + quote(query, safe=_QUERY_SAFE)
    return location


def make_app(https_port: int) -> WsgiApp:
    """A WSGI application redirecting to HTTPS on ``https_port`` (gunicorn app factory)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esoutien.config.settings")
    from django.conf import settings

    allowed_hosts = list(settings.ALLOWED_HOSTS)
    fallback = urlsplit(settings.ESOUTIEN_BASE_URL).hostname or "localhost"
    if ":" in fallback:  # an IPv6 literal
        fallback = f"[{fallback}]"

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        host = redirect_host(
            environ.get("HTTP_HOST") or environ.get("SERVER_NAME", ""), allowed_hosts, fallback
        )
        location = https_location(environ, host, https_port)
        body = b"" if environ.get("REQUEST_METHOD") == "HEAD" else b"Moved to HTTPS.\n"
        start_response(
            "301 Moved Permanently",
            [
                ("Location", location),
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]

    return application
