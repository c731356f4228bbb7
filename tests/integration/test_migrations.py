"""Migrations: ordered, transactional, idempotent, and AC-005 (no data loss) on both databases."""

from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from service.adapters.database import DatabaseTarget
from service.adapters.migrations import MigrationError, available, migrate, schema_version
from service.adapters.pony_repository import open_database

OLD_COLUMNS = (
    "id",
    "account_id",
    "project_id",
    "wap_container_id",
    "image",
    "tag",
    "status",
    "created_at",
    "updated_at",
)
NEW_COLUMNS = ("access_parameters", "agent_capabilities", "instructions_dir", "supports_hot_reload")


def _p(target: DatabaseTarget) -> str:
    return "?" if target.provider == "sqlite" else "%s"


def _head(target: DatabaseTarget) -> int:
    """The latest schema version (what a full migration reaches)."""
    return available(target.provider)[-1].version


def _fill_0001(target: DatabaseTarget, rows: int = 1200) -> list[tuple[Any, ...]]:
    """A database at 0001 with varied rows, as production held it before the feature."""
    rng = random.Random(5)
    conn = target.connect()
    cur = conn.cursor()
    projects = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(7)]
    p = _p(target)
    base = datetime(2025, 1, 1, 12, 0, 0)
    for i, pid in enumerate(projects):
        cur.execute(
            f"INSERT INTO project (id, account_id, name, created_at) VALUES ({p},{p},{p},{p})",
            (pid, f"acct-{i % 3}", f"Project ‘{i}’ — ünïcode", base),
        )
    written = []
    for i in range(rows):
        row = (
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            f"acct-{rng.randrange(50)}",
            rng.choice(projects),
            f"wap-{i:05d}-{rng.getrandbits(24):06x}",
            rng.choice(["armory/agent-runtime", "armory/browser-agent", "x/y:z"]),
            rng.choice(["1.0.0", "latest", "2026.11.29-rc.1", "a" * 120]),
            rng.choice(["running", "stopped", "restarting", ""]),
            base + timedelta(seconds=i * 37, microseconds=i),
            base + timedelta(days=i % 9, seconds=i),
        )
        cur.execute(
            f"INSERT INTO container_launch ({', '.join(OLD_COLUMNS)}) "
            f"VALUES ({', '.join([p] * len(OLD_COLUMNS))})",
            row,
        )
        written.append(row)
    conn.close()
    return written


def _read(target: DatabaseTarget, columns: tuple[str, ...]) -> dict[str, tuple[Any, ...]]:
    conn = target.connect()
    cur = conn.cursor()
    cur.execute(f"SELECT {', '.join(columns)} FROM container_launch")
    rows = {str(r[0]): tuple(r) for r in cur.fetchall()}
    conn.close()
    return rows


