"""The ownership cache over the Pony repository on SQLite and PostgreSQL: a change that
ANOTHER connection commits is seen by the next lookup after it; a dropped PostgreSQL
listener flushes the cache and comes back."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest

from service import demo, errors
from service.adapters.change_feeds import (
    APPLICATION_NAME,
    PostgresChangeFeed,
    SqliteChangeFeed,
    change_feed,
)
from service.adapters.database import DatabaseTarget
from service.adapters.migrations import migrate
from service.adapters.ownership_cache import CachedContainerRepository
from service.adapters.pony_repository import PonyContainerRepository
from service.adapters.seeding import seed
from service.domain import OwnedContainer
from service.sessions import Caller
from service.usecases.ownership import Ownership
from tests.operations import ALICE_BARE, ALICE_MAIN, BOB_MAIN

NEW = "0e000000-0000-4000-8000-0000000000a1"
REASSIGN = "UPDATE container_launch SET account_id = ? WHERE id = ?"
NOTIFIED_WITHIN = 0.1  # seconds: a PostgreSQL notification's trip, at most


class CountingRepository(PonyContainerRepository):
    """The real repository, counting its ownership lookups (each one a round trip)."""

    lookups = 0

    async def find_owned(self, account_id: str, container_id: str) -> OwnedContainer | None:
        self.lookups += 1
        return await super().find_owned(account_id, container_id)


def _migrated(target: DatabaseTarget) -> DatabaseTarget:
    migrate(target)
    seed(target, demo.PROJECTS, demo.CONTAINERS, demo.CATALOGUE)
    return target


@pytest.fixture
async def cached(any_target: DatabaseTarget) -> AsyncIterator[CachedContainerRepository]:
    cache = CachedContainerRepository(
        CountingRepository(_migrated(any_target), threads=2),
        change_feed(any_target),
        max_age=30.0,
    )
    await cache.start()
    yield cache
    await cache.stop()


def inner(cache: CachedContainerRepository) -> CountingRepository:
    assert isinstance(cache.inner, CountingRepository)
    return cache.inner


def commit_elsewhere(target: DatabaseTarget, statement: str, *params: Any) -> None:
    """Run one statement on a connection of its own (autocommit), as another system would.
    ``?`` marks parameters on both databases."""
    if target.provider == "postgresql":
        statement = statement.replace("?", "%s")
    conn = target.connect()
    try:
        conn.cursor().execute(statement, params)
    finally:
        conn.close()


def capabilities(target: DatabaseTarget, *names: str) -> Any:
    return list(names) if target.provider == "postgresql" else json.dumps(list(names))


async def primed(cache: CachedContainerRepository, account: str, container_id: str) -> Any:
    """Look up twice, the second time from memory (so a stale answer would show). On
    SQLite a commit just made (our own write's) flushes the cache at the next data_version
    check, which may fall between the two: then once more."""
    for _ in range(3):
        first = await cache.find_owned(account, container_id)
        hits = cache.hits
        assert await cache.find_owned(account, container_id) == first
        if cache.hits == hits + 1:
            return first
        await asyncio.sleep(0.02)  # past the check interval: the flush has happened
    raise AssertionError("the answer was never served from memory")


async def next_answer(
    cache: CachedContainerRepository,
    account: str,
    container_id: str,
    expected: Callable[[OwnedContainer | None], bool],
) -> OwnedContainer | None:
    """The answer after a change committed elsewhere. SQLite: the first lookup once the
    feed's check interval has passed. PostgreSQL: the lookups of the next 100 ms (the
    notification is on its way), stopping at the first that shows the change."""
    if isinstance(cache.feed, SqliteChangeFeed):
        await asyncio.sleep(cache.feed.interval + 0.001)
        return await cache.find_owned(account, container_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + NOTIFIED_WITHIN
    while True:
        found = await cache.find_owned(account, container_id)
        if expected(found) or loop.time() >= deadline:
            return found
        await asyncio.sleep(0.001)


def is_none(found: OwnedContainer | None) -> bool:
    return found is None


def owned_by(account: str) -> Callable[[OwnedContainer | None], bool]:
    return lambda found: found is not None and found.account_id == account


async def test_steady_state_lookups_make_no_database_round_trip(
    cached: CachedContainerRepository,
) -> None:
    asked = [("alice", ALICE_MAIN), ("alice", BOB_MAIN), ("bob", BOB_MAIN), ("alice", NEW)]
    for _ in range(200):
        for account, container_id in asked:
            await cached.find_owned(account, container_id)
    assert inner(cached).lookups == len(asked)
    assert cached.hits == 199 * len(asked)


async def test_an_owner_changed_elsewhere_is_seen_by_the_next_lookup(
    cached: CachedContainerRepository, any_target: DatabaseTarget
) -> None:
    assert owned_by("alice")(await primed(cached, "alice", ALICE_MAIN))
    assert await primed(cached, "bob", ALICE_MAIN) is None

    commit_elsewhere(any_target, REASSIGN, "bob", ALICE_MAIN)

    assert await next_answer(cached, "alice", ALICE_MAIN, is_none) is None
    assert owned_by("bob")(await next_answer(cached, "bob", ALICE_MAIN, owned_by("bob")))


async def test_a_container_revoked_elsewhere_is_refused_to_its_former_owner(
    cached: CachedContainerRepository, any_target: DatabaseTarget
) -> None:
    alice = Caller("alice", "session-alice", 4_102_444_800.0)
    ownership = Ownership(cached)
    await primed(cached, "alice", ALICE_BARE)
    assert (await ownership.container(alice, ALICE_BARE)).id == ALICE_BARE

    commit_elsewhere(any_target, REASSIGN, "mallory", ALICE_BARE)

    assert await next_answer(cached, "alice", ALICE_BARE, is_none) is None
    with pytest.raises(errors.Forbidden):
        await ownership.container(alice, ALICE_BARE)


async def test_a_container_deleted_elsewhere_answers_none_at_once(
    cached: CachedContainerRepository, any_target: DatabaseTarget
) -> None:
    assert await primed(cached, "alice", ALICE_BARE) is not None

    commit_elsewhere(any_target, "DELETE FROM container_launch WHERE id = ?", ALICE_BARE)

    assert await next_answer(cached, "alice", ALICE_BARE, is_none) is None


async def test_capabilities_changed_elsewhere_are_seen_by_the_next_lookup(
    cached: CachedContainerRepository, any_target: DatabaseTarget
) -> None:
    before = await primed(cached, "alice", ALICE_MAIN)
    assert "file.write" in before.capabilities

    commit_elsewhere(
        any_target,
        "UPDATE container_launch SET agent_capabilities = ? WHERE id = ?",
        capabilities(any_target, "file.read"),
        ALICE_MAIN,
    )

    def read_only(found: OwnedContainer | None) -> bool:
        return found is not None and found.capabilities == {"file.read"}

    assert read_only(await next_answer(cached, "alice", ALICE_MAIN, read_only))


async def test_a_container_inserted_after_a_cached_none_is_found(
    cached: CachedContainerRepository, any_target: DatabaseTarget
) -> None:
    assert await primed(cached, "alice", NEW) is None

    now = datetime(2026, 1, 1, 12, 0, 0)
    commit_elsewhere(
        any_target,
        "INSERT INTO container_launch (id, account_id, project_id, wap_container_id, image,"
        " tag, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        NEW,
        "alice",
        demo.PROJECTS[0]["id"],
        "wap-alice-new",
        "armory/agent-runtime",
        "1.5.0",
        "running",
        now,
        now,
    )

    found = await next_answer(cached, "alice", NEW, owned_by("alice"))
    assert found is not None and (found.id, found.wap_id) == (NEW, "wap-alice-new")


async def test_an_id_changed_elsewhere_evicts_the_old_id_and_the_new_one(
    cached: CachedContainerRepository, any_target: DatabaseTarget
) -> None:
    assert await primed(cached, "alice", ALICE_BARE) is not None
    assert await primed(cached, "alice", NEW) is None

    commit_elsewhere(any_target, "UPDATE container_launch SET id = ? WHERE id = ?", NEW, ALICE_BARE)

    assert await next_answer(cached, "alice", ALICE_BARE, is_none) is None
    found = await next_answer(cached, "alice", NEW, owned_by("alice"))
    assert found is not None and found.wap_id == "wap-alice-sandbox"


async def test_a_version_update_through_the_cache_is_seen_without_waiting(
    cached: CachedContainerRepository,
) -> None:
    container = await primed(cached, "alice", ALICE_MAIN)
    update = await cached.begin_update(container, "1.5.0", "alice")
    await primed(cached, "alice", ALICE_MAIN)

    await cached.finish_update(update.id, succeeded=True)

    found = await cached.find_owned("alice", ALICE_MAIN)
    assert found is not None and found.tag == "1.5.0"


# -- SQLite: what the check interval means --------------------------------------------------


async def test_on_sqlite_a_commit_elsewhere_is_seen_once_the_check_interval_has_passed(
    sqlite_target: DatabaseTarget,
) -> None:
    now = [0.0]
    assert sqlite_target.sqlite_path is not None
    feed = SqliteChangeFeed(sqlite_target.sqlite_path, interval=0.005, monotonic=lambda: now[0])
    cache = CachedContainerRepository(
        PonyContainerRepository(_migrated(sqlite_target), threads=2), feed, max_age=30.0
    )
    await cache.start()
    try:
        await primed(cache, "alice", ALICE_MAIN)
        commit_elsewhere(sqlite_target, "DELETE FROM container_launch WHERE id = ?", ALICE_MAIN)
        checks = feed.checks

        now[0] += 0.004
        assert await cache.find_owned("alice", ALICE_MAIN) is not None  # within the interval
        assert feed.checks == checks

        now[0] += 0.001
        assert await cache.find_owned("alice", ALICE_MAIN) is None
        assert feed.checks == checks + 1
    finally:
        await cache.stop()


async def test_on_sqlite_with_no_interval_the_very_next_lookup_sees_a_commit_elsewhere(
    sqlite_target: DatabaseTarget,
) -> None:
    assert sqlite_target.sqlite_path is not None
    feed = SqliteChangeFeed(sqlite_target.sqlite_path, interval=0)
    cache = CachedContainerRepository(
        PonyContainerRepository(_migrated(sqlite_target), threads=2), feed, max_age=30.0
    )
    await cache.start()
    try:
        for change in (
            (REASSIGN, "bob", ALICE_MAIN),
            (REASSIGN, "alice", ALICE_MAIN),
        ):
            before = await primed(cache, "alice", ALICE_MAIN)
            commit_elsewhere(sqlite_target, *change)
            assert (await cache.find_owned("alice", ALICE_MAIN) is None) == (before is not None)
    finally:
        await cache.stop()


async def test_on_sqlite_a_writer_holding_its_lock_does_not_stop_the_check(
    sqlite_target: DatabaseTarget,
) -> None:
    """The database is in write-ahead-log mode (set by ``DatabaseTarget.connect``, so by
    the migrations): another connection's exclusive transaction leaves the check working,
    where in rollback mode it failed ("database is locked"), bypassing the cache."""
    assert sqlite_target.sqlite_path is not None
    feed = SqliteChangeFeed(sqlite_target.sqlite_path, interval=0)
    cache = CachedContainerRepository(
        PonyContainerRepository(_migrated(sqlite_target), threads=2), feed, max_age=30.0
    )
    await cache.start()
    writer = sqlite3.connect(sqlite_target.sqlite_path, isolation_level=None)
    try:
        await primed(cache, "alice", ALICE_MAIN)
        writer.execute("BEGIN EXCLUSIVE")
        assert feed.current()
        assert await cache.find_owned("alice", ALICE_MAIN) is not None
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        await cache.stop()


# -- PostgreSQL: the listener --------------------------------------------------------------


def listener_pids(target: DatabaseTarget) -> list[int]:
    conn = target.connect()
    try:
        cur = conn.cursor()
        cur.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            (APPLICATION_NAME,),
        )
        return [row[0] for row in cur.fetchall()]
    finally:
        conn.close()


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "the listener did not get there"
        await asyncio.sleep(0.005)


async def test_terminating_the_listener_flushes_the_cache_and_it_listens_again(
    postgres_target: DatabaseTarget,
) -> None:
    # A backoff long enough to look at the cache while nothing listens.
    feed = PostgresChangeFeed(postgres_target, backoff=(0.3, 0.3))
    repository = CountingRepository(_migrated(postgres_target), threads=2)
    cache = CachedContainerRepository(repository, feed, max_age=30.0)
    await cache.start()
    try:
        assert feed.listening and feed.connections == 1
        [pid] = listener_pids(postgres_target)
        assert owned_by("alice")(await primed(cache, "alice", ALICE_MAIN))
        assert await primed(cache, "bob", ALICE_MAIN) is None
        assert len(cache) == 2

        commit_elsewhere(postgres_target, "SELECT pg_terminate_backend(?)", pid)
        # Committed before the loss is noticed: no listener will ever be told of it.
        commit_elsewhere(postgres_target, REASSIGN, "bob", ALICE_MAIN)
        await until(lambda: not feed.listening)

        assert len(cache) == 0
        lookups, hits = repository.lookups, cache.hits
        for _ in range(2):
            assert await cache.find_owned("alice", ALICE_MAIN) is None
        assert (repository.lookups, cache.hits, len(cache)) == (lookups + 2, hits, 0)

        await until(lambda: feed.listening and feed.connections == 2)
        assert pid not in listener_pids(postgres_target)
        assert owned_by("bob")(await primed(cache, "bob", ALICE_MAIN))
        commit_elsewhere(postgres_target, REASSIGN, "alice", ALICE_MAIN)
        assert await next_answer(cache, "bob", ALICE_MAIN, is_none) is None
    finally:
        await cache.stop()
    assert not feed.listening


async def test_while_the_listener_is_down_every_lookup_reads_the_database(
    postgres_target: DatabaseTarget,
) -> None:
    # Nothing listens on this port: every connection attempt is refused.
    down = DatabaseTarget.from_url("postgresql://postgres@127.0.0.1:1/nowhere")
    feed = PostgresChangeFeed(down, backoff=(0.05, 0.05))
    repository = CountingRepository(_migrated(postgres_target), threads=2)
    cache = CachedContainerRepository(repository, feed, max_age=30.0)
    await cache.start()
    try:
        assert not feed.listening
        for _ in range(3):
            assert owned_by("alice")(await cache.find_owned("alice", ALICE_MAIN))
        assert (repository.lookups, cache.hits, len(cache)) == (3, 0, 0)
    finally:
        await cache.stop()


async def test_a_truncate_elsewhere_flushes_every_answer(
    postgres_target: DatabaseTarget,
) -> None:
    cache = CachedContainerRepository(
        PonyContainerRepository(_migrated(postgres_target), threads=2),
        change_feed(postgres_target),
        max_age=30.0,
    )
    await cache.start()
    try:
        assert await primed(cache, "alice", ALICE_MAIN) is not None
        assert await primed(cache, "bob", BOB_MAIN) is not None

        commit_elsewhere(postgres_target, "TRUNCATE version_update, container_launch")

        assert await next_answer(cache, "alice", ALICE_MAIN, is_none) is None
        assert await cache.find_owned("bob", BOB_MAIN) is None
    finally:
        await cache.stop()
