"""The audit log on Pony ORM (SQLite or PostgreSQL): the ``audit_entry`` table of
migration 0005.

Run as the container repository runs (``pony_repository``): each method is one short
``db_session`` on a small thread pool of its own, never awaiting inside it, through its
own ``database.OutageGate`` (an unreachable database answers ``errors.DatabaseUnavailable``;
a session that failed that way drops its thread's connection, so the next one reconnects).
Its own Pony database too: the trail is written after the call's own work, and neither
waits for the other's threads.

Entries have no foreign key to ``container_launch``: a trail outlives the launch row,
and never stops another system from deleting one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

from pony import orm

from service import metrics
from service.adapters.database import DatabaseTarget, OutageGate, in_session
from service.audit import AbstractAuditLog, AuditEntry, AuditPosition, AuditTarget

T = TypeVar("T")


class _Trail:
    """The ``audit_entry`` entity of one ``orm.Database``."""

    def __init__(self, target: DatabaseTarget) -> None:
        db: orm.Database = orm.Database()
        # UUID columns on PostgreSQL, canonical UUID text on SQLite (as pony_entities).
        id_type: Any = uuid.UUID if target.provider == "postgresql" else str

        class AuditRow(db.Entity):  # type: ignore[misc]
            _table_ = "audit_entry"
            id = orm.PrimaryKey(id_type)
            at = orm.Required(datetime, precision=6, column="recorded_at")
            account_id = orm.Required(str)
            container_id = orm.Required(id_type)
            action = orm.Required(str)
            target = orm.Required(orm.Json)
            outcome = orm.Required(str)
            code = orm.Optional(str, nullable=True)
            request_id = orm.Optional(str, nullable=True)

        db.bind(**target.pony_bind_args())
        db.generate_mapping(create_tables=False, check_tables=True)
        self.db = db
        self.Row: Any = AuditRow  # Pony's entities are dynamic; to mypy they are Any
        self.id_type = id_type

    def key(self, value: str) -> Any:
        parsed = uuid.UUID(value)
        return parsed if self.id_type is uuid.UUID else str(parsed)


def _naive(moment: datetime) -> datetime:
    """Naive UTC, as the TIMESTAMP columns store it."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=str(row.id),
        at=row.at.replace(tzinfo=UTC),
        account_id=row.account_id,
        container_id=str(row.container_id),
        action=row.action,
        target=AuditTarget.from_json(row.target),
        outcome=row.outcome,
        code=row.code,
        request_id=row.request_id,
    )


class PonyAuditLog(AbstractAuditLog):
    def __init__(self, target: DatabaseTarget, *, threads: int = 2) -> None:
        self._target = target
        self._threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._trail: _Trail | None = None
        self._gate = OutageGate()

    async def start(self) -> None:
        self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="pony-audit")
        self._trail = await self._run(lambda: _Trail(self._target))

    async def stop(self) -> None:
        if self._trail is not None:
            await self._run(self._trail.db.disconnect)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    async def _session(self, work: Callable[[_Trail], T]) -> T:
        trail = self._trail
        assert trail is not None, "audit log not started"
        queries = metrics.db_queries(work)

        def run() -> T:
            queries.inc()
            return in_session(trail.db, lambda: work(trail))

        return await self._gate.run(lambda: self._run(run))

    async def record(self, entry: AuditEntry) -> None:
        def write(t: _Trail) -> None:
            t.Row(
                id=t.key(entry.id),
                at=_naive(entry.at),
                account_id=entry.account_id,
                container_id=t.key(entry.container_id),
                action=entry.action,
                target=entry.target.as_json(),
                outcome=entry.outcome,
                code=entry.code,
                request_id=entry.request_id,
            )

        await self._session(write)

    async def list(
        self,
        container_id: str,
        *,
        action: str | None = None,
        before: AuditPosition | None = None,
        limit: int,
    ) -> Sequence[AuditEntry]:
        def query(t: _Trail) -> Sequence[AuditEntry]:
            key = t.key(container_id)
            found = orm.select(r for r in t.Row if r.container_id == key)
            if action is not None:
                found = found.filter(lambda r: r.action == action)
            if before is not None:
                at, pivot = _naive(before.at), t.key(before.id)
                found = found.filter(lambda r: r.at < at or (r.at == at and r.id < pivot))
            ordered = found.order_by(orm.desc(t.Row.at), orm.desc(t.Row.id))
            return [_entry(row) for row in ordered[:limit]]

        return await self._session(query)
