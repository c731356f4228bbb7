"""Which instance polls WAP's health: one per deployment.

    AbstractLeadership
    ├── SoleInstance      no Redis: this instance is the whole deployment, it always leads
    └── RedisLeaderLock   ``SET key instance_id NX PX ttl``; the holder extends it on every
                          poll with a compare-and-extend script, and deletes it (compare-
                          and-delete) when it stops. If the holder dies, the key expires
                          after ``ttl`` and the next instance to ask takes over.

A Redis error counts as "not leading": when Redis is unreachable no instance can know
whether another one polls, and two pollers would number the same change twice.
"""

from __future__ import annotations

import abc
import logging
import os
import socket
import uuid

from redis.asyncio import Redis

log = logging.getLogger("armory.realtime")

# Extend the lock only if we still hold it (another instance may have taken it over).
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def new_instance_id() -> str:
    """Names this process in the lock, so an operator can tell which instance polls."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class AbstractLeadership(abc.ABC):
    @abc.abstractmethod
    async def hold(self) -> bool:
        """Take or keep the lead; ``True`` while this instance leads. Never raises."""

    async def release(self) -> None:  # noqa: B027 - optional hook
        """Give the lead up (stopping), so that another instance takes over at once."""

    @property
    @abc.abstractmethod
    def leading(self) -> bool:
        """What the last ``hold`` answered."""


class SoleInstance(AbstractLeadership):
    async def hold(self) -> bool:
        return True

    @property
    def leading(self) -> bool:
        return True


class RedisLeaderLock(AbstractLeadership):
    def __init__(self, redis: Redis, key: str, instance_id: str, ttl_ms: int) -> None:
        self.redis = redis
        self.key = key
        self.instance_id = instance_id
        self.ttl_ms = ttl_ms
        self._leading = False

    @property
    def leading(self) -> bool:
        return self._leading

    async def hold(self) -> bool:
        try:
            if self._leading and await self.redis.eval(
                _EXTEND, 1, self.key, self.instance_id, str(self.ttl_ms)
            ):
                return True
            taken = await self.redis.set(self.key, self.instance_id, nx=True, px=self.ttl_ms)
        except Exception as exc:
            # Every poll while Redis is down: one line each, no traceback.
            log.warning("cannot reach Redis for the health poller lock: %r", exc)
            taken = False
        if bool(taken) != self._leading:
            log.info(
                "%s %s the health poller lock",
                self.instance_id,
                "took" if taken else "lost",
            )
        self._leading = bool(taken)
        return self._leading

    async def release(self) -> None:
        if not self._leading:
            return
        self._leading = False
        try:
            await self.redis.eval(_RELEASE, 1, self.key, self.instance_id)
        except Exception:
            log.exception("could not release the health poller lock (it will expire)")
