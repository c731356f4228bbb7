"""The Socket.io client manager over Redis: python-socketio's pub/sub manager with a
publishing and a listening Redis client of its own.

python-socketio's ``AsyncRedisManager`` rebuilds its one Redis client whenever a publish
fails and whenever its listener resubscribes, each time dropping, unclosed, the client
the other path was using (a connection left open per Redis outage), and it waits up to
a minute between resubscriptions. This manager fills the two hooks
``AsyncPubSubManager`` leaves to backends instead:

- ``_publish``: one client for the life of the manager (redis-py reconnects it by
  itself); a failure is logged, never raised. ``AsyncPubSubManager.emit`` has already
  delivered the event to this instance's sockets by then, so they hear every event
  while Redis is down; only the other instances miss it (catch-up covers them).
- ``_listen``: subscribes, and while Redis is away subscribes again after a wait that
  doubles from ``backoff[0]`` up to ``backoff[1]``, on a client of its own.

``aclose`` closes both clients. Nothing connects before the first socket connects
(``AsyncServer`` initialises its manager then) or before the first publish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis
from socketio.async_pubsub_manager import AsyncPubSubManager

from service.realtime.fanout import FanoutManager

log = logging.getLogger("armory.realtime")


class RedisManager(AsyncPubSubManager, FanoutManager):  # type: ignore[misc]
    """Local delivery (``_handle_emit``) goes through ``FanoutManager.emit``."""

    name = "armory-redis"

    def __init__(
        self,
        url: str,
        *,
        channel: str,
        redis_options: dict[str, Any],
        backoff: tuple[float, float] = (0.1, 2.0),
    ) -> None:
        super().__init__(channel=channel)
        self.backoff = backoff
        self.listening = False  # subscribed on the channel now
        self._publisher = Redis.from_url(url, **redis_options)
        self._listener = Redis.from_url(url, **redis_options)
        self._published_ok = True

    async def _publish(self, data: Any) -> Any:
        try:
            sent = await self._publisher.publish(self.channel, self.json.dumps(data))
        except Exception as exc:
            if self._published_ok:  # once per outage, not once per event
                log.warning("cannot publish to Redis; other instances miss events: %r", exc)
            self._published_ok = False
            return None
        if not self._published_ok:
            log.info("publishing to Redis again")
        self._published_ok = True
        return sent

    async def _listen(self) -> AsyncIterator[Any]:
        delay, failing = self.backoff[0], False
        while True:
            pubsub: Any = self._listener.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.listening, delay = True, self.backoff[0]
                if failing:
                    log.info("listening on Redis channel %s again", self.channel)
                failing = False
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        yield message["data"]
            except Exception as exc:
                if not failing:  # once per outage
                    log.warning("not listening on Redis channel %s: %r", self.channel, exc)
                failing = True
            finally:
                self.listening = False
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff[1])

    async def aclose(self) -> None:
        """Close both clients (after the listener task was cancelled)."""
        for client in (self._publisher, self._listener):
            try:
                await client.aclose()
            except Exception:
                log.debug("closing a Redis client failed", exc_info=True)
