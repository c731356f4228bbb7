"""The health-memory port: the last health seen of each container.

The health watch compares each poll with it to decide what changed. The adapters
live in ``service.realtime.health`` (in memory for one instance, a Redis hash
shared by every instance that may take the poller's lead).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping


class AbstractHealthMemory(abc.ABC):
    """containerId → the health last announced for it."""

    @abc.abstractmethod
    async def load(self) -> dict[str, str]: ...

    @abc.abstractmethod
    async def save(self, health: Mapping[str, str]) -> None:
        """Replace everything remembered with ``health``."""
