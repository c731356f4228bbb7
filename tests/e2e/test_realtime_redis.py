"""Several instances sharing Redis (127.0.0.1:6379): cross-instance delivery, one shared
``seq`` and window, exactly one health poller with takeover, and a Redis outage."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis
from redis.asyncio import Redis

from service import demo
from service.events import FILE_CHANGED, HEALTH_UPDATE
from service.realtime.eventlog import RedisEventLog
from service.realtime.leader import RedisLeaderLock
from tests.conftest import RunningService, running_service
from tests.fakes.sessions import FakeSessionVerifier
from tests.fixtures.events import assert_event
from tests.fixtures.sockets import Listener, on_server, publish
from tests.operations import ALICE_MAIN

pytestmark = pytest.mark.redis

TOKENS = {"alice-token": "alice", "bob-token": "bob"}


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix (and Socket.io channel) of this test's own; its keys are deleted after."""
    prefix = f"armory-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
async def aredis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@contextlib.contextmanager
def instance(settings: Any, prefix: str, *, monitor: bool = False) -> Iterator[RunningService]:
    with running_service(
        settings.replace(redis_prefix=prefix),
        sessions=FakeSessionVerifier(TOKENS),
        health_monitor=monitor,
    ) as running:
        yield running


async def _subscribed(aredis: Redis, prefix: str, instances: int) -> None:
    """Wait until ``instances`` Socket.io managers listen on the channel."""
    channel = f"{prefix}socketio"
    async with asyncio.timeout(5):
        while True:
            counts = dict(await aredis.pubsub_numsub(channel))
            if counts.get(channel.encode(), 0) >= instances:
                return
            await asyncio.sleep(0.02)


async def test_a_client_on_one_instance_receives_what_another_instance_publishes(
    settings: Any, redis_url: str, redis_prefix: str, aredis: Redis
) -> None:
    shared = settings.replace(redis_url=redis_url)
    with instance(shared, redis_prefix) as a, instance(shared, redis_prefix) as b:
        async with (
            Listener.connect(b.sio_url, token="alice-token") as alice_on_b,
            Listener.connect(a.sio_url, token="bob-token") as bob_on_a,
        ):
            await _subscribed(aredis, redis_prefix, 2)
            sent_on_a = await publish(
                a.app, "alice", ALICE_MAIN, FILE_CHANGED, path="/a", action="created"
            )
            name, payload = await alice_on_b.next()
            assert (name, payload) == (FILE_CHANGED, sent_on_a)
            assert_event(name, payload)
            sent_on_b = await publish(
                b.app, "alice", ALICE_MAIN, FILE_CHANGED, path="/b", action="updated"
            )
            assert (await alice_on_b.next())[1]["seq"] == sent_on_b["seq"] == 2  # one counter
            assert await bob_on_a.drain(0.3) == []
        # Either instance serves the catch-up of both.
        body = a.client.get(f"/v1/agents/{ALICE_MAIN}/events", headers=a.as_("alice-token")).json()
    assert [e["data"] for e in body["events"]] == [sent_on_a, sent_on_b]
    assert body["latestSeq"] == 2


async def _wait_for(predicate: Any, timeout: float = 5) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


