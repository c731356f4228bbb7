"""CORS for the configured browser origins: preflights answered, responses marked."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

App = Sanic[Any, Any]


def register(app: App, origins: Iterable[str]) -> None:
    """Answer preflights and mark responses for the configured origins only."""
    allowed = frozenset(origins)
    wildcard = "*" in allowed

    def cors_headers(origin: str) -> dict[str, str]:
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Expose-Headers": "ETag, front-token",
            "Vary": "Origin",
        }

    @app.on_request(priority=100)  # type: ignore[call-arg,untyped-decorator]
    async def preflight(request: Request) -> HTTPResponse | None:
        origin = request.headers.get("origin")
        if request.method != "OPTIONS" or not origin or not (wildcard or origin in allowed):
            return None
        headers = cors_headers(origin)
        headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE"
        headers["Access-Control-Allow-Headers"] = (
            "authorization, content-type, if-match, rid, fdi-version, st-auth-mode"
        )
        headers["Access-Control-Max-Age"] = "600"
        return HTTPResponse(status=204, headers=headers)

    @app.on_response  # type: ignore[untyped-decorator]
    async def mark(request: Request, response: HTTPResponse) -> None:
        origin = request.headers.get("origin")
        if origin and (wildcard or origin in allowed):
            response.headers.update(cors_headers(origin))
