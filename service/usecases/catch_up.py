"""Live events a client missed: the container's kept window after a ``seq``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from service.events import AbstractEventPublisher
from service.sessions import Caller
from service.usecases.ownership import Ownership


@dataclass(frozen=True)
class Missed:
    events: Sequence[Mapping[str, Any]]  # {"event": name, "data": payload}, oldest first
    latest_seq: int  # the newest seq kept for the container (0 when none is)


@dataclass(frozen=True)
class CatchUp:
    """Answered from the publisher's window; WAP is not called."""

    ownership: Ownership
    events: AbstractEventPublisher

    async def __call__(self, caller: Caller, container_id: str, since: int) -> Missed:
        container = await self.ownership.container(caller, container_id)
        # The whole kept window (at most EVENT_WINDOW events): its newest seq is latestSeq.
        kept = await self.events.since(container.id, 0)
        latest = max((int(e["data"]["seq"]) for e in kept), default=0)
        return Missed([e for e in kept if int(e["data"]["seq"]) > since], latest)
