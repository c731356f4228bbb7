"""A dict-backed health memory, for unit tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from service.health_memory import AbstractHealthMemory, KnownHealth


class FakeHealthMemory(AbstractHealthMemory):
    """containerId → ``KnownHealth`` in ``health``; ``saves`` counts the replacements.
    ``error`` (a test sets it) is raised by ``recall`` and ``note``, as a Redis gone away."""

    def __init__(self, health: Mapping[str, KnownHealth] | None = None) -> None:
        self.health = dict(health or {})
        self.saves = 0
        self.error: Exception | None = None

    async def load(self) -> dict[str, KnownHealth]:
        return dict(self.health)

    async def save(self, health: Mapping[str, KnownHealth]) -> None:
        self.health = dict(health)
        self.saves += 1

    async def recall(self, container_ids: Sequence[str]) -> dict[str, KnownHealth]:
        if self.error is not None:
            raise self.error
        return {c: self.health[c] for c in container_ids if c in self.health}

    async def note(self, container_id: str, known: KnownHealth) -> None:
        if self.error is not None:
            raise self.error
        self.health[container_id] = known
