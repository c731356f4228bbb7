"""The README's nginx configuration, run for real: API and Socket.io under one origin.

The configuration is read from the README (after the ``nginx-config`` marker) and only
its addresses are changed to this test's ports, so the README cannot drift from what
works. Needs Debian's ``nginx`` (``.ci/run`` installs it through ``bench/run setup``):
without it the test skips, or fails when REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.events import FILE_CHANGED
from service.http.serving import listening_socket
from tests.conftest import RunningService, running_service
from tests.e2e.test_realtime_js import node, start_client  # noqa: F401 - the node fixture
from tests.fixtures.events import assert_event
from tests.fixtures.service import answers
from tests.operations import ALICE_MAIN

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_nginx_config() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- nginx-config -->\s*```nginx\n(.*?)```", text, re.S)
    assert found, "README.md has no nginx configuration after <!-- nginx-config -->"
    return found.group(1)


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
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        message = "nginx is not installed (apt-get install nginx-light)"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(message + " (REQUIRE_SERVICES=1)")
        pytest.skip(message)
    port = _free_port()
    api_port = quiet.url.rsplit(":", 1)[1]
    sio_port = quiet.sio_url.rsplit(":", 1)[1]
    config = (
        readme_nginx_config()
        .replace("127.0.0.1:8000", f"127.0.0.1:{api_port}")
        .replace("127.0.0.1:8001", f"127.0.0.1:{sio_port}")
        .replace("listen 8080;", f"listen 127.0.0.1:{port};")
    )
    temp = {name: tmp_path / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for folder in temp.values():
        folder.mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"""
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
{"user root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
{config}
}}
""",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # it logs to error.log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not answers(f"{url}/openapi.json", process, timeout=10):
            error_log = tmp_path / "error.log"
            pytest.fail(
                f"nginx did not start: {error_log.read_text() if error_log.exists() else ''}"
            )
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
