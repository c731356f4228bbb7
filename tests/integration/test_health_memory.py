"""The health memory's adapters keep what the port says, the Redis one in one shared hash."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from service.health_memory import AbstractHealthMemory, KnownHealth
from service.realtime.health import MemoryHealthMemory, RedisHealthMemory

RUNNING = KnownHealth("running", "healthy")
STOPPED = KnownHealth("stopped", "none")


@pytest.fixture(params=["memory", "redis"])
async def memory(request: pytest.FixtureRequest) -> AsyncIterator[AbstractHealthMemory]:
    if request.param == "memory":
        yield MemoryHealthMemory()
        return
    redis_url = request.getfixturevalue("redis_url")
    client = Redis.from_url(redis_url)
    key = f"armory-test:{uuid.uuid4().hex}:health:last"
    try:
        yield RedisHealthMemory(client, key)
    finally:
        await client.delete(key)
        await client.aclose()


async def test_a_save_replaces_everything_and_a_note_changes_one_container(
    memory: AbstractHealthMemory,
) -> None:
    await memory.save({"a": RUNNING, "b": RUNNING})
    await memory.save({"a": RUNNING, "c": STOPPED})
    assert await memory.load() == {"a": RUNNING, "c": STOPPED}
    await memory.note("a", STOPPED)
    await memory.note("d", RUNNING)
    assert await memory.load() == {"a": STOPPED, "c": STOPPED, "d": RUNNING}
    assert await memory.recall(["d", "a", "nobody"]) == {"d": RUNNING, "a": STOPPED}
    assert await memory.recall([]) == {}
    await memory.save({})
    assert await memory.load() == {}


async def test_redis_reads_a_bare_health_an_earlier_version_kept(redis_url: str) -> None:
    client = Redis.from_url(redis_url)
    key = f"armory-test:{uuid.uuid4().hex}:health:last"
    try:
        await client.hset(key, mapping={"a": "healthy"})
        memory = RedisHealthMemory(client, key)
        assert await memory.recall(["a"]) == {"a": KnownHealth("unknown", "healthy")}
        await memory.note("a", RUNNING)
        assert await client.hget(key, "a") == b"running healthy"
        assert 0 < await client.ttl(key) <= memory.ttl_seconds
    finally:
        await client.delete(key)
        await client.aclose()
