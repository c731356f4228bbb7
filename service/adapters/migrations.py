"""Versioned SQL migrations (the role Prisma migrate plays in the original spec).

``migrations/<provider>/NNNN_name.sql`` are applied in order, each in its own
transaction together with its row in ``schema_version``. Running again applies
nothing. A database whose recorded version is newer than the newest file here
is refused: this code does not know that schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.adapters.database import DatabaseTarget

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(RuntimeError):
    """The database cannot be brought to the schema this code expects."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def available(provider: str, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted((directory / provider).glob("*.sql")):
        match = _FILE.match(path.name)
        if match is None:
            raise MigrationError(f"{path} is not named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migrations for {provider} are not numbered 1..n: {versions}")
    return found


def _param(target: DatabaseTarget) -> str:
    return "?" if target.provider == "sqlite" else "%s"


def current_version(conn: Any) -> int:
    cur = conn.cursor()
    cur.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
    row = cur.fetchone()
    return int(row[0])


def _ensure_version_table(conn: Any) -> None:
    conn.cursor().execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL"
        " DEFAULT CURRENT_TIMESTAMP)"
    )


def _apply(conn: Any, target: DatabaseTarget, migration: Migration) -> None:
    insert = (
        f"INSERT INTO schema_version (version, name) VALUES ({_param(target)}, {_param(target)})"
    )
    cur = conn.cursor()
    if target.provider == "sqlite":
        # executescript would commit on its own; BEGIN ... COMMIT keeps the file atomic.
        try:
            cur.executescript("BEGIN;\n" + migration.sql() + "\n")
            cur.execute(insert, (migration.version, migration.name))
            cur.execute("COMMIT")
        except Exception:
            if conn.in_transaction:
                cur.execute("ROLLBACK")
            raise
        return
    conn.autocommit = False
    try:
        cur.execute(migration.sql())
        cur.execute(insert, (migration.version, migration.name))
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    finally:
        conn.autocommit = True


def migrate(
    target: DatabaseTarget, *, to: int | None = None, directory: Path = MIGRATIONS_DIR
) -> list[Migration]:
    """Apply pending migrations (up to ``to``, default all); return those applied."""
    migrations = available(target.provider, directory)
    head = len(migrations)
    goal = head if to is None else to
    if not 0 <= goal <= head:
        raise MigrationError(f"no migration {goal}: known versions are 1..{head}")
    conn = target.connect()
    try:
        _ensure_version_table(conn)
        version = current_version(conn)
        if version > head:
            raise MigrationError(
                f"the database is at schema version {version}, newer than this code knows "
                f"({head}); refusing to touch it"
            )
        applied = []
        for migration in migrations[version:goal]:
            try:
                _apply(conn, target, migration)
            except Exception as exc:
                raise MigrationError(
                    f"migration {migration.version:04d}_{migration.name} failed: {exc}"
                ) from exc
            applied.append(migration)
        return applied
    finally:
        conn.close()


def schema_version(target: DatabaseTarget) -> int:
    conn = target.connect()
    try:
        _ensure_version_table(conn)
        return current_version(conn)
    finally:
        conn.close()
