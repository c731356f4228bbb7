"""Where events are numbered and remembered: per container, a monotonic ``seq`` and a
bounded window of the most recent events (what ``GET /v1/agents/{id}/events`` serves).

    AbstractEventLog
    ├── MemoryEventLog   one process: a counter and a deque per container
    └── RedisEventLog    every instance: INCR for seq, a sorted set (score = seq) as the window

The Redis window is a sorted set rather than a list so that two instances publishing
for the same container at the same moment still keep it in ``seq`` order (a list
would keep it in arrival order). The ``seq`` counter has no expiry (a counter that
expired would start again at 1 and break monotonicity); the window expires after
``window_ttl_seconds`` without a new event.
"""

from __future__ import annotations

import abc
import json
from collections import deque
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis

Stored = Mapping[str, Any]  # {"event": name, "data": payload}


class AbstractEventLog(abc.ABC):
    """Numbers and keeps a container's events. Redis errors propagate (the publisher logs)."""

    @abc.abstractmethod
    async def next_seq(self, container_id: str) -> int:
        """The container's next ``seq`` (1 for its first event)."""

    @abc.abstractmethod
    async def append(self, container_id: str, seq: int, stored: Stored) -> None:
        """Keep ``stored`` in the container's window, dropping the oldest beyond its size."""

    @abc.abstractmethod
    async def since(self, container_id: str, seq: int) -> list[Stored]:
        """The kept events with ``seq`` greater than ``seq``, oldest first."""


class MemoryEventLog(AbstractEventLog):
    def __init__(self, window: int) -> None:
        self.window = window
        self._seq: dict[str, int] = {}
        self._events: dict[str, deque[tuple[int, Stored]]] = {}

    async def next_seq(self, container_id: str) -> int:
        seq = self._seq.get(container_id, 0) + 1
        self._seq[container_id] = seq
        return seq

    async def append(self, container_id: str, seq: int, stored: Stored) -> None:
        kept = self._events.setdefault(container_id, deque(maxlen=self.window))
        kept.append((seq, stored))

    async def since(self, container_id: str, seq: int) -> list[Stored]:
        kept = self._events.get(container_id, ())
        return [stored for s, stored in sorted(kept, key=lambda item: item[0]) if s > seq]


class RedisEventLog(AbstractEventLog):
    """Keys: ``{prefix}events:{containerId}:seq`` and ``{prefix}events:{containerId}:window``."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        window: int,
        window_ttl_seconds: int = 7 * 24 * 3600,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.window = window
        self.window_ttl_seconds = window_ttl_seconds

    def _key(self, container_id: str, kind: str) -> str:
        return f"{self.prefix}events:{container_id}:{kind}"

    async def next_seq(self, container_id: str) -> int:
        return int(await self.redis.incr(self._key(container_id, "seq")))

    async def append(self, container_id: str, seq: int, stored: Stored) -> None:
        key = self._key(container_id, "window")
        member = json.dumps(stored, separators=(",", ":"), sort_keys=True)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {member: seq})
            pipe.zremrangebyrank(key, 0, -self.window - 1)
            pipe.expire(key, self.window_ttl_seconds)
            await pipe.execute()

    async def since(self, container_id: str, seq: int) -> list[Stored]:
        members: list[Any] = await self.redis.zrangebyscore(
            self._key(container_id, "window"), f"({seq}", "+inf"
        )
        return [json.loads(m) for m in members]
