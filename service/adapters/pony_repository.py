"""The container repository on Pony ORM (SQLite or PostgreSQL).

Pony is synchronous: every method is one short ``db_session`` run on a small
thread pool, returning plain domain dataclasses; nothing awaits inside a
session. The schema belongs to ``migrations/``: Pony maps the existing tables
(``create_tables=False``) and checks that they are there.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

from pony import orm

from service import errors
from service.adapters.database import DatabaseTarget
from service.domain import AccessParameters, CatalogueEntry, OwnedContainer, VersionUpdate
from service.repository import AbstractContainerRepository

T = TypeVar("T")


def utcnow() -> datetime:
    """Naive UTC, as the TIMESTAMP columns store it."""
    return datetime.now(UTC).replace(tzinfo=None)


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


class Entities:
    """The Pony entities of one ``orm.Database`` (one per repository, so tests stay apart)."""

    def __init__(self, db: orm.Database, provider: str) -> None:
        # UUID columns on PostgreSQL; canonical UUID text on SQLite (readable, and what
        # the 0001 schema already held).
        id_type: Any = uuid.UUID if provider == "postgresql" else str

        class Project(db.Entity):  # type: ignore[misc]
            _table_ = "project"
            id = orm.PrimaryKey(id_type)
            account_id = orm.Required(str)
            name = orm.Required(str)
            created_at = orm.Required(datetime)
            launches = orm.Set("ContainerLaunch")

        class ContainerLaunch(db.Entity):  # type: ignore[misc]
            _table_ = "container_launch"
            id = orm.PrimaryKey(id_type)
            account_id = orm.Required(str)
            project = orm.Required(Project, column="project_id")
            wap_container_id = orm.Required(str, unique=True)
            image = orm.Required(str)
            tag = orm.Required(str)
            status = orm.Required(str)
            created_at = orm.Required(datetime)
            updated_at = orm.Required(datetime)
            access_parameters = orm.Optional(orm.Json, nullable=True)
            agent_capabilities = orm.Optional(orm.StrArray)
            instructions_dir = orm.Optional(str, nullable=True)
            supports_hot_reload = orm.Required(bool, default=False, sql_default="FALSE")
            updates = orm.Set("VersionUpdateRow")

        class VersionCatalogue(db.Entity):  # type: ignore[misc]
            _table_ = "version_catalogue"
            image = orm.Required(str)
            tag = orm.Required(str)
            released_at = orm.Required(datetime)
            notes = orm.Optional(str, nullable=True)
            orm.PrimaryKey(image, tag)

        class VersionUpdateRow(db.Entity):  # type: ignore[misc]
            _table_ = "version_update"
            id = orm.PrimaryKey(id_type)
            container = orm.Required(ContainerLaunch, column="container_launch_id")
            image = orm.Required(str)
            old_tag = orm.Required(str)
            new_tag = orm.Required(str)
            status = orm.Required(str)
            requested_by = orm.Required(str)
            started_at = orm.Required(datetime)
            finished_at = orm.Optional(datetime, nullable=True)
            error = orm.Optional(str, nullable=True)

        # Pony's entities are dynamic; to mypy they are Any.
        self.Project: Any = Project
        self.ContainerLaunch: Any = ContainerLaunch
        self.VersionCatalogue: Any = VersionCatalogue
        self.VersionUpdateRow: Any = VersionUpdateRow
        self.id_type = id_type

    def key(self, value: str) -> Any:
        """A client-supplied id as the column's type; ``ValueError`` if it is no UUID."""
        parsed = uuid.UUID(value)
        return parsed if self.id_type is uuid.UUID else str(parsed)


def open_database(target: DatabaseTarget) -> tuple[orm.Database, Entities]:
    db = orm.Database()
    entities = Entities(db, target.provider)
    db.bind(**target.pony_bind_args())
    db.generate_mapping(create_tables=False, check_tables=True)
    return db, entities


def to_owned(row: Any) -> OwnedContainer:
    return OwnedContainer(
        id=str(row.id),
        account_id=row.account_id,
        project_id=str(row.project.id),
        wap_id=row.wap_container_id,
        image=row.image,
        tag=row.tag,
        status=row.status,
        capabilities=frozenset(row.agent_capabilities or ()),
        access=AccessParameters.from_json(row.access_parameters),
        instructions_dir=row.instructions_dir,
        supports_hot_reload=bool(row.supports_hot_reload),
    )


# Pony binds $key and $account_id from the mapping passed as its locals.
_OWNED_SQL = """SELECT id, account_id, project_id, wap_container_id, image, tag, status,
           access_parameters, agent_capabilities, instructions_dir, supports_hot_reload
    FROM container_launch WHERE id = $key AND account_id = $account_id
"""


