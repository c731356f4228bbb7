"""The event publisher port: what the use cases tell the real-time layer.

The four Socket.io events of the spec (payloads exactly as the spec gives them;
the publisher adds ``seq`` and ``time``):

    agent-file-changed     {containerId, path, action}        action: created|updated|deleted
    agent-config-reloaded  {containerId, files}
    agent-version-update   {containerId, oldTag, newTag, status}  status: updating|completed|failed
    agent-health-update    {containerId, status, health, resources}
                           from the health watch (resources measured), or right after a
                           restart, stop or start through the API (resources null)
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from service.domain import OwnedContainer

FILE_CHANGED = "agent-file-changed"
CONFIG_RELOADED = "agent-config-reloaded"
VERSION_UPDATE = "agent-version-update"
HEALTH_UPDATE = "agent-health-update"
EVENT_NAMES = (FILE_CHANGED, CONFIG_RELOADED, VERSION_UPDATE, HEALTH_UPDATE)


@dataclass(frozen=True)
class AgentEvent:
    """An event about one container, addressed to its owner within its project."""

    name: str
    container_id: str
    project_id: str
    account_id: str
    data: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def about(cls, container: OwnedContainer, name: str, **data: Any) -> AgentEvent:
        return cls(
            name=name,
            container_id=container.id,
            project_id=container.project_id,
            account_id=container.account_id,
            data={"containerId": container.id, **data},
        )


class AbstractEventPublisher(abc.ABC):
    """Delivers events to the sockets of the container's owner, and remembers recent ones.

    ``publish`` never raises for delivery problems (a request that changed a file
    has succeeded whether or not a socket hears of it); it logs them instead.
    """

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect to whatever carries events (Redis, ...)."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Disconnect."""

    @abc.abstractmethod
    async def publish(self, event: AgentEvent) -> Mapping[str, Any]:
        """Stamp ``event`` with the container's next ``seq`` and ``time``, keep it in the
        recent window, and emit it; return the payload as emitted."""

    @abc.abstractmethod
    async def since(self, container_id: str, seq: int) -> Sequence[Mapping[str, Any]]:
        """Recent events of the container with ``seq`` greater than ``seq``, oldest first:
        ``{"event": name, "data": payload}``."""
