"""The container repository port: the one place ownership is resolved."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import timedelta

from service.domain import CatalogueEntry, OwnedContainer, VersionUpdate


class AbstractContainerRepository(abc.ABC):
    """Reads and writes what the service keeps about container launches.

    Every method is async; implementations backed by a synchronous ORM run it
    off the event loop.
    """

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open connections; called once before the first request."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    @abc.abstractmethod
    async def find_owned(self, account_id: str, container_id: str) -> OwnedContainer | None:
        """The container ``container_id`` if ``account_id`` owns it, else ``None``.

        One indexed query. ``None`` both for a foreign and for an unknown id, so that
        callers cannot tell them apart.
        """

    @abc.abstractmethod
    async def list_owned(self, account_id: str) -> Sequence[OwnedContainer]:
        """Every container ``account_id`` owns."""

    @abc.abstractmethod
    async def page_owned(
        self, account_id: str, *, after: str | None, limit: int
    ) -> Sequence[OwnedContainer]:
        """At most ``limit`` of the containers ``account_id`` owns, by ``id`` (a UUID, in
        its canonical text: the order of the text and of the UUID's bytes agree), only those
        after ``after`` when given (which need not exist). One query; never another
        account's container."""

    async def project_ids(self, account_id: str) -> Sequence[str]:
        """The projects in which ``account_id`` owns at least one container."""
        return sorted({c.project_id for c in await self.list_owned(account_id)})

    @abc.abstractmethod
    async def list_by_wap_ids(self, wap_ids: Sequence[str]) -> Sequence[OwnedContainer]:
        """The containers WAP knows by these ids, whoever owns them (the health monitor)."""

    @abc.abstractmethod
    async def catalogue(self, image: str) -> Sequence[CatalogueEntry]:
        """The released tags of ``image``, newest first."""

    @abc.abstractmethod
    async def history(self, container_id: str) -> Sequence[VersionUpdate]:
        """The container's version updates, newest first."""

    @abc.abstractmethod
    async def begin_update(
        self, container: OwnedContainer, new_tag: str, requested_by: str
    ) -> VersionUpdate:
        """Record an update of ``container`` to ``new_tag`` as ``updating``: a compare-and-set.

        One transaction reads the container's current tag and image (the record's
        ``old_tag`` and ``image``: never ``container``'s, which may come from a cache),
        checks that no update of it is ``updating``, and inserts the record; of any number
        of concurrent calls for one container, exactly one wins. Raises
        ``errors.UpdateInProgress`` while another update of the container is ``updating``
        (a stale one too: ``interrupt_stale_updates`` resolves those first), and
        ``errors.Conflict`` when the container already runs ``new_tag``.
        """

    @abc.abstractmethod
    async def interrupt_stale_updates(
        self, container_id: str, *, older_than: timedelta
    ) -> Sequence[VersionUpdate]:
        """Mark ``interrupted`` the container's updates still ``updating`` that began more
        than ``older_than`` ago (the process running them stopped before it recorded an
        outcome), and return them as marked. Concurrent calls mark each record once.
        """

    @abc.abstractmethod
    async def finish_update(
        self, update_id: str, *, succeeded: bool, error: str | None = None
    ) -> VersionUpdate:
        """Mark the update completed (and move the container's tag) or failed."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """One trivial query that reads a table (the readiness probe): returns once the
        database answers it. Raises ``errors.DatabaseUnavailable`` when the database
        cannot be reached; any other error the database gave propagates."""
