"""Which instance polls WAP's health: one per deployment.

    AbstractLeadership
    ├── SoleInstance      no Redis: this instance is the whole deployment, it always leads
    └── RedisLeaderLock   a key holding the leader's instance id, with expiry ``ttl``: on
                          every poll one script extends it if it names this instance, or
                          sets it if it is gone; the holder deletes it (compare-and-
                          delete) when it stops. If the holder dies, the key expires after
                          ``ttl`` and the next instance to ask takes over.

A Redis error counts as "not leading": when Redis is unreachable no instance can know
whether another one polls, and two pollers would number the same change twice. When
Redis answers again the lock is taken again on the next poll: the script extends a lock
that names this instance whether or not it thought it led, so a lock Redis kept through
the outage (a network cut rather than a restart) is not left to expire first.
"""

from __future__ import annotations

import abc
import logging
import os
import socket
import uuid

from redis.asyncio import Redis

log = logging.getLogger("armory.realtime")

# Extend the lock if we hold it (whether or not we thought so), take it if nobody does;
# never touch another instance's lock.
_HOLD = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
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
            taken = await self.redis.eval(_HOLD, 1, self.key, self.instance_id, str(self.ttl_ms))
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
