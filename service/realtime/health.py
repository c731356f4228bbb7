"""The health monitor: runs the health watch (``service.usecases.health_watch``) every
``settings.health_poll_seconds`` on the instance that holds the lead (``leader.py``),
and keeps what it saw in a health memory (this module's adapters).

A failing or slow WAP poll is logged and the loop goes on (a poll is cut off after
half the lock's lifetime, so the lock cannot expire under a poll that hangs). The
last-known run state and health are kept in Redis when there is one, so neither a
takeover by another instance nor a restart of the deployment re-announces every
container, and every instance's agent listing reads them; without Redis a restart of the
(single) instance does re-announce them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis

from service import errors
from service.health_memory import AbstractHealthMemory, KnownHealth
from service.metrics import HEALTH_POLL_FAILED, HEALTH_POLL_OK, HEALTH_POLL_TIMEOUT
from service.realtime.leader import AbstractLeadership
from service.usecases.health_watch import PollHealth

log = logging.getLogger("armory.realtime")


class MemoryHealthMemory(AbstractHealthMemory):
    def __init__(self) -> None:
        self._health: dict[str, KnownHealth] = {}

    async def load(self) -> dict[str, KnownHealth]:
        return dict(self._health)

    async def save(self, health: Mapping[str, KnownHealth]) -> None:
        self._health = dict(health)

    async def recall(self, container_ids: Sequence[str]) -> dict[str, KnownHealth]:
        return {c: self._health[c] for c in container_ids if c in self._health}

    async def note(self, container_id: str, known: KnownHealth) -> None:
        self._health[container_id] = known


class RedisHealthMemory(AbstractHealthMemory):
    """A hash ``{prefix}health:last``, shared by the instances that may take the lead
    (and read by every instance's agent listing): containerId → ``"status health"``."""

    def __init__(self, redis: Redis, key: str, ttl_seconds: int = 24 * 3600) -> None:
        self.redis = redis
        self.key = key
        self.ttl_seconds = ttl_seconds

    async def load(self) -> dict[str, KnownHealth]:
        raw = await self.redis.hgetall(self.key)
        return {_text(k): KnownHealth.decode(_text(v)) for k, v in raw.items()}

    async def save(self, health: Mapping[str, KnownHealth]) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.key)
            if health:
                mapping: dict[Any, Any] = {c: known.encode() for c, known in health.items()}
                pipe.hset(self.key, mapping=mapping)
                pipe.expire(self.key, self.ttl_seconds)
            await pipe.execute()

    async def recall(self, container_ids: Sequence[str]) -> dict[str, KnownHealth]:
        if not container_ids:
            return {}
        values = await self.redis.hmget(self.key, list(container_ids))
        return {
            c: KnownHealth.decode(_text(v))
            for c, v in zip(container_ids, values, strict=True)
            if v is not None
        }

    async def note(self, container_id: str, known: KnownHealth) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key, container_id, known.encode())
            pipe.expire(self.key, self.ttl_seconds)
            await pipe.execute()


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


class HealthMonitor:
    """Started with the app (``start``), stopped before it (``stop``)."""

    def __init__(
        self,
        *,
        poll: PollHealth,
        leadership: AbstractLeadership,
        interval_seconds: float,
        poll_timeout_seconds: float,
    ) -> None:
        self._poll = poll
        self.leadership = leadership
        self.interval_seconds = interval_seconds
        self.poll_timeout_seconds = poll_timeout_seconds
        self.polls = 0  # WAP polls this instance made (tests, metrics)
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def leading(self) -> bool:
        return self.leadership.leading

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="health-monitor")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            # The event ends the loop even if a cancellation were swallowed on the way.
            self._stopping.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.leadership.release()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            started = loop.time()
            try:
                if await self.leadership.hold():
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel.
                    async with asyncio.timeout(self.poll_timeout_seconds):
                        await self.poll_once()
                    HEALTH_POLL_OK.inc()
            except TimeoutError:
                HEALTH_POLL_TIMEOUT.inc()
                log.warning("a WAP health poll took over %ss", self.poll_timeout_seconds)
            except errors.ApiError as exc:
                HEALTH_POLL_FAILED.inc()
                log.warning("a WAP health poll failed: %s", exc)
            except Exception:
                HEALTH_POLL_FAILED.inc()
                log.exception("a WAP health poll failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval_seconds - (loop.time() - started)):
                    await self._stopping.wait()

    async def poll_once(self) -> int:
        """Poll WAP once and publish the changes; return how many were published."""
        self.polls += 1
        return await self._poll()
