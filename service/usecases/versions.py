"""Versions: the local catalogue and history, and one update at a time per container."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from service import errors
from service.domain import CatalogueEntry, OwnedContainer, VersionUpdate
from service.events import VERSION_UPDATE, AbstractEventPublisher, AgentEvent
from service.repository import AbstractContainerRepository
from service.wap import AbstractWap


@dataclass(frozen=True)
class Versions:
    container: OwnedContainer
    available: Sequence[CatalogueEntry]
    history: Sequence[VersionUpdate]


async def list_versions(
    repository: AbstractContainerRepository, container: OwnedContainer
) -> Versions:
    available, history = await asyncio.gather(
        repository.catalogue(container.image), repository.history(container.id)
    )
    return Versions(container, available, history)


async def update_version(
    repository: AbstractContainerRepository,
    wap: AbstractWap,
    events: AbstractEventPublisher,
    container: OwnedContainer,
    tag: str,
    requested_by: str,
) -> VersionUpdate:
    """Move the container to a catalogued tag of its image.

    The outcome is always recorded. WAP refusing the tag answers the recorded failure;
    any other WAP error is recorded as a failure and raised. The update runs shielded
    from client disconnects, so a record is never left ``updating``.
    """
    catalogue = await repository.catalogue(container.image)
    if tag not in {entry.tag for entry in catalogue}:
        raise errors.Unprocessable(
            f"{tag!r} is not a released version of {container.image}.",
            code="unknown_tag",
            errors=[errors.FieldError("body.tag", "is not in the version catalogue")],
        )
    if tag == container.tag:
        raise errors.Conflict(f"The agent already runs {container.image}:{tag}.")
    update = await repository.begin_update(container, tag, requested_by)
    return await asyncio.shield(_run_update(repository, wap, events, container, update))


async def _run_update(
    repository: AbstractContainerRepository,
    wap: AbstractWap,
    events: AbstractEventPublisher,
    container: OwnedContainer,
    update: VersionUpdate,
) -> VersionUpdate:
    def announce(status: str) -> AgentEvent:
        return AgentEvent.about(
            container, VERSION_UPDATE, oldTag=update.old_tag, newTag=update.new_tag, status=status
        )

    await events.publish(announce("updating"))
    try:
        await wap.update_container_image(container.wap_id, container.image, update.new_tag)
    except errors.ApiError as exc:
        failed = await repository.finish_update(update.id, succeeded=False, error=exc.detail)
        await events.publish(announce("failed"))
        if isinstance(exc, errors.Unprocessable):
            return failed
        raise
    except BaseException:
        await repository.finish_update(update.id, succeeded=False, error="interrupted")
        await events.publish(announce("failed"))
        raise
    completed = await repository.finish_update(update.id, succeeded=True)
    await events.publish(announce("completed"))
    return completed
