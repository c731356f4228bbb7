"""The frontend's TypeScript types (``contracts/typescript``) and a typed client using them.

- The committed types are what ``tests/js/generate-types.mjs`` (openapi-typescript 7) makes
  of ``openapi.yaml`` and ``contracts/events.yaml`` today, byte for byte.
- The types, ``tests/js/example.ts`` and ``tests/js/types-check.ts`` type-check under strict
  settings (``tsc`` with ``tests/js/tsconfig*.json``): the types are what a frontend
  developer expects (``readAgentFile`` is not ``unknown``, a defaulted request property is
  optional, the event map has the four events).
- The example runs against the service: openapi-fetch lists the caller's agents, reads one's
  health, writes a file; socket.io-client receives the typed ``agent-file-changed``.

Needs Node.js and npm: without them the tests skip, or fail when REQUIRE_SERVICES=1.
``tests/js/node_modules`` is installed from ``tests/js/package-lock.json`` when missing.
"""

from __future__ import annotations

import difflib
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from service.events import EVENT_NAMES, FILE_CHANGED
from tests.conftest import RunningService
from tests.fixtures.events import assert_event
from tests.fixtures.js import JS_DIR, node_with
from tests.operations import ALICE_BARE, ALICE_MAIN, ALICE_READONLY

ROOT = Path(__file__).resolve().parents[2]
TYPES_DIR = ROOT / "contracts" / "typescript"
PACKAGES = (
    "openapi-typescript",
    "openapi-fetch",
    "typescript",
    "tsx",
    "js-yaml",
    "@types/node",
    "socket.io-client",
)
REGENERATE = "cd tests/js && npm run generate-types"


@pytest.fixture(scope="module")
def node() -> str:
    """Node.js, with tests/js's packages installed."""
    return node_with(*PACKAGES, needed_by="the TypeScript client test")


def _run(node: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, *args], cwd=JS_DIR, capture_output=True, text=True, timeout=timeout
    )


def test_the_committed_types_are_what_the_contracts_generate(node: str, tmp_path: Path) -> None:
    done = _run(node, "generate-types.mjs", str(tmp_path))
    assert done.returncode == 0, f"generate-types.mjs failed:\n{done.stdout}\n{done.stderr}"
    generated = sorted(p.name for p in tmp_path.iterdir())
    assert generated == ["api.d.ts", "events.d.ts"]
    assert sorted(p.name for p in TYPES_DIR.glob("*.d.ts")) == generated, (
        f"contracts/typescript has other type files than the generator's: run `{REGENERATE}`"
    )
    for name in generated:
        committed, fresh = (TYPES_DIR / name).read_text(), (tmp_path / name).read_text()
        diff = difflib.unified_diff(
            committed.splitlines(), fresh.splitlines(), "committed", "generated", lineterm=""
        )
        assert committed == fresh, (
            f"contracts/typescript/{name} is not what the contracts generate now: "
            f"run `{REGENERATE}` and commit the result\n" + "\n".join(list(diff)[:40])
        )


def test_the_event_map_has_every_event_the_service_emits() -> None:
    events = (TYPES_DIR / "events.d.ts").read_text()
    for name in EVENT_NAMES:
        assert f'"{name}": (payload: ' in events, name


def test_the_types_and_the_typed_example_compile_under_strict_settings(node: str) -> None:
    # tsconfig.json: the example as a frontend project builds it (skipLibCheck, as usual);
    # tsconfig.contracts.json: the generated declaration files themselves, which that skips.
    for config in ("tsconfig.json", "tsconfig.contracts.json"):
        done = _run(node, "node_modules/typescript/bin/tsc", "-p", config)
        assert done.returncode == 0, f"tsc -p {config}:\n{done.stdout}\n{done.stderr}"


def test_the_typed_example_lists_writes_and_receives_the_file_event(
    node: str, service: RunningService, token: Any
) -> None:
    alice = token("alice")
    done = _run(node, "node_modules/.bin/tsx", "example.ts", service.url, service.sio_url, alice)
    assert done.returncode == 0, f"example.ts failed:\n{done.stdout}\n{done.stderr}"
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])

    assert summary["agents"] == sorted([ALICE_MAIN, ALICE_READONLY, ALICE_BARE])
    assert summary["containerId"] == ALICE_MAIN  # the first with a writable root
    health = service.client.get(f"/v1/agents/{ALICE_MAIN}/health", headers=service.as_(alice))
    assert summary["health"] == {k: health.json()[k] for k in ("status", "health")}
    path = "/app/config/typescript-example.txt"
    assert summary["written"]["action"] == "created"
    event = assert_event(FILE_CHANGED, summary["event"])
    assert (event["containerId"], event["path"], event["action"]) == (ALICE_MAIN, path, "created")
    assert summary["read"] == {
        "content": "written by tests/js/example.ts\n",
        "encoding": "utf-8",  # the default the write left out
        "etag": summary["written"]["etag"],
    }
