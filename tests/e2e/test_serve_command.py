"""``armory-agents serve``, as production runs it: Sanic's own server in one process,
Socket.io on the next port, a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import httpx

from service.http.serving import listening_socket
from tests.conftest import WAP_PASSWORD, WAP_USER
from tests.fixtures.service import answers
from tests.operations import ALICE_MAIN


def _free_port_pair() -> int:
    """A port p with p + 1 free as well (at the time of asking)."""
    for _ in range(50):
        first = listening_socket("127.0.0.1", 0)
        port = int(first.getsockname()[1])
        try:
            second = listening_socket("127.0.0.1", port + 1)
        except OSError:
            first.close()
            continue
        first.close()
        second.close()
        return port
    raise RuntimeError("no two consecutive free ports")


def test_serve_answers_the_api_and_socketio_and_stops_cleanly_on_sigterm(
    demo_db: Any, st_core: Any, wap_stub: Any, token: Any
) -> None:
    port = _free_port_pair()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{demo_db.sqlite_path}",
        "WAP_URL": wap_stub.url,
        "WAP_USERNAME": WAP_USER,
        "WAP_PASSWORD": WAP_PASSWORD,
        "SUPERTOKENS_CONNECTION_URI": st_core.url,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert answers(f"{base}/openapi.json", process, timeout=30), "serve did not start"
        health = httpx.get(
            f"{base}/v1/agents/{ALICE_MAIN}/health",
            headers={"Authorization": f"Bearer {token('alice')}"},
        )
        assert health.status_code == 200 and health.json()["containerId"] == ALICE_MAIN
        assert "server" not in {k.lower() for k in health.headers}
        handshake = httpx.get(
            f"http://127.0.0.1:{port + 1}/socket.io/",
            params={"EIO": "4", "transport": "polling"},
            timeout=5,
        )
        assert handshake.status_code == 200 and handshake.text.startswith('0{"sid":')
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Traceback" not in output, output


def test_serve_refuses_more_than_one_worker_without_redis_before_binding_a_port() -> None:
    # Both ports stay held by this test: a serve that bound either before checking
    # would die of "address in use" instead of saying why it refuses.
    held = [listening_socket("127.0.0.1", 0) for _ in ("api", "socketio")]
    for sock in held:
        sock.listen()
    port, sio_port = (int(sock.getsockname()[1]) for sock in held)
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        # Nothing is contacted before the refusal: these lead nowhere.
        DATABASE_URL="postgresql://armory:pw@127.0.0.1:9/armory",
        WAP_URL="http://127.0.0.1:9",
        WAP_USERNAME=WAP_USER,
        WAP_PASSWORD=WAP_PASSWORD,
        SUPERTOKENS_CONNECTION_URI="http://127.0.0.1:9",
        SOCKETIO_PORT=str(sio_port),
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        for sock in held:
            sock.close()
    assert done.returncode == 2, done.stdout + done.stderr
    assert "more than one worker needs Redis" in done.stderr
    assert "events emitted in one worker are lost" in done.stderr
    assert "Set REDIS_URL" in done.stderr and "--workers 1" in done.stderr
    assert "Traceback" not in done.stderr
