"""A dict-backed container repository with the port's semantics, for unit tests."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from service import errors
from service.clock import AbstractClock, SystemClock
from service.domain import (
    COMPLETED,
    FAILED,
    INTERRUPTED,
    UPDATING,
    AccessParameters,
    CatalogueEntry,
    OwnedContainer,
    VersionUpdate,
    stale_update_reason,
)
from service.repository import AbstractContainerRepository


class FakeContainerRepository(AbstractContainerRepository):
    """Containers by id, catalogue entries by image, version updates by id.

    Semantics are those of the port (and of ``PonyContainerRepository``):
    ``find_owned`` is ``None`` for a foreign id and an unknown one alike;
    ``begin_update`` compares and sets the stored container's tag (not the given
    one's): ``errors.UpdateInProgress`` while an update of the same container is
    ``updating``, ``errors.Conflict`` for the tag it runs; ``interrupt_stale_updates``
    marks ``interrupted`` what is ``updating`` past its age; ``finish_update`` completes
    (and moves the container's tag) or fails it. ``catalogue`` and ``history`` are
    newest first.

    ``queries`` records every call as ``(method name, args)``, so a test can count
    lookups (``repository.count("find_owned")``). Times come from ``clock``.
    """

    def __init__(
        self,
        containers: Iterable[OwnedContainer] = (),
        catalogue: Iterable[CatalogueEntry] = (),
        *,
        clock: AbstractClock | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.containers: dict[str, OwnedContainer] = {}
        self.entries: dict[str, list[CatalogueEntry]] = {}
        self.updates: dict[str, VersionUpdate] = {}
        self.queries: list[tuple[str, tuple[object, ...]]] = []
        self.started = False
        for container in containers:
            self.add(container)
        for entry in catalogue:
            self.add_catalogue_entry(entry)

    # -- helpers for tests ---------------------------------------------------------------

    def add(self, container: OwnedContainer) -> OwnedContainer:
        if container.id in self.containers:
            raise ValueError(f"container {container.id} is added twice")
        self.containers[container.id] = container
        return container

    def add_container(
        self,
        id: str,
        *,
        account_id: str,
        project_id: str = "project-1",
        wap_id: str | None = None,
        image: str = "armory/agent",
        tag: str = "1.0.0",
        status: str = "running",
        capabilities: Iterable[str] = (),
        access: AccessParameters | None = None,
        instructions_dir: str | None = None,
        supports_hot_reload: bool = False,
    ) -> OwnedContainer:
        """Add an ``OwnedContainer``; ``wap_id`` defaults to ``f"wap-{id}"``."""
        return self.add(
            OwnedContainer(
                id=id,
                account_id=account_id,
                project_id=project_id,
                wap_id=wap_id or f"wap-{id}",
                image=image,
                tag=tag,
                status=status,
                capabilities=frozenset(capabilities),
                access=access,
                instructions_dir=instructions_dir,
                supports_hot_reload=supports_hot_reload,
            )
        )

    def add_catalogue_entry(self, entry: CatalogueEntry) -> CatalogueEntry:
        self.entries.setdefault(entry.image, []).append(entry)
        return entry

    def add_catalogue(self, image: str, *tags: str) -> list[CatalogueEntry]:
        """Catalogue ``tags`` of ``image``, given oldest first, released a day apart."""
        first = self._now() - timedelta(days=len(tags))
        return [
            self.add_catalogue_entry(CatalogueEntry(image, tag, first + timedelta(days=n)))
            for n, tag in enumerate(tags)
        ]

    def count(self, method: str) -> int:
        """How many times ``method`` was called."""
        return sum(1 for name, _ in self.queries if name == method)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), UTC)

    # -- the port ------------------------------------------------------------------------

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    async def find_owned(self, account_id: str, container_id: str) -> OwnedContainer | None:
        self.queries.append(("find_owned", (account_id, container_id)))
        found = self.containers.get(container_id)
        return found if found is not None and found.account_id == account_id else None

    async def list_owned(self, account_id: str) -> Sequence[OwnedContainer]:
        self.queries.append(("list_owned", (account_id,)))
        return [c for c in self.containers.values() if c.account_id == account_id]

    async def page_owned(
        self, account_id: str, *, after: str | None, limit: int
    ) -> Sequence[OwnedContainer]:
        self.queries.append(("page_owned", (account_id, after, limit)))
        mine = sorted(
            (c for c in self.containers.values() if c.account_id == account_id),
            key=lambda c: c.id,
        )
        return [c for c in mine if after is None or c.id > after][:limit]

    async def project_ids(self, account_id: str) -> Sequence[str]:
        self.queries.append(("project_ids", (account_id,)))
        mine = self.containers.values()
        return sorted({c.project_id for c in mine if c.account_id == account_id})

    async def list_by_wap_ids(self, wap_ids: Sequence[str]) -> Sequence[OwnedContainer]:
        self.queries.append(("list_by_wap_ids", (tuple(wap_ids),)))
        wanted = set(wap_ids)
        return [c for c in self.containers.values() if c.wap_id in wanted]

    async def catalogue(self, image: str) -> Sequence[CatalogueEntry]:
        self.queries.append(("catalogue", (image,)))
        return sorted(self.entries.get(image, ()), key=lambda e: e.released_at, reverse=True)

    async def history(self, container_id: str) -> Sequence[VersionUpdate]:
        self.queries.append(("history", (container_id,)))
        mine = [u for u in self.updates.values() if u.container_id == container_id]
        # Newest first; updates begun at the same instant by the order they were begun.
        ordered = sorted(enumerate(mine), key=lambda p: (p[1].started_at, p[0]), reverse=True)
        return [update for _, update in ordered]

    async def begin_update(
        self, container: OwnedContainer, new_tag: str, requested_by: str
    ) -> VersionUpdate:
        self.queries.append(("begin_update", (container.id, new_tag, requested_by)))
        # The stored container, not the one given (which may be stale): a compare-and-set.
        current = self.containers.get(container.id)
        if current is None:
            raise LookupError(f"the fake repository has no container {container.id}")
        if any(
            u.container_id == container.id and u.status == UPDATING for u in self.updates.values()
        ):
            raise errors.UpdateInProgress(
                "Another version update of this container is still running."
            )
        if current.tag == new_tag:
            raise errors.Conflict(f"The agent already runs {current.image}:{new_tag}.")
        update = VersionUpdate(
            id=str(uuid.uuid4()),
            container_id=current.id,
            image=current.image,
            old_tag=current.tag,
            new_tag=new_tag,
            status=UPDATING,
            requested_by=requested_by,
            started_at=self._now(),
        )
        self.updates[update.id] = update
        return update

    async def interrupt_stale_updates(
        self, container_id: str, *, older_than: timedelta
    ) -> Sequence[VersionUpdate]:
        self.queries.append(("interrupt_stale_updates", (container_id, older_than)))
        now = self._now()
        stale = [
            u
            for u in self.updates.values()
            if u.container_id == container_id
            and u.status == UPDATING
            and u.started_at < now - older_than
        ]
        for update in stale:
            self.updates[update.id] = dataclasses.replace(
                update,
                status=INTERRUPTED,
                finished_at=now,
                error=stale_update_reason(older_than),
            )
        return [self.updates[update.id] for update in stale]

    async def finish_update(
        self, update_id: str, *, succeeded: bool, error: str | None = None
    ) -> VersionUpdate:
        self.queries.append(("finish_update", (update_id, succeeded, error)))
        update = self.updates.get(update_id)
        if update is None:
            raise LookupError(f"the fake repository has no version update {update_id}")
        finished = dataclasses.replace(
            update,
            status=COMPLETED if succeeded else FAILED,
            finished_at=self._now(),
            error=error,
        )
        self.updates[update_id] = finished
        if succeeded:
            container = self.containers[update.container_id]
            self.containers[container.id] = dataclasses.replace(container, tag=update.new_tag)
        return finished

    # What ``ping`` raises (a test sets it: ``errors.DatabaseUnavailable()``); None answers.
    ping_error: Exception | None = None

    async def ping(self) -> None:
        self.queries.append(("ping", ()))
        if self.ping_error is not None:
            raise self.ping_error
