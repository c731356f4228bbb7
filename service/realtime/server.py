"""Builds the real-time side of one instance: the Socket.io server, its client manager,
the event publisher and the health monitor, sharing one Redis client when
``settings.redis_url`` is set.

Swapping the in-memory manager for Redis changes no handler: the namespace only
enters rooms, and the publisher only emits to them. With Redis, an emit on any
instance reaches the room's sockets on every instance (python-socketio's
``AsyncRedisManager``, channel ``{prefix}socketio``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import socketio
from redis.asyncio import Redis

from service.events import AbstractEventPublisher
from service.health_memory import AbstractHealthMemory
from service.realtime.eventlog import AbstractEventLog, MemoryEventLog, RedisEventLog
from service.realtime.health import HealthMonitor, MemoryHealthMemory, RedisHealthMemory
from service.realtime.leader import RedisLeaderLock, SoleInstance, new_instance_id
from service.realtime.namespace import AgentNamespace
from service.realtime.origins import OriginPolicy
from service.realtime.publisher import SocketIOEventPublisher
from service.repository import AbstractContainerRepository
from service.sessions import AbstractSessionVerifier
from service.settings import Settings
from service.usecases.health_watch import PollHealth
from service.wap import AbstractWap

log = logging.getLogger("armory.realtime")


@dataclass
class Realtime:
    """One instance's Socket.io server and what hangs off it. ``close()`` releases it all."""

    settings: Settings
    sio: Any  # socketio.AsyncServer
    namespace: AgentNamespace
    redis: Redis | None
    prefix: str
    instance_id: str
    origins: OriginPolicy  # which browser origins may connect (add the API's port to it)

    def event_log(self) -> AbstractEventLog:
        if self.redis is None:
            return MemoryEventLog(self.settings.event_window)
        return RedisEventLog(self.redis, prefix=self.prefix, window=self.settings.event_window)

    def publisher(self) -> SocketIOEventPublisher:
        return SocketIOEventPublisher(self.sio, self.event_log())

    def health_monitor(
        self,
        wap: AbstractWap,
        repository: AbstractContainerRepository,
        events: AbstractEventPublisher,
    ) -> HealthMonitor:
        interval = self.settings.health_poll_seconds
        # The lock outlives a few polls; a poll may take at most half of it.
        ttl_seconds = max(1.0, 3 * interval)
        if self.redis is None:
            leadership: SoleInstance | RedisLeaderLock = SoleInstance()
            memory: AbstractHealthMemory = MemoryHealthMemory()
        else:
            leadership = RedisLeaderLock(
                self.redis, f"{self.prefix}health:poller", self.instance_id, int(ttl_seconds * 1000)
            )
            memory = RedisHealthMemory(self.redis, f"{self.prefix}health:last")
        return HealthMonitor(
            poll=PollHealth(wap, repository, events, memory),
            leadership=leadership,
            interval_seconds=interval,
            poll_timeout_seconds=ttl_seconds / 2,
        )

    async def close(self) -> None:
        """Stop timers and background tasks, then close the Redis connections."""
        await self.namespace.close()
        await self.sio.shutdown()
        # engine.io leaves each socket's next ping as a bare task asleep for ping_interval:
        # cancel them, or the loop ends with pending tasks.
        pings = [
            task
            for task in asyncio.all_tasks()
            if getattr(task.get_coro(), "__qualname__", "") == "AsyncSocket._send_ping"
        ]
        for task in pings:
            task.cancel()
        await asyncio.gather(*pings, return_exceptions=True)
        manager = self.sio.manager
        listener = getattr(manager, "thread", None)
        if isinstance(listener, asyncio.Task):
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        for client in (getattr(manager, "pubsub", None), getattr(manager, "redis", None)):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
        if self.redis is not None:
            await self.redis.aclose()


def build_realtime(
    settings: Settings,
    *,
    sessions: AbstractSessionVerifier,
    repository: AbstractContainerRepository,
) -> Realtime:
    """The Socket.io server for ``settings``; nothing connects until it is served.
    Every Redis key and the Socket.io channel start with ``settings.redis_prefix``."""
    prefix = settings.redis_prefix
    redis: Redis | None = None
    if settings.redis_url:
        redis = Redis.from_url(settings.redis_url)
        manager: Any = socketio.AsyncRedisManager(settings.redis_url, channel=f"{prefix}socketio")
    else:
        manager = socketio.AsyncManager()
    origins = OriginPolicy(settings.cors_origins)
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=origins,
        logger=False,
        engineio_logger=False,
    )
    namespace = AgentNamespace(sessions, repository)
    sio.register_namespace(namespace)
    return Realtime(settings, sio, namespace, redis, prefix, new_instance_id(), origins)