async def test_exactly_one_instance_polls_wap_and_another_takes_over_when_it_stops(
    settings: Any, redis_url: str, redis_prefix: str, wap_stub: Any
) -> None:
    shared = settings.replace(redis_url=redis_url)
    with contextlib.ExitStack() as first, contextlib.ExitStack() as second:
        a = first.enter_context(instance(shared, redis_prefix, monitor=True))
        b = second.enter_context(instance(shared, redis_prefix, monitor=True))
        monitors = {"a": a.app.ctx.health_monitor, "b": b.app.ctx.health_monitor}
        await _wait_for(lambda: sum(m.polls for m in monitors.values()) >= 5)
        leader = "a" if monitors["a"].leading else "b"
        follower = "b" if leader == "a" else "a"
        assert monitors[follower].polls == 0 and not monitors[follower].leading
        calls = len(wap_stub.calls("getAllContainerHealth"))
        assert monitors[leader].polls - 1 <= calls <= monitors[leader].polls + 1

        survivor = b if leader == "a" else a
        announced = await on_server(survivor.app, _health_of(survivor))
        assert [e["data"]["health"] for e in announced] == ["healthy"]  # announced once

        (first if leader == "a" else second).close()  # the leader stops (and lets go)
        taking_over = monitors[follower]
        await _wait_for(lambda: taking_over.leading and taking_over.polls >= 3)
        # The last-known health lives in Redis: the new poller announces nothing again ...
        assert await on_server(survivor.app, _health_of(survivor)) == announced
        # ... and does see the next change.
        wap_stub.set_health(demo.CONTAINERS[0]["wap_container_id"], "unhealthy")
        await _wait_for(lambda: len(wap_stub.calls("getAllContainerHealth")) > calls + 4)
        changes = await on_server(survivor.app, _health_of(survivor))
        assert [e["data"]["health"] for e in changes] == ["healthy", "unhealthy"]


async def _health_of(service: RunningService) -> list[Any]:
    kept = await service.app.ctx.events.since(ALICE_MAIN, 0)
    return [e for e in kept if e["event"] == HEALTH_UPDATE]


async def test_the_poller_lock_passes_on_when_its_holder_stops_renewing(
    aredis: Redis, redis_prefix: str
) -> None:
    key = f"{redis_prefix}lock"
    first = RedisLeaderLock(aredis, key, "first", ttl_ms=300)
    second = RedisLeaderLock(aredis, key, "second", ttl_ms=300)
    assert await first.hold() is True
    assert await first.hold() is True  # renewed
    assert await second.hold() is False
    await asyncio.sleep(0.45)  # the holder "died": no renewal
    assert await second.hold() is True
    assert await first.hold() is False  # it cannot extend what it lost
    await first.release()
    assert await aredis.get(key) == b"second"  # releasing never deletes another's lock
    await second.release()
    assert await aredis.get(key) is None


async def test_the_redis_window_is_bounded_and_in_seq_order_and_seq_never_expires(
    aredis: Redis, redis_prefix: str
) -> None:
    log = RedisEventLog(aredis, prefix=redis_prefix, window=3)
    other_instance = RedisEventLog(aredis, prefix=redis_prefix, window=3)
    assert [await log.next_seq("c"), await other_instance.next_seq("c")] == [1, 2]
    for seq in (2, 1, 3, 5, 4):  # as concurrent instances might append them
        await log.append("c", seq, {"event": FILE_CHANGED, "data": {"seq": seq}})
    assert [e["data"]["seq"] for e in await other_instance.since("c", 0)] == [3, 4, 5]
    assert [e["data"]["seq"] for e in await log.since("c", 3)] == [4, 5]
    assert await aredis.ttl(f"{redis_prefix}events:c:seq") == -1
    assert 0 < await aredis.ttl(f"{redis_prefix}events:c:window") <= 7 * 24 * 3600


async def test_a_redis_outage_neither_fails_a_publish_nor_silences_local_sockets(
    settings: Any, redis_prefix: str
) -> None:
    down = settings.replace(redis_url="redis://127.0.0.1:1/0")  # nothing listens there
    with instance(down, redis_prefix) as service:
        async with Listener.connect(service.sio_url, token="alice-token") as alice:
            sent = await publish(
                service.app, "alice", ALICE_MAIN, FILE_CHANGED, path="/a", action="created"
            )
            assert (await alice.next())[1] == sent
            assert sent["seq"] == 1
        response = service.client.get(
            f"/v1/agents/{ALICE_MAIN}/events", headers=service.as_("alice-token")
        )
    assert response.status_code == 200
    assert response.json()["latestSeq"] == 0  # "reload": the window cannot be read
