"""Which browser origins may open a socket.

Socket.io is served on its own port beside the API, so "the same origin" is not
enough: a page of the API's own origin (same host, the API's port) is the service's
own too. Allowed, for a handshake that carries an ``Origin``:

* an origin listed in ``CORS_ORIGINS`` (exactly, as the HTTP API's CORS does);
* the origin the request itself names (``scheme://Host``: Socket.io behind a reverse
  proxy that puts it under the API's origin);
* the request's host on one of the service's own ports (the API's, once it is served).

Anything else is refused, so a page on another site cannot ride the session cookie.
A handshake without ``Origin`` (not a browser) is not subject to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit


class OriginPolicy:
    """``cors_allowed_origins`` of the engine.io server: called with (origin, environ)."""

    def __init__(self, origins: Iterable[str]) -> None:
        self.origins = frozenset(origins)
        self.own_ports: set[int] = set()

    def __call__(self, origin: str | None, environ: Mapping[str, Any]) -> bool:
        if not origin:
            return False
        if origin in self.origins:
            return True
        host = str(environ.get("HTTP_HOST", ""))
        scheme = str(environ.get("wsgi.url_scheme", "http"))
        if origin == f"{scheme}://{host}":
            return True
        try:
            asked, named = urlsplit(origin), urlsplit(f"//{host}")
            return (
                asked.scheme in ("http", "https")
                and asked.hostname is not None
                and asked.hostname == named.hostname
                and asked.port in self.own_ports
            )
        except ValueError:  # a malformed port or host
            return False
