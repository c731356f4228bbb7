"""Redis stops under a running service, and comes back.

The service runs with a Redis of this test's own (a ``redis-server`` subprocess on a free
port, never the shared one), which the test kills and starts again. While it is down the
API keeps answering, a file written through it is still announced to the sockets of this
instance, and the health poller's lock is lost; once Redis is back the lock is taken
again and the Socket.io manager listens on its channel again.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
from redis.asyncio import Redis

from service.events import FILE_CHANGED
from service.realtime.leader import RedisLeaderLock
from service.settings import Settings
from tests.conftest import RunningService, running_service
from tests.fixtures.events import assert_event
from tests.fixtures.ports import free_port
from tests.fixtures.sockets import Listener
from tests.operations import ALICE_MAIN

PREFIX = "armory-outage:"


@dataclass
class OwnRedis:
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        raise
                    time.sleep(0.02)
        finally:
            client.close()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def get(self, key: str) -> bytes | None:
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        try:
            value: bytes | None = client.get(key)
            return value
        finally:
            client.close()


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("redis-server is not installed (REQUIRE_SERVICES=1)")
        pytest.skip("redis-server is not installed")
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def on_redis(settings: Settings, own_redis: OwnRedis) -> Iterator[RunningService]:
    with running_service(
        settings.replace(redis_url=own_redis.url, redis_prefix=PREFIX), health_monitor=True
    ) as running:
        yield running


async def _until(predicate: Callable[[], Any], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not await asyncio.to_thread(predicate):
            await asyncio.sleep(0.05)


def _subscribers(server: OwnRedis) -> int:
    client = redis.Redis.from_url(server.url, socket_timeout=1)
    try:
        counts = dict(client.pubsub_numsub(f"{PREFIX}socketio"))
        return int(counts.get(f"{PREFIX}socketio".encode(), 0))
    except redis.ConnectionError:
        return 0
    finally:
        client.close()


async def test_while_redis_is_down_the_api_answers_and_local_sockets_hear_a_file_write(
    on_redis: RunningService, own_redis: OwnRedis, alice: dict[str, str], token: Any
) -> None:
    service, monitor = on_redis, on_redis.app.ctx.health_monitor
    lock = f"{PREFIX}health:poller"
    await _until(lambda: monitor.leading)
    async with Listener.connect(service.sio_url, token=token("alice")) as alice_socket:
        await _until(lambda: _subscribers(own_redis) == 1)  # the manager listens on Redis

        own_redis.kill()
        await _until(lambda: not monitor.leading)  # the lock cannot be held without Redis
        health = service.client.get(f"/v1/agents/{ALICE_MAIN}/health", headers=alice)
        assert health.status_code == 200, health.text
        written = service.client.put(
            f"/v1/agents/{ALICE_MAIN}/files/app/data/outage.txt",
            json={"content": "written while Redis was down"},
            headers=alice,
        )
        assert written.status_code == 200, written.text
        name, payload = await alice_socket.next()
        assert (name, payload["path"], payload["action"]) == (
            FILE_CHANGED,
            "/app/data/outage.txt",
            "created",
        )
        assert_event(name, payload)

        own_redis.start()  # empty: the lock key is gone with the old process
        instance_id = service.app.ctx.realtime.instance_id.encode()
        await _until(lambda: monitor.leading and own_redis.get(lock) == instance_id)
        # And events fan out through Redis again (the manager retries within a few s).
        await _until(lambda: _subscribers(own_redis) == 1, 10.0)


async def test_a_lock_redis_kept_through_an_outage_is_held_again_at_once(
    own_redis: OwnRedis,
) -> None:
    assert own_redis.process is not None
    client = Redis.from_url(own_redis.url, socket_timeout=0.3)
    try:
        lock = RedisLeaderLock(client, f"{PREFIX}lock", "first", ttl_ms=60_000)
        assert await lock.hold() is True
        os.kill(own_redis.process.pid, signal.SIGSTOP)  # unreachable, but keeps its data
        try:
            assert await lock.hold() is False
        finally:
            os.kill(own_redis.process.pid, signal.SIGCONT)
        # The key still names this instance for most of a minute: it is extended, not
        # waited out.
        assert await lock.hold() is True
        assert await RedisLeaderLock(client, f"{PREFIX}lock", "second", 60_000).hold() is False
    finally:
        await client.aclose()
