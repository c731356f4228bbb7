"""The docs pages as HTTP answers: the events contract as a page and as the document, the
raw OpenAPI document, and a self-only CSP on every page and asset (what the pages look like
in a browser is tests/e2e/test_docs_browser.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from service.cli import build_parser
from service.http import serving
from service.http.contract import SPEC_PATH
from service.http.docs import EVENTS_PATH
from service.settings import Settings
from tests.conftest import RunningService

PAGES = ["/docs", "/docs/redoc", "/docs/events"]


def _events() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(EVENTS_PATH.read_text())
    return loaded


def _fields(doc: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    found = set(schema.get("properties", {}))
    for part in schema.get("oneOf", []):
        found |= _fields(doc, part)
    for prop in schema.get("properties", {}).values():
        found |= _fields(doc, prop)
    return found


def test_the_events_page_shows_every_message_with_its_payload_fields(
    service: RunningService,
) -> None:
    page = service.client.get("/docs/events")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    doc = _events()
    for message in doc["components"]["messages"].values():
        assert f"<code>{message['name']}</code>" in page.text, message["name"]
        for field in _fields(doc, message["payload"]):
            assert re.search(rf"<code>([\w.]+\.)?{field}</code>", page.text), field
    for operation in doc["operations"]:
        assert f"<code>{operation}</code>" in page.text, operation


def test_the_contracts_are_served_as_written(service: RunningService) -> None:
    for url, path in [("/events.yaml", EVENTS_PATH), ("/openapi.yaml", SPEC_PATH)]:
        answer = service.client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["content-type"].startswith("application/yaml"), url
        assert answer.content == path.read_bytes(), url


@pytest.mark.parametrize("url", PAGES)
def test_every_docs_page_loads_its_scripts_and_styles_from_its_own_origin(
    service: RunningService, url: str
) -> None:
    page = service.client.get(url)
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy
    assert "http" not in policy  # no other host is allowed anything
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page.text  # no inline script
    for asset in re.findall(r'(?:src|href)="([^"#]+)"', page.text):
        assert asset.startswith("/"), f"{url} loads {asset}"
        if asset.startswith("/docs/static/"):
            answer = service.client.get(asset)
            assert answer.status_code == 200, asset
            assert answer.headers["x-content-type-options"] == "nosniff", asset


def test_an_unknown_docs_asset_is_a_404(service: RunningService) -> None:
    assert service.client.get("/docs/static/swagger-editor-bundle.js").status_code == 404
    assert service.client.get("/docs/static/..%2Fcore.py").status_code == 404


def test_the_events_contract_names_the_socketio_url_the_dev_banner_prints() -> None:
    args = build_parser().parse_args(["dev"])
    port = serving.socketio_port(Settings.from_env({}, dev=True), args.port)  # as cmd_dev
    (server,) = _events()["servers"].values()
    assert server["host"] == f"{args.host}:{port}"
    assert server["pathname"] == "/socket.io/"
