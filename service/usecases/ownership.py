"""The one choke point: (caller, containerId) → the caller's own container, or 403."""

from __future__ import annotations

from service import errors
from service.domain import OwnedContainer
from service.repository import AbstractContainerRepository
from service.sessions import Caller

NOT_YOURS = "This container does not exist or does not belong to your account."


async def owned_container(
    repository: AbstractContainerRepository, caller: Caller, container_id: str
) -> OwnedContainer:
    """Resolve before any upstream call. Unknown and foreign ids answer the same 403."""
    container = await repository.find_owned(caller.account_id, container_id)
    if container is None or container.account_id != caller.account_id:
        raise errors.Forbidden(NOT_YOURS)
    return container


def require_capability(container: OwnedContainer, capability: str) -> None:
    if capability not in container.capabilities:
        raise errors.CapabilityMissing(
            f"This agent does not have the {capability!r} capability.",
            extra={"capability": capability},
        )
