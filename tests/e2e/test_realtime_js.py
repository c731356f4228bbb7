"""The frontend's client, ``socket.io-client`` from npm, against the running service.

Needs Node.js and npm: without them the test skips, or fails when REQUIRE_SERVICES=1.
``tests/js/node_modules`` is installed from ``tests/js/package-lock.json`` when missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from service.events import VERSION_UPDATE
from tests.conftest import RunningService, running_service
from tests.fixtures.events import assert_event, assert_message
from tests.fixtures.js import JS_DIR, node_with
from tests.fixtures.sockets import publish
from tests.operations import ALICE_MAIN


@pytest.fixture(scope="module")
def node() -> str:
    return node_with("socket.io-client", needed_by="the socket.io-client test")


@pytest.fixture
def quiet(settings: Any) -> Iterator[RunningService]:
    with running_service(settings, health_monitor=False) as running:
        yield running


class NodeClient:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self, timeout: float = 20) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        assert raw, "the node script ended without printing"
        parsed: dict[str, Any] = json.loads(raw)
        return parsed

    async def exit_code(self) -> int:
        return await asyncio.wait_for(self.process.wait(), 20)


@contextlib.asynccontextmanager
async def start_client(
    node: str, url: str, token: str, mode: str = "websocket"
) -> AsyncIterator[NodeClient]:
    """``first-event.mjs`` against ``url``: ``mode`` websocket, or default (polling first)."""
    process = await asyncio.create_subprocess_exec(
        node,
        str(JS_DIR / "first-event.mjs"),
        url,
        token,
        mode,
        cwd=JS_DIR,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        yield NodeClient(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_the_npm_socketio_client_connects_with_a_token_and_receives_an_event(
    node: str, quiet: RunningService, token: Any
) -> None:
    async with start_client(node, quiet.sio_url, token("alice")) as client:
        assert await client.line() == {"connected": True, "transport": "websocket"}
        sent = await publish(
            quiet.app,
            "alice",
            ALICE_MAIN,
            VERSION_UPDATE,
            oldTag="1.4.0",
            newTag="1.5.0",
            status="completed",
        )
        received = await client.line()
        assert received["event"] == VERSION_UPDATE
        assert received["payload"] == sent
        assert_event(VERSION_UPDATE, received["payload"])
        assert await client.exit_code() == 0


async def test_the_npm_socketio_client_sees_why_a_bad_token_is_refused(
    node: str, quiet: RunningService, token: Any
) -> None:
    async with start_client(node, quiet.sio_url, token("alice", ttl_seconds=-60)) as client:
        refused = await client.line()
        assert refused["refused"] == "try_refresh_token"
        assert_message("ConnectError", {"message": refused["refused"], "data": refused["data"]})
        assert await client.exit_code() == 1
