"""Builds the real-time side of one instance: the Socket.io server, its client manager,
the event publisher and the health monitor, sharing one Redis client when
``settings.redis_url`` is set.

Swapping the in-memory manager for Redis changes no handler: the namespace only
enters rooms, and the publisher only emits to them. With Redis, an emit on any
instance reaches the room's sockets on every instance (``redis_manager.RedisManager``,
python-socketio's pub/sub manager, channel ``{prefix}socketio``).

Redis down: local sockets still hear every event, events are numbered locally and not
kept for catch-up (``publisher``), and no instance polls health (``leader``); each of
them picks up again by itself when Redis is back. Without Redis at start-up nothing
fails either: nothing connects before it is used. Every Redis client here gives up on
a Redis that does not answer after ``REDIS_TIMEOUT_SECONDS`` (one retry), so an event
or a lock never holds a request or a poll for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import engineio
import socketio
from engineio import async_socket
from engineio import packet as eio_packet
from engineio import payload as eio_payload
from engineio.async_drivers import asgi as eio_asgi
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from service.events import AbstractEventPublisher
from service.health_memory import AbstractHealthMemory
from service.realtime.eventlog import AbstractEventLog, MemoryEventLog, RedisEventLog
from service.realtime.fanout import FanoutManager, FanoutSocket
from service.realtime.health import HealthMonitor, MemoryHealthMemory, RedisHealthMemory
from service.realtime.leader import RedisLeaderLock, SoleInstance, new_instance_id
from service.realtime.namespace import AgentNamespace
from service.realtime.origins import OriginPolicy
from service.realtime.publisher import SocketIOEventPublisher
from service.realtime.redis_manager import RedisManager
from service.repository import AbstractContainerRepository
from service.sessions import AbstractSessionVerifier
from service.settings import Settings
from service.usecases.health_watch import PollHealth
from service.wap import AbstractWap

log = logging.getLogger("armory.realtime")
_PROTOCOL_NOISE = (ValueError, TypeError, IndexError, KeyError, AttributeError)
# What a client may send: its handshake (a token), `authenticate`, acknowledgements.
MAX_FRAME_BYTES = 64 * 1024

REDIS_TIMEOUT_SECONDS = 2.0


def redis_options() -> dict[str, Any]:
    """What every Redis client of an instance is built with (a fresh ``Retry`` each)."""
    return {
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
        "retry": Retry(NoBackoff(), 1),
    }


def _not_engineio(frame: Any, *, payload: bool = False) -> str | None:
    """Why a websocket frame (or, with ``payload``, a polling body) from a client is no
    Engine.IO packet (or payload of packets), or None."""
    try:
        if payload:
            found = eio_payload.Payload(encoded_payload=frame).packets
        else:
            found = [eio_packet.Packet(encoded_packet=frame)]
    except (*_PROTOCOL_NOISE, UnicodeError) as exc:
        return f"{type(exc).__name__}: {exc}"[:200]
    if any(not 0 <= p.packet_type < len(eio_packet.packet_names) for p in found):
        return "unknown packet type"
    return None


class _CheckedWebSocket(eio_asgi.WebSocket):  # type: ignore[misc]
    """A frame that is no Engine.IO packet ends the connection as a client's close would
    (Engine.IO would raise out of its handler, and log a traceback per frame)."""

    async def wait(self) -> Any:
        frame = await super().wait()
        if frame is not None and (why := _not_engineio(frame)) is not None:
            log.info("closed a websocket that sent a malformed Engine.IO frame (%s)", why)
            return None
        return frame


class _CheckedBody:
    """A long-polling POST body; one that is no Engine.IO payload is read as a close packet."""

    def __init__(self, body: Any) -> None:
        self._body = body

    async def read(self, length: int | None = None) -> bytes:
        raw = await self._body.read(length)
        try:
            why = _not_engineio(raw.decode("utf-8"), payload=True) if raw else None
        except UnicodeError:
            why = "not UTF-8"
        if why is None:
            return bytes(raw)
        log.info("closed a polling session that sent a malformed Engine.IO payload (%s)", why)
        return b"1"  # CLOSE


async def _translate_request(scope: Any, receive: Any, send: Any) -> Any:
    environ = await eio_asgi.translate_request(scope, receive, send)
    if "wsgi.input" in environ:
        environ["wsgi.input"] = _CheckedBody(environ["wsgi.input"])
    return environ


class _EngineServer(engineio.AsyncServer):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        checked = {"websocket": _CheckedWebSocket, "translate_request": _translate_request}
        self._async = {**self._async, **checked}  # type: ignore[has-type]

    async def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        if event == "connect":  # a socket just made: it waits for its packets as ours do
            made = self.sockets.get(args[0])
            if type(made) is async_socket.AsyncSocket:
                made.__class__ = FanoutSocket
        return await super()._trigger_event(event, *args, **kwargs)

    async def handle_request(self, scope: Any, receive: Any, send: Any) -> Any:
        # A session closed by a POST stays listed until a GET; a POST for it then fails
        # in Engine.IO (KeyError, a 500). Forgotten now, it answers 400 "Invalid session".
        sid = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("sid", [None])[0]
        if sid is not None and getattr(self.sockets.get(sid), "closed", False):
            del self.sockets[sid]
        return await super().handle_request(scope, receive, send)


class CheckedServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server, refusing what is no Socket.IO packet: a client sending
    one is disconnected with one line in the log, where the library raised out of its
    handlers (a traceback per frame) or acted on a malformed packet. Frames are at most
    ``MAX_FRAME_BYTES``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_http_buffer_size", MAX_FRAME_BYTES)
        super().__init__(**kwargs)

    def _engineio_server_class(self) -> Any:
        return _EngineServer

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        if eio_sid not in self._binary_packet and (why := self._not_socketio(eio_sid, data)):
            log.info("disconnected a client that sent a malformed Socket.IO packet (%s)", why)
            await self.eio.disconnect(eio_sid)
            return
        await super()._handle_eio_message(eio_sid, data)

    def _not_socketio(self, eio_sid: str, data: Any) -> str | None:
        try:
            pkt = self.packet_class(encoded_packet=data)
        except _PROTOCOL_NOISE as exc:
            return f"{type(exc).__name__}: {exc}"[:200]
        kind, body = pkt.packet_type, pkt.data
        if kind == socketio.packet.CONNECT:
            return None if body is None or isinstance(body, dict) else "connect data"
        if kind == socketio.packet.DISCONNECT:
            return None
        if kind in (socketio.packet.EVENT, socketio.packet.BINARY_EVENT):
            if not (isinstance(body, list) and body and isinstance(body[0], str)):
                return "an event is a list that starts with its name"
        elif kind in (socketio.packet.ACK, socketio.packet.BINARY_ACK):
            if not isinstance(body, list):
                return "an acknowledgement is a list"
        else:
            return f"packet type {kind!r}"
        binary = kind in (socketio.packet.BINARY_EVENT, socketio.packet.BINARY_ACK)
        if binary and not self.manager.sid_from_eio_sid(eio_sid, pkt.namespace or "/"):
            return "a binary packet before connecting"
        return None


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
    # The last run state and health known of each container: the health monitor's, which
    # lifecycle calls note into and the agent listing reads (shared through Redis if any).
    health_memory: AbstractHealthMemory

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
        else:
            leadership = RedisLeaderLock(
                self.redis, f"{self.prefix}health:poller", self.instance_id, int(ttl_seconds * 1000)
            )
        return HealthMonitor(
            poll=PollHealth(wap, repository, events, self.health_memory),
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
        if isinstance(manager, RedisManager):
            await manager.aclose()
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
        redis = Redis.from_url(settings.redis_url, **redis_options())
        manager: Any = RedisManager(
            settings.redis_url, channel=f"{prefix}socketio", redis_options=redis_options()
        )
    else:
        manager = FanoutManager()
    origins = OriginPolicy(settings.cors_origins)
    sio = CheckedServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=origins,
        logger=False,
        engineio_logger=False,
    )
    namespace = AgentNamespace(sessions, repository)
    sio.register_namespace(namespace)
    memory: AbstractHealthMemory = (
        MemoryHealthMemory() if redis is None else RedisHealthMemory(redis, f"{prefix}health:last")
    )
    return Realtime(settings, sio, namespace, redis, prefix, new_instance_id(), origins, memory)
