"""Which browser origins may open a socket.

Socket.io is served on its own port beside the API, so "the same origin" is not
enough: a page of the API's own origin (same host, the API's port) is the service's
own too. Allowed, for a handshake that carries an ``Origin``:

* an origin listed in ``CORS_ORIGINS`` (exactly, as the HTTP API's CORS does; ``null``
  never matches);
* with ``*`` in ``CORS_ORIGINS``, any other origin, but only for a handshake that carries
  no session cookie (a token in ``auth`` it must send itself), as ``*`` gives the HTTP
  API no credentials;
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

from service.sessions import ACCESS_TOKEN_COOKIE


class OriginPolicy:
    """``cors_allowed_origins`` of the engine.io server: called with (origin, environ)."""

    def __init__(self, origins: Iterable[str]) -> None:
        given = frozenset(origins)
        self.origins = given - {"*", "null"}
        self.anyone = "*" in given
        self.own_ports: set[int] = set()

    def __call__(self, origin: str | None, environ: Mapping[str, Any]) -> bool:
        if not origin or origin == "null":
            return False
        if origin in self.origins:
            return True
        if self.anyone and ACCESS_TOKEN_COOKIE not in str(environ.get("HTTP_COOKIE", "")):
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
