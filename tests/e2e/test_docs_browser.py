"""The docs pages in a real browser: headless Chromium (Debian's ``chromium``) driven by
``playwright-core`` from npm (``tests/browser/docs.mjs``), against the running service.

Swagger UI must list every operation of ``openapi.yaml``, take a demo token in Authorize
and answer try-it-out on ``getAgentHealth`` with a 200, as the contract's examples fill it
in; ReDoc must list every operation too; and neither page may break its CSP.

Without Chromium, Node.js or npm the tests skip, or fail when REQUIRE_SERVICES=1.
``tests/js/node_modules`` is installed from ``tests/js/package-lock.json`` when missing.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from service.http.contract import Contract
from tests.conftest import RunningService
from tests.fixtures.js import missing, node_with
from tests.operations import ALICE_MAIN

TESTS = Path(__file__).resolve().parents[1]
SCRIPT = TESTS / "browser" / "docs.mjs"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> tuple[str, str]:
    """(node, chromium), with playwright-core installed in tests/js."""
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"{CHROMIUM} is missing: the browser test needs Debian's chromium package")
    return node_with("playwright-core", needed_by="the browser test"), CHROMIUM


def _open(browser: tuple[str, str], service: RunningService, *args: str) -> dict[str, Any]:
    node, chromium = browser
    done = subprocess.run(
        [node, str(SCRIPT), service.url, chromium, *args],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, f"docs.mjs failed:\n{done.stdout}\n{done.stderr}"
    seen: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return seen


# ReDoc always draws its vendor's logo from the vendor's CDN (hidden when it fails to load):
# the CSP blocks it, so the page makes no request off its own origin.
REDOC_LOGO = "CSP: img-src blocked https://cdn.redoc.ly/redoc/logo-mini.svg"


def _assert_clean(seen: dict[str, Any], allowed: tuple[str, ...] = ()) -> None:
    assert "failure" not in seen, seen
    assert [v for v in seen["cspViolations"] if v not in allowed] == [], seen
    assert seen["pageErrors"] == [], seen


def test_swagger_ui_lists_every_operation_and_tries_get_agent_health_with_a_demo_token(
    browser: tuple[str, str], service: RunningService, token: Any
) -> None:
    alice = token("alice")
    seen = _open(browser, service, "swagger", alice)
    assert seen["notice"] is None, seen  # Swagger UI 4's "Unable to render this definition"
    assert sorted(seen["operationIds"]) == sorted(Contract.load().operations), seen
    assert seen.get("authorized") is True, seen
    assert seen["containerId"] == ALICE_MAIN  # the contract's example is a demo container
    assert seen["request"]["url"] == f"{service.url}/v1/agents/{ALICE_MAIN}/health"
    assert seen["request"]["authorization"] == f"Bearer {alice}"
    assert seen["status"] == 200 and seen["shownStatus"] == "200", seen
    _assert_clean(seen)
    assert seen["consoleErrors"] == [], seen


def test_redoc_lists_every_operation(browser: tuple[str, str], service: RunningService) -> None:
    seen = _open(browser, service, "redoc")
    assert seen.get("error") is None, seen
    assert sorted(seen["operationIds"]) == sorted(Contract.load().operations), seen
    _assert_clean(seen, allowed=(REDOC_LOGO,))
