"""The event publisher adapter: stamps, remembers and emits events over Socket.io."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from service.events import AbstractEventPublisher, AgentEvent
from service.metrics import event_emitted
from service.realtime.eventlog import AbstractEventLog
from service.realtime.rooms import room_for

log = logging.getLogger("armory.realtime")


def rfc3339_now() -> str:
    """UTC, millisecond precision, ``Z`` suffix: ``2026-11-29T10:15:00.123Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SocketIOEventPublisher(AbstractEventPublisher):
    """Publishes to the room of the container's (project, owner) on a Socket.io server.

    ``sio`` is a ``socketio.AsyncServer``; with a Redis client manager its ``emit``
    reaches the sockets of every instance. ``log`` numbers and keeps the events
    (in memory, or in Redis so that every instance shares ``seq`` and the window).

    Delivery problems are logged, never raised: if the log cannot number the event
    (Redis down), it is still emitted to the sockets this instance can reach, with a
    ``seq`` one past the last this instance stamped for the container, and it is not
    kept for catch-up.
    """

    def __init__(self, sio: Any, log: AbstractEventLog) -> None:
        self.sio = sio
        self.log = log
        self._last_seq: dict[str, int] = {}

    async def publish(self, event: AgentEvent) -> Mapping[str, Any]:
        seq, numbered = await self._stamp(event)
        payload: dict[str, Any] = {**event.data, "seq": seq, "time": rfc3339_now()}
        if numbered:
            try:
                stored = {"event": event.name, "data": payload}
                await self.log.append(event.container_id, seq, stored)
            except Exception:
                log.exception("could not keep %s for container %s", event.name, event.container_id)
        try:
            await self.sio.emit(
                event.name,
                payload,
                room=room_for(event.project_id, event.account_id),
                namespace="/",
            )
        except Exception:
            log.exception("could not emit %s for container %s", event.name, event.container_id)
        else:
            event_emitted(event.name)
        return payload

    async def _stamp(self, event: AgentEvent) -> tuple[int, bool]:
        """The event's ``seq``, and whether the log numbered it (else a local fallback)."""
        last = self._last_seq.get(event.container_id, 0)
        try:
            seq = await self.log.next_seq(event.container_id)
        except Exception:
            log.exception("could not number %s for container %s", event.name, event.container_id)
            self._last_seq[event.container_id] = last + 1
            return last + 1, False
        self._last_seq[event.container_id] = max(seq, last)
        return seq, True

    async def since(self, container_id: str, seq: int) -> Sequence[Mapping[str, Any]]:
        """What the log keeps; nothing when it cannot be read (the catch-up endpoint then
        answers ``latestSeq: 0``, which tells a client to reload the container's state)."""
        try:
            return await self.log.since(container_id, seq)
        except Exception:
            log.exception("could not read the recent events of container %s", container_id)
            return []
