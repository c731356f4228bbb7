"""Versions: the local catalogue and history, and one update at a time per container."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from service import errors
from service.domain import (
    COMPLETED,
    FAILED,
    INTERRUPTED,
    UPDATING,
    CatalogueEntry,
    OwnedContainer,
    VersionUpdate,
)
from service.events import VERSION_UPDATE, AbstractEventPublisher, AgentEvent
from service.repository import AbstractContainerRepository
from service.sessions import Caller
from service.usecases.ownership import Ownership
from service.wap import AbstractWap


@dataclass(frozen=True)
class Versions:
    container: OwnedContainer
    available: Sequence[CatalogueEntry]
    history: Sequence[VersionUpdate]


@dataclass(frozen=True)
class ListVersions:
    """The released tags of the container's image and its update history (no WAP call)."""

    ownership: Ownership
    repository: AbstractContainerRepository

    async def __call__(self, caller: Caller, container_id: str) -> Versions:
        container = await self.ownership.container(caller, container_id)
        available, history = await asyncio.gather(
            self.repository.catalogue(container.image), self.repository.history(container.id)
        )
        return Versions(container, available, history)


@dataclass(frozen=True)
class UpdateVersion:
    """Moves the container to a catalogued tag of its image, one update at a time.

    The repository begins the update as a compare-and-set on the container's current
    tag (409 ``update_in_progress`` while another runs, 409 ``conflict`` for the tag it
    already runs), so that of concurrent requests exactly one reaches WAP. An update
    still ``updating`` ``stale_seconds`` after it began was left by a process that
    stopped: it is marked ``interrupted`` (and announced so) and no longer blocks.

    The outcome is always recorded. WAP refusing the tag answers the recorded failure;
    any other WAP error is recorded as a failure and raised. The update runs shielded
    from client disconnects, so a record is never left ``updating`` by a cancelled
    request. ``agent-version-update`` goes out when it starts and when it ends.
    """

    ownership: Ownership
    repository: AbstractContainerRepository
    wap: AbstractWap
    events: AbstractEventPublisher
    stale_seconds: float

    async def __call__(self, caller: Caller, container_id: str, tag: str) -> VersionUpdate:
        container = await self.ownership.container(caller, container_id)
        catalogue = await self.repository.catalogue(container.image)
        if tag not in {entry.tag for entry in catalogue}:
            raise errors.Unprocessable(
                f"{tag!r} is not a released version of {container.image}.",
                code="unknown_tag",
                errors=[errors.FieldError("body.tag", "is not in the version catalogue")],
            )
        stale = await self.repository.interrupt_stale_updates(
            container.id, older_than=timedelta(seconds=self.stale_seconds)
        )
        for interrupted in stale:
            await self.events.publish(_announce(container, interrupted, INTERRUPTED))
        update = await self.repository.begin_update(container, tag, caller.account_id)
        return await asyncio.shield(self._run(container, update))

    async def _run(self, container: OwnedContainer, update: VersionUpdate) -> VersionUpdate:
        def announce(status: str) -> AgentEvent:
            return _announce(container, update, status)

        await self.events.publish(announce(UPDATING))
        try:
            await self.wap.update_container_image(container.wap_id, container.image, update.new_tag)
        except errors.ApiError as exc:
            failed = await self.repository.finish_update(
                update.id, succeeded=False, error=exc.detail
            )
            await self.events.publish(announce(FAILED))
            if isinstance(exc, errors.Unprocessable):
                return failed
            raise
        except BaseException:
            await self.repository.finish_update(update.id, succeeded=False, error="interrupted")
            await self.events.publish(announce(FAILED))
            raise
        completed = await self.repository.finish_update(update.id, succeeded=True)
        await self.events.publish(announce(COMPLETED))
        return completed


def _announce(container: OwnedContainer, update: VersionUpdate, status: str) -> AgentEvent:
    """``agent-version-update`` about ``update`` (its recorded tags) with ``status``."""
    return AgentEvent.about(
        container, VERSION_UPDATE, oldTag=update.old_tag, newTag=update.new_tag, status=status
    )
