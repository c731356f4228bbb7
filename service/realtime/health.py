"""The health monitor: runs the health watch (``service.usecases.health_watch``) every
``settings.health_poll_seconds`` on the instance that holds the lead (``leader.py``),
and keeps what it saw in a health memory (this module's adapters).

A failing or slow WAP poll is logged and the loop goes on (a poll is cut off after
half the lock's lifetime, so the lock cannot expire under a poll that hangs). The
last-known health is kept in Redis when there is one, so neither a takeover by
another instance nor a restart of the deployment re-announces every container;
without Redis a restart of the (single) instance does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis

from service import errors
from service.health_memory import AbstractHealthMemory
from service.metrics import HEALTH_POLL_FAILED, HEALTH_POLL_OK, HEALTH_POLL_TIMEOUT
from service.realtime.leader import AbstractLeadership
from service.usecases.health_watch import PollHealth

log = logging.getLogger("armory.realtime")


class MemoryHealthMemory(AbstractHealthMemory):
    def __init__(self) -> None:
        self._health: dict[str, str] = {}

    async def load(self) -> dict[str, str]:
        return dict(self._health)

    async def save(self, health: Mapping[str, str]) -> None:
        self._health = dict(health)


class RedisHealthMemory(AbstractHealthMemory):
    """A hash ``{prefix}health:last``, shared by the instances that may take the lead."""

    def __init__(self, redis: Redis, key: str, ttl_seconds: int = 24 * 3600) -> None:
        self.redis = redis
        self.key = key
        self.ttl_seconds = ttl_seconds

    async def load(self) -> dict[str, str]:
        raw = await self.redis.hgetall(self.key)
        return {_text(k): _text(v) for k, v in raw.items()}

    async def save(self, health: Mapping[str, str]) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.key)
            if health:
                mapping: dict[Any, Any] = dict(health)
                pipe.hset(self.key, mapping=mapping)
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
