"""The contracts, served and browsable, with no CDN: every asset comes from a Python package.

- ``/docs``: Swagger UI 5 (it reads OpenAPI 3.1) from ``swagger-ui-py``, with Authorize
  for the bearer token and try-it-out; ``/docs/redoc``: ReDoc from ``openapi-ui-bundles``;
- ``/docs/events``: ``contracts/events.yaml`` (AsyncAPI) as a page (``events_page``);
- ``/openapi.json``, ``/openapi.yaml`` and ``/events.yaml``: the contracts themselves.

Every page's scripts are files of its own origin (no inline script), so the CSP below
allows scripts, styles, images and requests from ``'self'`` only.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import yaml
from sanic import Sanic
from sanic.exceptions import NotFound
from sanic.request import Request
from sanic.response import HTTPResponse, file
from sanic.response import html as html_response

from service.http.contract import SPEC_PATH, Contract
from service.http.events_page import render_events

App = Sanic[Any, Any]

EVENTS_PATH = SPEC_PATH.parent / "contracts" / "events.yaml"

# Inline styles stay allowed: Swagger UI and ReDoc set style attributes as they render.
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
_DOCS_HEADERS = {"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff"}
# ReDoc runs its search index in a worker that it starts from a blob of its own script.
_REDOC_HEADERS = {**_DOCS_HEADERS, "Content-Security-Policy": _CSP + "; worker-src blob:"}
_YAML = "application/yaml; charset=utf-8"

_NAV = """<nav class="armory-docs-nav"><strong>Armory Agent Control API</strong>
<a href="/docs">Swagger UI</a><a href="/docs/redoc">ReDoc</a>
<a href="/docs/events">Socket.io events</a><a href="/openapi.yaml">openapi.yaml</a>
<a href="/events.yaml">events.yaml</a></nav>"""
_NAV_STYLE = """<style>.armory-docs-nav{font:14px/1.4 sans-serif;padding:8px 20px;
background:#1b1b1b;color:#eee}.armory-docs-nav a{color:#9cf;margin-left:16px}</style>"""


def _page(title: str, head: str, body: str) -> str:
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        '<link rel="icon" href="/docs/static/favicon-32x32.png">'
        f"{_NAV_STYLE}{head}</head>\n"
        f"<body>{_NAV}\n{body}\n</body></html>"
    )


_SWAGGER_PAGE = _page(
    "Armory Agent Control API",
    '<link rel="stylesheet" href="/docs/static/swagger-ui.css">',
    '<div id="ui"></div>\n<script src="/docs/static/swagger-ui-bundle.js"></script>\n'
    '<script src="/docs/init.js"></script>',
)
# No validatorUrl: Swagger UI would otherwise fetch a badge from a host of its own.
_SWAGGER_INIT = """window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui",
  deepLinking: true, persistAuthorization: true, displayOperationId: true,
  displayRequestDuration: true, validatorUrl: null});"""
_REDOC_PAGE = _page(
    "Armory Agent Control API — ReDoc",
    "<style>body{margin:0}</style>",
    '<redoc spec-url="/openapi.json"></redoc>\n'
    '<script src="/docs/static/redoc.standalone.js"></script>',
)


def _assets() -> dict[str, Path]:
    """The files the pages load, by name (only these: never a path into a package)."""
    import swagger_ui
    from openapi_ui_bundles import redoc

    swagger = Path(swagger_ui.__file__).parent / "static"
    found = {
        n: swagger / n for n in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
    }
    found["redoc.standalone.js"] = redoc.static_path / "redoc.standalone.js"
    return found


def register(app: App, contract: Contract) -> None:
    assets = _assets()
    raw_openapi = SPEC_PATH.read_bytes()
    raw_events = EVENTS_PATH.read_bytes()
    events_page = render_events(yaml.safe_load(raw_events), _page)

    @app.get("/openapi.json", name="openapi_json")
    async def openapi_json(request: Request) -> HTTPResponse:
        return HTTPResponse(
            contract.as_json, content_type="application/json", headers=_DOCS_HEADERS
        )

    @app.get("/openapi.yaml", name="openapi_yaml")
    async def openapi_yaml(request: Request) -> HTTPResponse:
        return HTTPResponse(raw_openapi, content_type=_YAML, headers=_DOCS_HEADERS)

    @app.get("/events.yaml", name="events_yaml")
    async def events_yaml(request: Request) -> HTTPResponse:
        return HTTPResponse(raw_events, content_type=_YAML, headers=_DOCS_HEADERS)

    @app.get("/docs", name="docs")
    async def docs_page(request: Request) -> HTTPResponse:
        return html_response(_SWAGGER_PAGE, headers=_DOCS_HEADERS)

    @app.get("/docs/init.js", name="docs_init")
    async def docs_init(request: Request) -> HTTPResponse:
        return HTTPResponse(_SWAGGER_INIT, content_type="text/javascript", headers=_DOCS_HEADERS)

    @app.get("/docs/redoc", name="docs_redoc")
    async def redoc_page(request: Request) -> HTTPResponse:
        return html_response(_REDOC_PAGE, headers=_REDOC_HEADERS)

    @app.get("/docs/events", name="docs_events")
    async def events_docs(request: Request) -> HTTPResponse:
        return html_response(events_page, headers=_DOCS_HEADERS)

    @app.get("/docs/static/<name:str>", name="docs_static")
    async def docs_static(request: Request, name: str) -> HTTPResponse:
        path = assets.get(name)
        if path is None:
            raise NotFound(f"no docs asset {name!r}")
        return await file(path, request_headers=request.headers, headers=_DOCS_HEADERS)
