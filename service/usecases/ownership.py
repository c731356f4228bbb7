"""The one choke point: (caller, containerId) → the caller's own container, or 403.

Every use case that acts on a container starts here, before any upstream call.
"""

from __future__ import annotations

from dataclasses import dataclass

from service import errors
from service.domain import OwnedContainer
from service.repository import AbstractContainerRepository
from service.sessions import Caller

NOT_YOURS = "This container does not exist or does not belong to your account."


@dataclass(frozen=True)
class Ownership:
    """Resolves a container id for a caller. Unknown and foreign ids answer the same 403."""

    repository: AbstractContainerRepository

    async def container(self, caller: Caller, container_id: str) -> OwnedContainer:
        found = await self.repository.find_owned(caller.account_id, container_id)
        if found is None or found.account_id != caller.account_id:
            raise errors.Forbidden(NOT_YOURS)
        return found

    async def with_capability(
        self, caller: Caller, container_id: str, capability: str
    ) -> OwnedContainer:
        """The caller's container, if it has ``capability`` (else 403 ``capability_missing``)."""
        found = await self.container(caller, container_id)
        require_capability(found, capability)
        return found


def require_capability(container: OwnedContainer, capability: str) -> None:
    if capability not in container.capabilities:
        raise errors.CapabilityMissing(
            f"This agent does not have the {capability!r} capability.",
            extra={"capability": capability},
        )