def _json_column(value: Any) -> Any:
    """JSON and array columns: text on SQLite, decoded already on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def _owned_from_row(row: Any) -> OwnedContainer:
    (id_, account, project, wap_id, image, tag, status, access, caps, instructions, hot) = row
    return OwnedContainer(
        id=str(id_),
        account_id=account,
        project_id=str(project),
        wap_id=wap_id,
        image=image,
        tag=tag,
        status=status,
        capabilities=frozenset(_json_column(caps) or ()),
        access=AccessParameters.from_json(_json_column(access)),
        instructions_dir=instructions,
        supports_hot_reload=bool(hot),
    )


def _to_update(row: Any) -> VersionUpdate:
    started = _aware(row.started_at)
    assert started is not None
    return VersionUpdate(
        id=str(row.id),
        container_id=str(row.container.id),
        image=row.image,
        old_tag=row.old_tag,
        new_tag=row.new_tag,
        status=row.status,
        requested_by=row.requested_by,
        started_at=started,
        finished_at=_aware(row.finished_at),
        error=row.error,
    )


class PonyContainerRepository(AbstractContainerRepository):
    def __init__(self, target: DatabaseTarget, *, threads: int = 4) -> None:
        self._target = target
        self._threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._db: orm.Database | None = None
        self._e: Entities | None = None

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

    async def find_owned(self, account_id: str, container_id: str) -> OwnedContainer | None:
        # The hot path: one indexed query in plain SQL (a third of the entity query's CPU).
        e, db = self.entities, self._db
        assert db is not None
        try:
            key = e.key(container_id)
        except ValueError:
            return None

        def query() -> OwnedContainer | None:
            with orm.db_session:
                rows = db.select(_OWNED_SQL, {}, {"key": key, "account_id": account_id})
            return _owned_from_row(rows[0]) if rows else None

        return await self._run(query)

    async def list_owned(self, account_id: str) -> Sequence[OwnedContainer]:
        e = self.entities

        def query() -> list[OwnedContainer]:
            with orm.db_session:
                rows = orm.select(c for c in e.ContainerLaunch if c.account_id == account_id)
                return [to_owned(r) for r in rows.order_by(e.ContainerLaunch.created_at)]

        return await self._run(query)

    async def project_ids(self, account_id: str) -> Sequence[str]:
        e = self.entities

        def query() -> list[str]:
            with orm.db_session:
                found = orm.select(
                    c.project.id for c in e.ContainerLaunch if c.account_id == account_id
                ).distinct()
                return sorted(str(p) for p in found)

        return await self._run(query)

    async def list_by_wap_ids(self, wap_ids: Sequence[str]) -> Sequence[OwnedContainer]:
        e = self.entities
        wanted = list(dict.fromkeys(wap_ids))

        def query() -> list[OwnedContainer]:
            found: list[OwnedContainer] = []
            with orm.db_session:
                for start in range(0, len(wanted), 500):
                    chunk = wanted[start : start + 500]
                    rows = orm.select(
                        c for c in e.ContainerLaunch if c.wap_container_id in chunk
                    )
                    found.extend(to_owned(r) for r in rows)
            return found

        return await self._run(query)

    async def catalogue(self, image: str) -> Sequence[CatalogueEntry]:
        e = self.entities

        def query() -> list[CatalogueEntry]:
            with orm.db_session:
                rows = orm.select(v for v in e.VersionCatalogue if v.image == image)
                return [
                    CatalogueEntry(r.image, r.tag, r.released_at.replace(tzinfo=UTC), r.notes)
                    for r in rows.order_by(orm.desc(e.VersionCatalogue.released_at))
                ]

        return await self._run(query)

    async def history(self, container_id: str) -> Sequence[VersionUpdate]:
        e = self.entities
        key = e.key(container_id)

        def query() -> list[VersionUpdate]:
            with orm.db_session:
                rows = orm.select(u for u in e.VersionUpdateRow if u.container.id == key)
                return [
                    _to_update(r) for r in rows.order_by(orm.desc(e.VersionUpdateRow.started_at))
                ]

        return await self._run(query)

    async def begin_update(
        self, container: OwnedContainer, new_tag: str, requested_by: str
    ) -> VersionUpdate:
        e = self.entities

        def write() -> VersionUpdate:
            try:
                with orm.db_session:
                    row = e.VersionUpdateRow(
                        id=e.key(str(uuid.uuid4())),
                        container=e.ContainerLaunch[e.key(container.id)],
                        image=container.image,
                        old_tag=container.tag,
                        new_tag=new_tag,
                        status="updating",
                        requested_by=requested_by,
                        started_at=utcnow(),
                    )
                    orm.commit()
                    return _to_update(row)
            except orm.TransactionIntegrityError:
                # The partial unique index: another update of this container is running.
                raise errors.UpdateInProgress(
                    "Another version update of this container is still running."
                ) from None

        return await self._run(write)

    async def finish_update(
        self, update_id: str, *, succeeded: bool, error: str | None = None
    ) -> VersionUpdate:
        e = self.entities

        def write() -> VersionUpdate:
            with orm.db_session:
                row = e.VersionUpdateRow[e.key(update_id)]
                now = utcnow()
                row.status = "completed" if succeeded else "failed"
                row.finished_at = now
                row.error = error
                if succeeded:
                    row.container.tag = row.new_tag
                    row.container.updated_at = now
                return _to_update(row)

        return await self._run(write)