def _normal(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in " T":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def test_migrations_are_numbered_alike_for_both_databases() -> None:
    sqlite = [(m.version, m.name) for m in available("sqlite")]
    postgres = [(m.version, m.name) for m in available("postgresql")]
    assert sqlite == postgres
    assert sqlite[:2] == [(1, "initial"), (2, "agent_control")]


def test_upgrade_from_0001_keeps_every_row_and_value(any_target: DatabaseTarget) -> None:
    migrate(any_target, to=1)
    written = _fill_0001(any_target)
    before = _read(any_target, OLD_COLUMNS)
    assert len(before) == len(written) >= 1000

    applied = migrate(any_target)

    assert [m.version for m in applied] == list(range(2, _head(any_target) + 1))
    after = _read(any_target, OLD_COLUMNS + NEW_COLUMNS)
    assert set(after) == set(before)
    for key, old in before.items():
        new = after[key]
        assert tuple(map(_normal, new[: len(OLD_COLUMNS)])) == tuple(map(_normal, old))
        access, capabilities, instructions_dir, hot_reload = new[len(OLD_COLUMNS) :]
        assert access is None
        assert capabilities in ([], "[]")
        assert instructions_dir is None
        assert hot_reload in (False, 0)
    # The written values themselves survived, not just "the same as before".
    sample = written[17]
    assert _normal(after[sample[0]][3]) == sample[3]
    assert _normal(after[sample[0]][7]) == sample[7]


def test_a_second_run_changes_nothing(any_target: DatabaseTarget) -> None:
    migrate(any_target, to=1)
    _fill_0001(any_target, rows=50)
    migrate(any_target)
    before = _read(any_target, OLD_COLUMNS + NEW_COLUMNS)
    assert migrate(any_target) == []
    assert schema_version(any_target) == _head(any_target)
    assert _read(any_target, OLD_COLUMNS + NEW_COLUMNS) == before


def test_pony_maps_the_migrated_schema_and_reads_defaults(any_target: DatabaseTarget) -> None:
    migrate(any_target, to=1)
    written = _fill_0001(any_target, rows=20)
    migrate(any_target)
    from pony import orm

    db, e = open_database(any_target)
    try:
        with orm.db_session:
            row = e.ContainerLaunch[e.key(written[3][0])]
            assert row.wap_container_id == written[3][3]
            assert list(row.agent_capabilities) == []
            assert row.access_parameters is None
            assert row.supports_hot_reload is False
            row.access_parameters = {"writablePaths": ["/app"]}
            row.agent_capabilities = ["file.read"]
        with orm.db_session:
            row = e.ContainerLaunch[e.key(written[3][0])]
            assert json.loads(json.dumps(row.access_parameters)) == {"writablePaths": ["/app"]}
            assert list(row.agent_capabilities) == ["file.read"]
    finally:
        db.disconnect()


def test_a_database_newer_than_the_code_is_refused(any_target: DatabaseTarget) -> None:
    migrate(any_target)
    conn = any_target.connect()
    p = _p(any_target)
    conn.cursor().execute(
        f"INSERT INTO schema_version (version, name) VALUES ({p}, {p})", (99, "from_the_future")
    )
    conn.close()
    with pytest.raises(MigrationError, match="newer than this code knows"):
        migrate(any_target)


def test_a_failing_migration_leaves_no_trace(any_target: DatabaseTarget, tmp_path: Any) -> None:
    folder = tmp_path / "migrations" / any_target.provider
    folder.mkdir(parents=True)
    (folder / "0001_ok.sql").write_text("CREATE TABLE good (id INTEGER PRIMARY KEY);")
    (folder / "0002_broken.sql").write_text(
        "CREATE TABLE half (id INTEGER PRIMARY KEY);\nTHIS IS NOT SQL;"
    )
    with pytest.raises(MigrationError, match="0002_broken"):
        migrate(any_target, directory=tmp_path / "migrations")
    assert schema_version(any_target) == 1
    conn = any_target.connect()
    cur = conn.cursor()
    with pytest.raises(Exception):  # noqa: B017 - sqlite3 and psycopg2 raise differently
        cur.execute("SELECT * FROM half")
    conn.close()


def test_migration_0005_adds_an_empty_audit_trail_that_keeps_outcomes_with_their_codes(
    any_target: DatabaseTarget,
) -> None:
    migrate(any_target, to=4)
    before = len(_fill_0001(any_target, rows=30))

    assert [m.version for m in migrate(any_target, to=5)] == [5]

    assert len(_read(any_target, OLD_COLUMNS)) == before  # nothing else touched
    conn = any_target.connect()
    cur = conn.cursor()
    p = _p(any_target)
    cur.execute("SELECT COUNT(*) FROM audit_entry")
    assert cur.fetchone()[0] == 0
    insert = (
        "INSERT INTO audit_entry (id, recorded_at, account_id, container_id, action, target,"
        f" outcome, code, request_id) VALUES ({', '.join([p] * 9)})"
    )

    def row(outcome: str, code: str | None) -> tuple[Any, ...]:
        now = datetime(2026, 1, 1, 12, 0, 0, 123456)
        container = str(uuid.uuid4())
        return (str(uuid.uuid4()), now, "acct", container, "restart", "{}", outcome, code, None)

    cur.execute(insert, row("succeeded", None))
    cur.execute(insert, row("failed", "wap_timeout"))
    for refused in (row("failed", None), row("succeeded", "conflict"), row("maybe", None)):
        with pytest.raises(Exception):  # noqa: B017 - sqlite3 and psycopg2 raise differently
            cur.execute(insert, refused)
    cur.execute("SELECT COUNT(*) FROM audit_entry")
    assert cur.fetchone()[0] == 2
    conn.close()


def _index_names(target: DatabaseTarget) -> set[str]:
    conn = target.connect()
    cur = conn.cursor()
    if target.provider == "sqlite":
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
    else:
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'container_launch'")
    names = {row[0] for row in cur.fetchall()}
    conn.close()
    return names


def test_migration_0006_indexes_the_listing_by_account_and_id_and_keeps_every_row(
    any_target: DatabaseTarget,
) -> None:
    migrate(any_target, to=5)
    _fill_0001(any_target, rows=30)
    before = _read(any_target, OLD_COLUMNS + NEW_COLUMNS)
    assert "container_launch_listing_idx" not in _index_names(any_target)

    assert [m.version for m in migrate(any_target, to=6)] == [6]

    assert "container_launch_listing_idx" in _index_names(any_target)
    assert _read(any_target, OLD_COLUMNS + NEW_COLUMNS) == before
