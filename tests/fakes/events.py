"""A recording event publisher: the in-memory stand-in for the Socket.io publisher."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from service.clock import AbstractClock
from service.events import AbstractEventPublisher, AgentEvent


class RecordingEventPublisher(AbstractEventPublisher):
    """Numbers events per container (``seq`` from 1), stamps ``time``, and records them.

    ``published`` holds ``(event, payload)`` pairs in publishing order, the payload
    exactly as it would be emitted; ``names()`` lists the event names. ``since`` answers
    from the last ``window`` events of the container, as the real publisher's recent
    window does. ``time`` is ``clock.now()`` when a clock is given, else the system time.
    """

    def __init__(self, window: int = 500, *, clock: AbstractClock | None = None) -> None:
        self.window = window
        self.clock = clock
        self.published: list[tuple[AgentEvent, dict[str, Any]]] = []
        self._seq: dict[str, int] = {}

    def _time(self) -> str:
        moment = (
            datetime.now(UTC)
            if self.clock is None
            else datetime.fromtimestamp(self.clock.now(), UTC)
        )
        return moment.isoformat()

    async def publish(self, event: AgentEvent) -> Mapping[str, Any]:
        seq = self._seq.get(event.container_id, 0) + 1
        self._seq[event.container_id] = seq
        payload = {**event.data, "seq": seq, "time": self._time()}
        self.published.append((event, payload))
        return payload

    async def since(self, container_id: str, seq: int) -> Sequence[Mapping[str, Any]]:
        mine = [
            {"event": e.name, "data": p}
            for e, p in self.published
            if e.container_id == container_id and p["seq"] > seq
        ]
        return mine[-self.window :]

    def names(self) -> list[str]:
        return [e.name for e, _ in self.published]
