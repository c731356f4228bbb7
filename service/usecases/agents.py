"""The caller's agents, as a UI draws them (``listAgents``): answered locally.

One repository query a page (the caller's containers by id, after the cursor) and one
read of the health memory for their last known run state and health: WAP is not
called. What a container may do is what the checks enforce: its capabilities as
stored, its file roots only when it may list files (``file.read`` and access
parameters), each writable only with ``file.write`` (``paths``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from service import errors
from service.domain import CAP_FILE_READ, OwnedContainer
from service.errors import FieldError
from service.health_memory import UNKNOWN, AbstractHealthMemory, KnownHealth
from service.repository import AbstractContainerRepository
from service.sessions import Caller
from service.usecases import paths

log = logging.getLogger("armory.agents")

DEFAULT_LIMIT, MAX_LIMIT = 50, 200
NOTHING_KNOWN = KnownHealth(UNKNOWN, UNKNOWN)


def encode_cursor(container_id: str) -> str:
    """The cursor after ``container_id``: its UUID in 32 hex digits (every such string is a
    place in the order, so no cursor can be malformed once it matches the contract)."""
    return uuid.UUID(container_id).hex


def decode_cursor(cursor: str) -> str:
    """The container id ``cursor`` names (canonical text), or 400 ``invalid_request``."""
    try:
        return str(uuid.UUID(hex=cursor))
    except ValueError:
        raise errors.BadRequest(
            "cursor is not one this API gave (use nextCursor as it was answered).",
            errors=[FieldError("query.cursor", "is not a cursor this API gave")],
        ) from None


@dataclass(frozen=True)
class FileRoot:
    path: str
    writable: bool


@dataclass(frozen=True)
class AgentSummary:
    container: OwnedContainer
    known: KnownHealth  # NOTHING_KNOWN: the health monitor has not seen it yet

    @property
    def capabilities(self) -> list[str]:
        return sorted(self.container.capabilities)

    @property
    def file_roots(self) -> list[FileRoot]:
        """What ``listAgentFiles`` without ``path`` lists; none when it would refuse."""
        container = self.container
        if CAP_FILE_READ not in container.capabilities or container.access is None:
            return []
        return [
            FileRoot(root, paths.is_writable(container, root))
            for root in container.access.readable_roots
        ]


@dataclass(frozen=True)
class AgentPage:
    agents: Sequence[AgentSummary]
    next_cursor: str | None  # None: no further container


@dataclass(frozen=True)
class ListAgents:
    """A page of the caller's containers, by id (no WAP call; never another account's)."""

    repository: AbstractContainerRepository
    memory: AbstractHealthMemory

    async def __call__(
        self, caller: Caller, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT
    ) -> AgentPage:
        after = None if cursor is None else decode_cursor(cursor)
        limit = max(1, min(limit, MAX_LIMIT))
        # One more than the page: whether another follows, without a count.
        found = await self.repository.page_owned(caller.account_id, after=after, limit=limit + 1)
        page = list(found[:limit])
        known = await self._recall([c.id for c in page])
        agents = [AgentSummary(c, known.get(c.id, NOTHING_KNOWN)) for c in page]
        more = len(found) > limit
        return AgentPage(agents, encode_cursor(page[-1].id) if more else None)

    async def _recall(self, container_ids: Sequence[str]) -> dict[str, KnownHealth]:
        if not container_ids:
            return {}
        try:
            return await self.memory.recall(container_ids)
        except Exception as exc:  # Redis away: the listing still answers, all unknown
            log.warning("the health memory could not be read: %r", exc)
            return {}
