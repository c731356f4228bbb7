"""What every handler needs: the caller's own container, and time and path formats."""

from __future__ import annotations

from datetime import UTC, datetime

from service.domain import OwnedContainer
from service.http.app import Call
from service.usecases.ownership import owned_container


async def mine(call: Call) -> OwnedContainer:
    """The path's container, if the caller owns it (the ownership choke point)."""
    return await owned_container(call.services.repository, call.caller, call.container_id)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def file_path(call: Call) -> str:
    """The ``{path}`` of a file operation, made absolute."""
    return "/" + str(call.valid.path["path"]).lstrip("/")
