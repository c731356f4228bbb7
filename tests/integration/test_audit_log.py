"""The Pony audit log on SQLite and PostgreSQL: entries kept field for field, a trail read
newest first, in pages that join up through the cursor, filtered by action; and a stopped
PostgreSQL answers ``database_unavailable`` until it is back."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from service import errors
from service.adapters.audit_log import PonyAuditLog
from service.adapters.database import DatabaseTarget
from service.adapters.migrations import migrate
from service.audit import AuditEntry, AuditTarget, EnvNames
from service.usecases.audit import ListAudit, WitnessedOwnership
from tests.fakes.repository import FakeContainerRepository
from tests.fixtures import private_postgres
from tests.operations import ALICE_MAIN, BOB_MAIN
from tests.unit.conftest import ALICE

MOMENT = datetime(2026, 11, 29, 10, 15, 0, 123456, tzinfo=UTC)


@pytest.fixture
async def log(any_target: DatabaseTarget) -> AsyncIterator[PonyAuditLog]:
    migrate(any_target)
    audit_log = PonyAuditLog(any_target, threads=2)
    await audit_log.start()
    yield audit_log
    await audit_log.stop()


def _entry(
    n: int, *, container_id: str = ALICE_MAIN, action: str = "restart", **fields: object
) -> AuditEntry:
    values: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "at": MOMENT + timedelta(seconds=n // 2),  # two entries per instant
        "account_id": "alice",
        "container_id": container_id,
        "action": action,
        "target": AuditTarget(),
        "outcome": "succeeded",
        "code": None,
        "request_id": None,
        **fields,
    }
    return AuditEntry(**values)  # type: ignore[arg-type]


def _newest_first(entries: list[AuditEntry]) -> list[AuditEntry]:
    return sorted(entries, key=lambda e: e.position, reverse=True)


async def test_an_entry_is_kept_field_for_field(log: PonyAuditLog) -> None:
    kept = [
        _entry(
            0,
            action="patch-env",
            target=AuditTarget(names=EnvNames(set=("LOG_LEVEL", "ÜNÏ_KEY"), unset=("OLD",))),
            outcome="failed",
            code="wap_timeout",
            request_id="req-ünïcode-1",
        ),
        _entry(1, action="write-file", target=AuditTarget(path="/app/data/ünï code\ufffd.md")),
        _entry(2, action="update-version", target=AuditTarget(tag="1.5.0-rc.1")),
    ]
    for entry in kept:
        await log.record(entry)

    assert await log.list(ALICE_MAIN, limit=10) == _newest_first(kept)


async def test_a_trail_is_the_container_s_own_newest_first(log: PonyAuditLog) -> None:
    mine = [_entry(n) for n in range(5)]
    for n, entry in enumerate(mine):
        await log.record(entry)
        await log.record(_entry(n, container_id=BOB_MAIN, account_id="bob"))

    found = await log.list(ALICE_MAIN, limit=10)
    assert found == _newest_first(mine)
    assert [e.at for e in found] == sorted((e.at for e in mine), reverse=True)
    assert await log.list(ALICE_MAIN, limit=2) == _newest_first(mine)[:2]
    assert await log.list(str(uuid.uuid4()), limit=10) == []


async def test_entries_before_a_position_are_the_older_ones(log: PonyAuditLog) -> None:
    entries = [_entry(n) for n in range(6)]
    for entry in entries:
        await log.record(entry)
    ordered = _newest_first(entries)

    for index, pivot in enumerate(ordered):
        assert await log.list(ALICE_MAIN, before=pivot.position, limit=10) == ordered[index + 1 :]


async def test_pages_through_the_cursor_join_up_without_gap_or_repeat(log: PonyAuditLog) -> None:
    entries = [_entry(n) for n in range(7)]
    for entry in entries:
        await log.record(entry)
    repository = FakeContainerRepository()
    repository.add_container(ALICE_MAIN, account_id="alice")
    listing = ListAudit(WitnessedOwnership(repository), log)

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = await listing(ALICE, ALICE_MAIN, cursor=cursor, limit=3)
        seen.extend(e.id for e in page.entries)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [e.id for e in _newest_first(entries)]


async def test_a_trail_filters_by_action(log: PonyAuditLog) -> None:
    actions = ["restart", "patch-env", "write-file", "patch-env", "stop"]
    entries = [_entry(n, action=action) for n, action in enumerate(actions)]
    for entry in entries:
        await log.record(entry)

    patched = await log.list(ALICE_MAIN, action="patch-env", limit=10)
    assert patched == _newest_first([e for e in entries if e.action == "patch-env"])
    newest = patched[0]
    assert await log.list(ALICE_MAIN, action="patch-env", before=newest.position, limit=10) == [
        patched[1]
    ]
    assert await log.list(ALICE_MAIN, action="delete-file", limit=10) == []


async def test_a_stopped_database_answers_database_unavailable_and_is_used_again_after() -> None:
    reason = private_postgres.available()
    if reason is not None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"cannot run a private PostgreSQL: {reason} (REQUIRE_SERVICES=1)")
        pytest.skip(f"cannot run a private PostgreSQL: {reason}")
    with private_postgres.private_postgres() as cluster:
        migrate(cluster.target)
        log = PonyAuditLog(cluster.target, threads=1)
        await log.start()
        try:
            await log.record(_entry(0))
            cluster.stop()
            with pytest.raises(errors.DatabaseUnavailable):
                await log.record(_entry(1))
            with pytest.raises(errors.DatabaseUnavailable):
                await log.list(ALICE_MAIN, limit=10)
            cluster.start()
            await log.record(_entry(2))
            assert len(await log.list(ALICE_MAIN, limit=10)) == 2
        finally:
            await log.stop()
