"""The container repository on Pony ORM (SQLite or PostgreSQL).

Pony is synchronous: every method is one short ``db_session`` run on a small
thread pool, returning plain domain dataclasses (``rows``); nothing awaits
inside a session. The entities and the opening of the database are in
``pony_entities`` (re-exported here).

A database that cannot be reached answers ``errors.DatabaseUnavailable`` (503), through
``database.OutageGate``. Each pool thread keeps one connection (Pony's); a session that
failed because the database went away drops its thread's connection, so the next session
on that thread opens a new one once the database is back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TypeVar

from pony import orm

from service import errors, metrics
from service.adapters import rows
from service.adapters.database import DatabaseTarget, OutageGate, in_session
from service.adapters.pony_entities import Entities, open_database, utcnow
from service.domain import (
    COMPLETED,
    FAILED,
    INTERRUPTED,
    UPDATING,
    CatalogueEntry,
    OwnedContainer,
    VersionUpdate,
    stale_update_reason,
)
from service.repository import AbstractContainerRepository

__all__ = ["Entities", "PonyContainerRepository", "open_database", "utcnow"]

T = TypeVar("T")

# Pony binds $name from the mapping passed as the query's locals.
_OWNED_SQL = f"{rows.OWNED_SELECT} WHERE id = $key AND account_id = $account_id"
_ACCOUNT_SQL = f"{rows.OWNED_SELECT} WHERE account_id = $account_id ORDER BY created_at"
# The listing, by id: an index range scan on (account_id, id) (migration 0006).
_PAGE_SQL = f"{rows.OWNED_SELECT} WHERE account_id = $account_id ORDER BY id LIMIT $limit"
_PAGE_AFTER_SQL = (
    f"{rows.OWNED_SELECT} WHERE account_id = $account_id AND id > $after ORDER BY id LIMIT $limit"
)
_WAP_IDS_CHUNK = 500
_RUNNING = "Another version update of this container is still running."


def _wap_ids_sql(count: int) -> str:
    # One placeholder per id ($w0, $w1, ...): neither driver expands a list. Pony caches
    # one SQL text per chunk length, as it did for the entity query this replaced.
    placeholders = ", ".join(f"$w{i}" for i in range(count))
    return f"{rows.OWNED_SELECT} WHERE wap_container_id IN ({placeholders})"


class PonyContainerRepository(AbstractContainerRepository):
    def __init__(self, target: DatabaseTarget, *, threads: int = 4) -> None:
        self._target = target
        self._threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._db: orm.Database | None = None
        self._e: Entities | None = None
        self._gate = OutageGate()

    async def start(self) -> None:
        self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="pony")
        self._db, self._e = await self._run(lambda: open_database(self._target))

    async def stop(self) -> None:
        if self._db is not None:
            db = self._db
            await self._run(db.disconnect)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    @property
    def entities(self) -> Entities:
        assert self._e is not None, "repository not started"
        return self._e

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    async def _session(self, work: Callable[[Entities], T]) -> T:
        """``work(entities)`` in one ``db_session``, on the pool."""
        e = self.entities
        queries = metrics.db_queries(work)

        def run() -> T:
            queries.inc()  # a round trip (or a few statements in one transaction)
            return in_session(e.db, lambda: work(e))

        return await self._gate.run(lambda: self._run(run))

    async def find_owned(self, account_id: str, container_id: str) -> OwnedContainer | None:
        # The hot path: one indexed query in plain SQL (a third of the entity query's CPU).
        try:
            key = self.entities.key(container_id)
        except ValueError:
            return None

        def query(e: Entities) -> OwnedContainer | None:
            found = e.db.select(_OWNED_SQL, {}, {"key": key, "account_id": account_id})
            return rows.owned_container(found[0]) if found else None

        return await self._session(query)

    async def list_owned(self, account_id: str) -> Sequence[OwnedContainer]:
        def query(e: Entities) -> list[OwnedContainer]:
            found = e.db.select(_ACCOUNT_SQL, {}, {"account_id": account_id})
            return [rows.owned_container(r) for r in found]

        return await self._session(query)

    async def page_owned(
        self, account_id: str, *, after: str | None, limit: int
    ) -> Sequence[OwnedContainer]:
        params: dict[str, object] = {"account_id": account_id, "limit": limit}
        if after is not None:
            params["after"] = self.entities.key(after)
        sql = _PAGE_SQL if after is None else _PAGE_AFTER_SQL

        def query(e: Entities) -> list[OwnedContainer]:
            return [rows.owned_container(r) for r in e.db.select(sql, {}, params)]

        return await self._session(query)

    async def project_ids(self, account_id: str) -> Sequence[str]:
        def query(e: Entities) -> list[str]:
            found = orm.select(
                c.project.id for c in e.ContainerLaunch if c.account_id == account_id
            ).distinct()
            return sorted(str(p) for p in found)

        return await self._session(query)

    async def list_by_wap_ids(self, wap_ids: Sequence[str]) -> Sequence[OwnedContainer]:
        wanted = list(dict.fromkeys(wap_ids))

        def query(e: Entities) -> list[OwnedContainer]:
            found: list[OwnedContainer] = []
            for start in range(0, len(wanted), _WAP_IDS_CHUNK):
                chunk = wanted[start : start + _WAP_IDS_CHUNK]
                params = {f"w{i}": wap_id for i, wap_id in enumerate(chunk)}
                selected = e.db.select(_wap_ids_sql(len(chunk)), {}, params)
                found.extend(rows.owned_container(r) for r in selected)
            return found

        return await self._session(query)

    async def catalogue(self, image: str) -> Sequence[CatalogueEntry]:
        def query(e: Entities) -> list[CatalogueEntry]:
            found = orm.select(v for v in e.VersionCatalogue if v.image == image)
            ordered = found.order_by(orm.desc(e.VersionCatalogue.released_at))
            return [rows.catalogue_entry(r) for r in ordered]

        return await self._session(query)

    async def history(self, container_id: str) -> Sequence[VersionUpdate]:
        key = self.entities.key(container_id)

        def query(e: Entities) -> list[VersionUpdate]:
            found = orm.select(u for u in e.VersionUpdateRow if u.container.id == key)
            ordered = found.order_by(orm.desc(e.VersionUpdateRow.started_at))
            return [rows.version_update(r) for r in ordered]

        return await self._session(query)

    async def ping(self) -> None:
        # A table, not `SELECT 1`: SQLite answers that without reading its file. Through
        # the outage gate like any query, so a ping also tells a database that is back.
        sql = "SELECT 1 FROM container_launch LIMIT 1"
        await self._session(lambda e: e.db.select(sql, {}, {}))

    async def begin_update(
        self, container: OwnedContainer, new_tag: str, requested_by: str
    ) -> VersionUpdate:
        key = self.entities.key(container.id)

        def write(e: Entities) -> VersionUpdate:
            # The container's row first, locked: SELECT ... FOR UPDATE on PostgreSQL (a
            # concurrent begin_update, and a finish_update moving the tag, wait for this
            # transaction); on SQLite Pony opens the session with BEGIN IMMEDIATE (the
            # write lock, before anything is read). So the tag read, the check for a
            # running update and the insert are one compare-and-set.
            launch = e.ContainerLaunch.get_for_update(id=key)
            if launch is None:
                raise errors.Forbidden("This container no longer exists.")
            if orm.exists(
                u for u in e.VersionUpdateRow if u.container == launch and u.status == UPDATING
            ):
                raise errors.UpdateInProgress(_RUNNING)
            if launch.tag == new_tag:
                raise errors.Conflict(f"The agent already runs {launch.image}:{new_tag}.")
            row = e.VersionUpdateRow(
                id=e.key(str(uuid.uuid4())),
                container=launch,
                image=launch.image,
                old_tag=launch.tag,
                new_tag=new_tag,
                status=UPDATING,
                requested_by=requested_by,
                started_at=utcnow(),
            )
            orm.commit()
            return rows.version_update(row)

        try:
            return await self._session(write)
        except orm.TransactionIntegrityError:
            # The partial unique index (one updating record per container): the lock above
            # makes this unreachable for this code, but not for every writer of the table.
            raise errors.UpdateInProgress(_RUNNING) from None

    async def interrupt_stale_updates(
        self, container_id: str, *, older_than: timedelta
    ) -> Sequence[VersionUpdate]:
        key = self.entities.key(container_id)

        def write(e: Entities) -> list[VersionUpdate]:
            now = utcnow()
            cutoff = now - older_than
            # FOR UPDATE (SQLite: BEGIN IMMEDIATE): a concurrent call waits, then no longer
            # finds the record ``updating``.
            stale = orm.select(
                u
                for u in e.VersionUpdateRow
                if u.container.id == key and u.status == UPDATING and u.started_at < cutoff
            ).for_update()[:]
            for row in stale:
                row.status = INTERRUPTED
                row.finished_at = now
                row.error = stale_update_reason(older_than)
            return [rows.version_update(row) for row in stale]

        return await self._session(write)

    async def finish_update(
        self, update_id: str, *, succeeded: bool, error: str | None = None
    ) -> VersionUpdate:
        def write(e: Entities) -> VersionUpdate:
            row = e.VersionUpdateRow[e.key(update_id)]
            now = utcnow()
            row.status = COMPLETED if succeeded else FAILED
            row.finished_at = now
            row.error = error
            if succeeded:
                row.container.tag = row.new_tag
                row.container.updated_at = now
            return rows.version_update(row)

        return await self._session(write)
