"""SIGTERM stops ``armory-agents serve`` gracefully: the listener closes at once, a request
in flight still gets its answer, a followed log ends cleanly, sockets (a long poll too) are
told to go, and the process exits 0 within ``GRACEFUL_SHUTDOWN_TIMEOUT``. A real ``serve``
subprocess against wap_stub, as ``test_serve_command`` runs it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import WAP_PASSWORD, WAP_USER
from tests.e2e.test_serve_command import _free_port_pair
from tests.fixtures.service import answers
from tests.fixtures.sockets import Listener
from tests.operations import ALICE_MAIN

GRACE = 2.0  # GRACEFUL_SHUTDOWN_TIMEOUT for the served process
MARGIN = 2.0  # for the process's own start of shutdown and its exit
SLOW = 1.0  # WAP's delay on the request in flight: less than GRACE
WAP_ID = "wap-alice-researcher"  # ALICE_MAIN's container at WAP


@pytest.fixture
def served(
    demo_db: Any, st_core: Any, wap_stub: Any, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    """``serve`` on a free port pair, its output in a file; killed if a test leaves it."""
    port = _free_port_pair()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{demo_db.sqlite_path}",
        "WAP_URL": wap_stub.url,
        "WAP_USERNAME": WAP_USER,
        "WAP_PASSWORD": WAP_PASSWORD,
        "SUPERTOKENS_CONNECTION_URI": st_core.url,
        "GRACEFUL_SHUTDOWN_TIMEOUT": str(GRACE),
    }
    output = tmp_path / "serve.log"
    with open(output, "w", encoding="utf-8") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        assert answers(f"http://127.0.0.1:{port}/healthz", process, timeout=30), (
            "serve did not start:\n" + output.read_text()
        )
        yield process, port, output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def _refuses(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return False
    except ConnectionRefusedError:
        return True


async def _refused_within(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await asyncio.to_thread(_refuses, port):
            return True
        await asyncio.sleep(0.02)
    return False


async def _reached_wap(wap_stub: Any, operation_id: str, seconds: float = 5) -> None:
    """Until WAP holds an unanswered call of ``operation_id`` (the request is in flight)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        calls = await asyncio.to_thread(wap_stub.calls, operation_id)
        if any(call["status"] is None for call in calls):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"no {operation_id} call reached WAP in {seconds}s")


def _problems(output: str) -> list[str]:
    """Lines of the process's output that are tracebacks or ERROR (or worse) records."""
    found = []
    for line in output.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        level = record.get("level") if isinstance(record, dict) else None
        if "Traceback" in line or level in ("ERROR", "CRITICAL"):
            found.append(line)
    return found


async def test_sigterm_closes_the_listener_finishes_requests_ends_streams_and_exits_0(
    served: tuple[subprocess.Popen[str], int, Path], wap_stub: Any, token: Callable[..., str]
) -> None:
    process, port, output = served
    alice = {"Authorization": f"Bearer {token('alice')}"}
    wap_stub.log(WAP_ID, "before the stop")
    wap_stub.fault("delay", "getContainerHealth", delay_seconds=SLOW)
    base, sio_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"
    async with (
        httpx.AsyncClient(base_url=base, headers=alice, timeout=10) as client,
        Listener.connect(sio_url, token=token("alice")) as websocket,
        Listener.connect(sio_url, token=token("alice"), transports=["polling"]) as polling,
        client.stream(
            "GET", f"/v1/agents/{ALICE_MAIN}/logs", params={"tail": "1", "follow": "true"}
        ) as follow,
    ):
        assert follow.status_code == 200
        assert follow.headers["content-type"].startswith("text/event-stream")
        events = follow.aiter_lines()
        assert "before the stop" in await anext(events)
        in_flight = asyncio.create_task(client.get(f"/v1/agents/{ALICE_MAIN}/health"))
        await _reached_wap(wap_stub, "getContainerHealth")

        process.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()

        assert await _refused_within(port, 1.0), "the listener still accepts after SIGTERM"
        async with asyncio.timeout(GRACE + MARGIN):  # the stream ends, it is not cut
            rest = [line async for line in events if line]
        assert rest[-2:] == ["event: end", "data: "], rest
        assert time.monotonic() - stopped_at < GRACE + MARGIN

        answered = await in_flight
        assert answered.status_code == 200, answered.text
        assert answered.json()["containerId"] == ALICE_MAIN

        async with asyncio.timeout(GRACE + MARGIN):  # told to go, a long poll too
            await websocket.disconnected.wait()
            await polling.disconnected.wait()

    code = await asyncio.to_thread(process.wait, GRACE + MARGIN)
    assert time.monotonic() - stopped_at < GRACE + MARGIN
    text = output.read_text()
    assert code == 0, text
    assert _problems(text) == [], text
