"""The contract, served: ``/openapi.json`` and a browsable Swagger UI at ``/docs``
(its assets come from the swagger-ui-bundle package, so no CDN is needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, html

from service.http.contract import Contract

App = Sanic[Any, Any]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Armory Agent Control API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>"""


_INIT = """window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui",
  deepLinking: true, persistAuthorization: true});"""
# The page's scripts and styles are its own files (no inline script): a CSP can say so.
_DOCS_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}


def register(app: App, contract: Contract) -> None:
    @app.get("/openapi.json", name="openapi_json")
    async def openapi_json(request: Request) -> HTTPResponse:
        return HTTPResponse(
            contract.as_json, content_type="application/json", headers=_DOCS_HEADERS
        )

    @app.get("/docs", name="docs")
    async def docs_page(request: Request) -> HTTPResponse:
        return html(_PAGE, headers=_DOCS_HEADERS)

    @app.get("/docs/init.js", name="docs_init")
    async def docs_init(request: Request) -> HTTPResponse:
        return HTTPResponse(_INIT, content_type="text/javascript", headers=_DOCS_HEADERS)

    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # pragma: no cover - the docs page then shows the raw contract
        return
    app.static("/docs/static", Path(swagger_ui_path), name="docs_static")
