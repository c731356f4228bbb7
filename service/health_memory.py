"""The health-memory port: the last run state and health known of each container.

The health watch compares each poll with it to decide what changed, and replaces it with
what the poll saw; a restart, stop or start made through the API notes the state it left
the container in (``service.usecases.lifecycle``), so the next poll announces what then
differs; the agent listing (``listAgents``) reads it, so it answers without calling WAP.
The adapters live in ``service.realtime.health`` (in memory for one instance, a Redis
hash shared by every instance that may take the poller's lead).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

UNKNOWN = "unknown"


@dataclass(frozen=True)
class KnownHealth:
    """A container's run state (``running``, ``stopped``, ``restarting``) and health
    (``healthy``, ``unhealthy``, ``starting``, ``none``) as last seen or implied."""

    status: str
    health: str

    def encode(self) -> str:
        """As a Redis hash keeps it: ``"running healthy"``."""
        return f"{self.status} {self.health}"

    @classmethod
    def decode(cls, text: str) -> KnownHealth:
        """What ``encode`` made; a bare health (what earlier versions kept) has an
        ``unknown`` status."""
        status, _, health = text.strip().rpartition(" ")
        return cls(status or UNKNOWN, health or UNKNOWN)


class AbstractHealthMemory(abc.ABC):
    """containerId → the ``KnownHealth`` last seen (or implied by a lifecycle action)."""

    @abc.abstractmethod
    async def load(self) -> dict[str, KnownHealth]:
        """Everything remembered."""

    @abc.abstractmethod
    async def save(self, health: Mapping[str, KnownHealth]) -> None:
        """Replace everything remembered with ``health``."""

    @abc.abstractmethod
    async def recall(self, container_ids: Sequence[str]) -> dict[str, KnownHealth]:
        """What is remembered of these containers (those with nothing are left out)."""

    @abc.abstractmethod
    async def note(self, container_id: str, known: KnownHealth) -> None:
        """Remember ``known`` for one container, keeping the others."""
