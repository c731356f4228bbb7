"""The README's nginx configuration, run for real: API and Socket.io under one origin.

The configuration is read from the README (after the ``nginx-config`` marker) and only
its addresses are changed to this test's ports, so the README cannot drift from what
works. Needs Debian's ``nginx`` (``.ci/run`` installs it through ``bench/run setup``):
without it the test skips, or fails when REQUIRE_SERVICES=1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.events import FILE_CHANGED
from service.http.serving import listening_socket
from tests.conftest import RunningService, running_service
from tests.e2e.test_realtime_js import node, start_client  # noqa: F401 - the node fixture
from tests.fixtures import nginx
from tests.fixtures.events import assert_event
from tests.operations import ALICE_MAIN


def readme_nginx_config() -> str:
    return nginx.readme_block("nginx-config")


def _free_port() -> int:
    sock = listening_socket("127.0.0.1", 0)
    port = int(sock.getsockname()[1])
    sock.close()
    return port


@pytest.fixture
def quiet(settings: Any) -> Iterator[RunningService]:
    with running_service(settings, health_monitor=False) as running:
        yield running


@pytest.fixture
def proxy(quiet: RunningService, tmp_path: Path) -> Iterator[str]:
    """nginx with the README's configuration in front of ``quiet``; yields its URL."""
    port = _free_port()
    upstreams = {
        "127.0.0.1:8000": quiet.url.removeprefix("http://"),
        "127.0.0.1:8001": quiet.sio_url.removeprefix("http://"),
    }
    config = nginx.with_addresses(readme_nginx_config(), upstreams, port)
    url = f"http://127.0.0.1:{port}"
    process = nginx.started(tmp_path, config, f"{url}/openapi.json")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_api_answers_through_the_proxy_with_a_bearer_token_and_with_the_cookie(
    proxy: str, token: Any
) -> None:
    health = f"{proxy}/v1/agents/{ALICE_MAIN}/health"
    bearer = httpx.get(health, headers={"Authorization": f"Bearer {token('alice')}"})
    assert bearer.status_code == 200 and bearer.json()["containerId"] == ALICE_MAIN
    cookie = httpx.get(health, cookies={"sAccessToken": token("alice")})
    assert cookie.status_code == 200
    assert httpx.get(health).status_code == 401


@pytest.mark.parametrize("mode", ["default", "websocket"])
async def test_the_npm_socketio_client_gets_an_event_through_the_proxy(
    node: str,  # noqa: F811 - the fixture imported above
    proxy: str,
    quiet: RunningService,
    token: Any,
    mode: str,
) -> None:
    async with start_client(node, proxy, token("alice"), mode) as client:
        connected = await client.line()
        assert connected["connected"] is True
        # With its defaults the client starts on HTTP long-polling: the proxy carries
        # both transports to the one process that holds the socket.
        assert connected["transport"] == ("polling" if mode == "default" else "websocket")
        write = httpx.put(
            f"{proxy}/v1/agents/{ALICE_MAIN}/files/app/config/agent.yaml",
            json={"content": "name: through the proxy\n"},
            headers={"Authorization": f"Bearer {token('alice')}"},
        )
        assert write.status_code == 200, write.text
        received = await client.line()
        assert received["event"] == FILE_CHANGED
        assert received["payload"]["path"] == "/app/config/agent.yaml"
        assert_event(FILE_CHANGED, received["payload"])
        assert await client.exit_code() == 0


async def test_the_npm_socketio_client_with_its_defaults_also_connects_directly(
    node: str,  # noqa: F811
    quiet: RunningService,
    token: Any,
) -> None:
    async with start_client(node, quiet.sio_url, token("alice"), "default") as client:
        assert (await client.line())["connected"] is True
