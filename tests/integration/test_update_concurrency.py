"""One version update at a time, through the Pony repository on SQLite and PostgreSQL.

``begin_update`` is a compare-and-set on the container's row: of concurrent begins one
wins, a begin from a stale answer records the tag the container really runs (or is
refused when it already runs the new one), and it reads that tag only once it holds
the row (PostgreSQL ``FOR UPDATE``, SQLite ``BEGIN IMMEDIATE``). A record left
``updating`` by a process that stopped is marked ``interrupted`` and no longer blocks.
Migration 0004 lets the status check hold ``interrupted``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from service import demo, errors
from service.adapters.database import DatabaseTarget
from service.adapters.migrations import migrate
from service.adapters.pony_repository import PonyContainerRepository, utcnow
from service.adapters.seeding import seed
from service.domain import UPDATE_STATUSES, OwnedContainer, VersionUpdate
from tests.operations import ALICE_MAIN, BOB_MAIN

ROOT = Path(__file__).resolve().parents[2]
STALE = timedelta(seconds=900)


@pytest.fixture
async def repo(any_target: DatabaseTarget) -> AsyncIterator[PonyContainerRepository]:
    migrate(any_target)
    seed(any_target, demo.PROJECTS, demo.CONTAINERS, demo.CATALOGUE)
    # As many threads as the concurrent calls below could use: nothing serialises them
    # but the database.
    repository = PonyContainerRepository(any_target, threads=8)
    await repository.start()
    yield repository
    await repository.stop()


async def _mine(repo: PonyContainerRepository) -> OwnedContainer:
    found = await repo.find_owned("alice", ALICE_MAIN)
    assert found is not None and found.tag == "1.4.0"
    return found


def _p(target: DatabaseTarget) -> str:
    return "?" if target.provider == "sqlite" else "%s"


def _execute(target: DatabaseTarget, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = target.connect()
    try:
        cur = conn.cursor()
        cur.execute(sql.replace("$", _p(target)), params)
        return list(cur.fetchall()) if cur.description else []
    finally:
        conn.close()


def _left_updating(target: DatabaseTarget, container_id: str, *, age: timedelta) -> str:
    """An update a process began ``age`` ago and never finished (it stopped)."""
    update_id = str(uuid.uuid4())
    _execute(
        target,
        "INSERT INTO version_update (id, container_launch_id, image, old_tag, new_tag, status,"
        " requested_by, started_at) VALUES ($, $, $, $, $, 'updating', $, $)",
        update_id,
        container_id,
        "armory/agent-runtime",
        "1.4.0",
        "1.3.2",
        "alice",
        utcnow() - age,
    )
    return update_id


# --- concurrent begins ------------------------------------------------------------------


async def test_fifty_concurrent_begins_give_one_winner_and_49_refusals(
    repo: PonyContainerRepository,
) -> None:
    container = await _mine(repo)
    outcomes = await asyncio.gather(
        *(repo.begin_update(container, "1.5.0", f"user-{n}") for n in range(50)),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, VersionUpdate)]
    refused = [o for o in outcomes if isinstance(o, errors.UpdateInProgress)]
    assert (len(won), len(refused)) == (1, 49), outcomes
    assert [(u.id, u.status, u.old_tag) for u in await repo.history(ALICE_MAIN)] == [
        (won[0].id, "updating", "1.4.0")
    ]


async def test_fifty_staggered_updates_from_one_stale_answer_give_one_winner(
    repo: PonyContainerRepository,
) -> None:
    # Every attempt starts from the answer read before any of them: some begin while the
    # winner runs, the rest after it has finished and moved the tag.
    container = await _mine(repo)

    async def attempt(n: int) -> VersionUpdate | BaseException:
        await asyncio.sleep(n * 0.002)
        try:
            update = await repo.begin_update(container, "1.5.0", f"user-{n}")
        except errors.Conflict as exc:  # UpdateInProgress is one
            return exc
        return await repo.finish_update(update.id, succeeded=True)

    outcomes = await asyncio.gather(*(attempt(n) for n in range(50)))

    won = [o for o in outcomes if isinstance(o, VersionUpdate)]
    refused = [o for o in outcomes if isinstance(o, errors.Conflict)]
    assert (len(won), len(refused)) == (1, 49), outcomes
    assert {r.instance_code for r in refused} <= {"update_in_progress", "conflict"}
    history = await repo.history(ALICE_MAIN)
    assert [(u.status, u.old_tag, u.new_tag) for u in history] == [("completed", "1.4.0", "1.5.0")]


async def test_a_begin_from_a_stale_answer_compares_the_tag_the_container_runs(
    repo: PonyContainerRepository,
) -> None:
    stale = await _mine(repo)  # tag 1.4.0, kept after the tag moves
    first = await repo.begin_update(stale, "1.5.0", "alice")
    await repo.finish_update(first.id, succeeded=True)

    with pytest.raises(errors.Conflict) as caught:
        await repo.begin_update(stale, "1.5.0", "alice")
    assert type(caught.value) is errors.Conflict and "1.5.0" in caught.value.detail

    back = await repo.begin_update(stale, "1.4.0", "alice")
    assert (back.old_tag, back.new_tag, back.image) == ("1.5.0", "1.4.0", "armory/agent-runtime")


async def test_a_begin_reads_the_tag_only_once_it_holds_the_container_row(
    any_target: DatabaseTarget, repo: PonyContainerRepository
) -> None:
    stale = await _mine(repo)
    # Another writer moves the tag and has not committed yet.
    if any_target.provider == "sqlite":
        assert any_target.sqlite_path is not None
        other: Any = sqlite3.connect(any_target.sqlite_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    else:
        other = any_target.connect_postgres()
    try:
        other.cursor().execute(
            "UPDATE container_launch SET tag = '1.5.0' WHERE id = " + _p(any_target),
            (ALICE_MAIN,),
        )
        begun = asyncio.ensure_future(repo.begin_update(stale, "1.5.0", "alice"))
        await asyncio.sleep(0.3)
        assert not begun.done(), "begin_update went ahead while the row was held"
        other.commit()
        with pytest.raises(errors.Conflict):  # it read 1.5.0: the tag after the commit
            await begun
    finally:
        other.close()
    assert await repo.history(ALICE_MAIN) == []


# --- records left updating --------------------------------------------------------------


async def test_a_stale_updating_record_is_interrupted_and_a_new_update_succeeds(
    any_target: DatabaseTarget, repo: PonyContainerRepository
) -> None:
    container = await _mine(repo)
    left = _left_updating(any_target, ALICE_MAIN, age=STALE + timedelta(seconds=5))
    with pytest.raises(errors.UpdateInProgress):  # begin alone does not resolve it
        await repo.begin_update(container, "1.5.0", "alice")

    (interrupted,) = await repo.interrupt_stale_updates(ALICE_MAIN, older_than=STALE)
    assert (interrupted.id, interrupted.status) == (left, "interrupted")
    assert interrupted.finished_at is not None and interrupted.error is not None
    assert await repo.interrupt_stale_updates(ALICE_MAIN, older_than=STALE) == []

    update = await repo.begin_update(container, "1.5.0", "alice")
    done = await repo.finish_update(update.id, succeeded=True)
    assert done.status == "completed"
    assert [(u.id, u.status) for u in await repo.history(ALICE_MAIN)] == [
        (done.id, "completed"),
        (left, "interrupted"),
    ]


async def test_a_recent_updating_record_and_other_containers_are_left_alone(
    any_target: DatabaseTarget, repo: PonyContainerRepository
) -> None:
    recent = _left_updating(any_target, ALICE_MAIN, age=STALE - timedelta(seconds=60))
    theirs = _left_updating(any_target, BOB_MAIN, age=STALE * 2)
    assert await repo.interrupt_stale_updates(ALICE_MAIN, older_than=STALE) == []
    assert [(u.id, u.status) for u in await repo.history(ALICE_MAIN)] == [(recent, "updating")]
    assert [(u.id, u.status) for u in await repo.history(BOB_MAIN)] == [(theirs, "updating")]


async def test_concurrent_calls_interrupt_a_stale_record_once(
    any_target: DatabaseTarget, repo: PonyContainerRepository
) -> None:
    left = _left_updating(any_target, ALICE_MAIN, age=STALE * 2)
    marked = await asyncio.gather(
        *(repo.interrupt_stale_updates(ALICE_MAIN, older_than=STALE) for _ in range(20))
    )
    assert [u.id for found in marked for u in found] == [left]


# --- the schema and the contracts -------------------------------------------------------


async def test_migration_0004_keeps_the_history_and_one_update_at_a_time(
    any_target: DatabaseTarget,
) -> None:
    migrate(any_target, to=3)
    seed(any_target, demo.PROJECTS, demo.CONTAINERS, demo.CATALOGUE)
    kept = _left_updating(any_target, ALICE_MAIN, age=STALE * 2)
    mark = "UPDATE version_update SET status = $"
    with pytest.raises(Exception):  # noqa: B017 - sqlite3 and psycopg2 raise differently
        _execute(any_target, mark, "interrupted")

    assert [m.version for m in migrate(any_target, to=4)] == [4]

    assert _execute(any_target, "SELECT id, status FROM version_update") == [
        (kept if any_target.provider == "sqlite" else uuid.UUID(kept), "updating")
    ]
    with pytest.raises(Exception):  # noqa: B017 - the partial unique index is still there
        _left_updating(any_target, ALICE_MAIN, age=timedelta(0))
    with pytest.raises(Exception):  # noqa: B017 - and the check still refuses the unknown
        _execute(any_target, mark, "paused")
    _execute(any_target, mark, "interrupted")


def _status_enum(document: str, *path: str) -> list[str]:
    node: Any = yaml.safe_load((ROOT / document).read_text(encoding="utf-8"))
    for key in path:
        node = node[key]
    return list(node["properties"]["status"]["enum"])


def test_the_contracts_list_every_update_status() -> None:
    statuses = list(UPDATE_STATUSES)
    assert "interrupted" in statuses
    assert _status_enum("openapi.yaml", "components", "schemas", "VersionUpdate") == statuses
    assert _status_enum("openapi.yaml", "components", "schemas", "VersionUpdateEvent") == statuses
    assert (
        _status_enum("contracts/events.yaml", "components", "schemas", "AgentVersionUpdate")
        == statuses
    )
