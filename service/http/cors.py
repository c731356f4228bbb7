"""CORS: which browser origins may call the API, and with the session cookie or not.

* An origin listed in ``CORS_ORIGINS`` gets ``Access-Control-Allow-Credentials: true``:
  a page there may use the session cookie (with the ``rid`` header on changes).
* ``*`` in ``CORS_ORIGINS`` lets any other origin call the API *without* credentials
  (``Access-Control-Allow-Origin: *``, no ``rid``): bearer tokens only, never the cookie.
* ``null`` (sandboxed frames, ``file:`` pages) never matches, even when listed.

Preflights allow the request headers the contract uses plus ``CORS_ALLOW_HEADERS``; ``*``
there allows whatever header a preflight asks for (a tracing SDK's ``sentry-trace`` and
``baggage``, say: what ``armory-agents dev`` sets), SuperTokens' session headers still only
for listed origins. Socket.io follows the same list of origins (``service.realtime.origins``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

App = Sanic[Any, Any]

CONTRACT_HEADERS = ("authorization", "content-type", "if-match", "x-request-id")
SESSION_HEADERS = ("rid", "fdi-version", "st-auth-mode")  # SuperTokens' frontend SDK
# What a page may read of an answer: its ETag, SuperTokens' token header, the request id
# (to quote when reporting a problem) and when to retry (429, 503).
_EXPOSED = "ETag, front-token, X-Request-ID, Retry-After"
ANY_HEADER = "*"
_TOKEN = re.compile(r"[!#$%&'+.^_`|~0-9a-z-]{1,128}")  # a field name (RFC 9110) but `*`
_MAX_ASKED = 64


def asked_headers(raw: str | None, refused: Iterable[str] = ()) -> tuple[str, ...]:
    """The header names an ``Access-Control-Request-Headers`` value lists (at most
    ``_MAX_ASKED``), lower case, leaving out what is no field name and ``refused``."""
    left_out = set(refused)
    names = (n.strip().lower() for n in (raw or "").split(",")[:_MAX_ASKED])
    return tuple(n for n in names if _TOKEN.fullmatch(n) and n not in left_out)


def register(app: App, origins: Iterable[str], extra_headers: Iterable[str] = ()) -> None:
    """Answer preflights and mark responses, for the configured origins only."""
    given = frozenset(origins)
    listed = given - {"*", "null"}
    anyone = "*" in given
    wanted = tuple(h.lower() for h in extra_headers)
    any_header = ANY_HEADER in wanted
    extra = tuple(h for h in wanted if h != ANY_HEADER)
    with_cookie = ", ".join(dict.fromkeys((*CONTRACT_HEADERS, *SESSION_HEADERS, *extra)))
    without_cookie = ", ".join(dict.fromkeys((*CONTRACT_HEADERS, *extra)))

    def answer(origin: str | None) -> dict[str, str] | None:
        if not origin or origin == "null":
            return None
        if origin in listed:
            return {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Credentials": "true",
                "Access-Control-Expose-Headers": _EXPOSED,
                "Vary": "Origin",
            }
        if anyone:
            return {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": _EXPOSED}
        return None

    @app.on_request(priority=100)  # type: ignore[call-arg,untyped-decorator]
    async def preflight(request: Request) -> HTTPResponse | None:
        if request.method != "OPTIONS":
            return None
        origin = request.headers.get("origin")
        headers = answer(origin)
        if headers is None:
            return None
        headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE"
        allowed = with_cookie if origin in listed else without_cookie
        if any_header:
            refused = () if origin in listed else SESSION_HEADERS
            asked = asked_headers(request.headers.get("access-control-request-headers"), refused)
            allowed = ", ".join(dict.fromkeys((*allowed.split(", "), *asked)))
            headers["Vary"] = "Origin, Access-Control-Request-Headers"
        headers["Access-Control-Allow-Headers"] = allowed
        headers["Access-Control-Max-Age"] = "600"
        return HTTPResponse(status=204, headers=headers)

    @app.on_response  # type: ignore[untyped-decorator]
    async def mark(request: Request, response: HTTPResponse) -> None:
        if "access-control-allow-origin" in response.headers:
            return  # a preflight's answer: marked already (its Vary names more)
        headers = answer(request.headers.get("origin"))
        if headers is not None:
            response.headers.update(headers)
