"""Where the database is: ``DATABASE_URL`` parsed into what Pony and DB-API need, and
how its outages read.

Every PostgreSQL connection (Pony's, the ownership cache's listener, migrations') gets
``POSTGRES_OUTAGE_OPTIONS``: a connection attempt gives up after a few seconds, and an
open connection to a server that vanished without closing it is dropped within about
half a minute, so a database outage never holds a caller for long. ``unavailable(exc)``
tells a driver's "cannot reach the database" from a query the database refused;
``OutageGate`` answers the first with ``errors.DatabaseUnavailable`` (503).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from pony import orm

from service import errors
from service.settings import SettingsError

T = TypeVar("T")

CONNECT_TIMEOUT_SECONDS = 3
POSTGRES_OUTAGE_OPTIONS: dict[str, Any] = {
    "connect_timeout": CONNECT_TIMEOUT_SECONDS,
    # An idle connection to a server gone silent: noticed in 10 + 3 x 5 s.
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    # A query sent to a server gone silent: the connection is dropped after 20 s unacknowledged.
    "tcp_user_timeout": 20_000,
}
RETRY_AFTER_SECONDS = 2  # what a 503 tells the client (the listener retries within 2 s)

# SQLSTATEs of a server that is shutting down, starting up or refusing connections
# (class 08 is "connection exception"); a missing SQLSTATE is a client-side failure.
_UNAVAILABLE_STATES = ("57P01", "57P02", "57P03", "53300")
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk i/o error")


@dataclass(frozen=True)
class DatabaseTarget:
    """``provider`` is ``sqlite`` or ``postgresql`` (the migrations folder name)."""

    provider: str
    sqlite_path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 5432
    user: str | None = None
    password: str | None = None
    database: str | None = None

    @classmethod
    def from_url(cls, url: str) -> DatabaseTarget:
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            # sqlite:///relative/or/absolute/path.db (the path after the third slash)
            path = unquote(parts.path)
            if not path or path == "/":
                raise SettingsError(f"DATABASE_URL={url!r} names no SQLite file")
            return cls("sqlite", sqlite_path=Path(path))
        if parts.scheme in ("postgres", "postgresql"):
            database = unquote(parts.path.lstrip("/"))
            if not database:
                raise SettingsError(f"DATABASE_URL={url!r} names no database")
            return cls(
                "postgresql",
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 5432,
                user=unquote(parts.username) if parts.username else None,
                password=unquote(parts.password) if parts.password else None,
                database=database,
            )
        raise SettingsError(f"DATABASE_URL={url!r}: use sqlite:///FILE or postgresql://...")

    def pony_bind_args(self) -> dict[str, Any]:
        if self.provider == "sqlite":
            assert self.sqlite_path is not None
            return {"provider": "sqlite", "filename": str(self.sqlite_path), "create_db": True}
        args: dict[str, Any] = {"provider": "postgres", "host": self.host, "port": self.port}
        args.update(user=self.user or "postgres", database=self.database)
        args.update(POSTGRES_OUTAGE_OPTIONS)
        if self.password is not None:
            args["password"] = self.password
        return args

    def connect(self) -> Any:
        """A raw DB-API connection in autocommit mode (migrations manage their own transactions)."""
        if self.provider == "sqlite":
            assert self.sqlite_path is not None
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.sqlite_path, isolation_level=None)
            conn.execute("PRAGMA foreign_keys = ON")
            # Write-ahead logging (kept in the file): readers, such as the ownership cache's
            # data_version check on the event loop, never wait for a writer's lock.
            conn.execute("PRAGMA journal_mode = WAL")
            return conn
        conn = self.connect_postgres()
        conn.autocommit = True
        return conn

    def connect_postgres(self, **options: Any) -> Any:
        """A psycopg2 connection to this PostgreSQL target; ``options`` go to libpq
        (over ``POSTGRES_OUTAGE_OPTIONS``)."""
        import psycopg2

        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user or "postgres",
            password=self.password,
            dbname=self.database,
            **{**POSTGRES_OUTAGE_OPTIONS, **options},
        )


def in_session(db: orm.Database, work: Callable[[], T]) -> T:
    """``work()`` in one Pony ``db_session`` (on the calling thread: a pool thread). When
    the database went away meanwhile, this thread's connection is closed as well: Pony
    drops most broken connections itself; this covers the rest."""
    try:
        with orm.db_session:
            return work()
    except Exception as exc:
        if unavailable(exc):
            with contextlib.suppress(Exception):
                db.disconnect()
        raise


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (a DB-API error, or Pony's wrapping of one) means the database
    cannot be reached now, rather than that it refused what was asked."""
    if isinstance(exc, orm.ConnectionClosedError):
        return True
    if isinstance(exc, (orm.CommitException, orm.RollbackException)):
        return any(unavailable(info[1]) for info in exc.exceptions)
    if isinstance(exc, orm.UnexpectedError):
        # An entity Pony could not store when it flushed: Pony's wrapping of the driver's.
        return unavailable(exc.original_exc)
    original = getattr(exc, "original_exc", None) or exc
    if isinstance(original, sqlite3.OperationalError):
        return str(original).lower().startswith(_SQLITE_UNAVAILABLE)
    import psycopg2

    if isinstance(original, psycopg2.InterfaceError):  # "connection already closed"
        return True
    if isinstance(original, psycopg2.OperationalError):
        state = original.pgcode
        return state is None or state.startswith("08") or state in _UNAVAILABLE_STATES
    return False


class OutageGate:
    """Turns database outages into ``errors.DatabaseUnavailable``, and keeps callers from
    queueing behind a database that does not answer.

    ``run(call)`` awaits ``call()``. When it fails with an ``unavailable`` error the
    database is marked down; while it is down, one call at a time goes through (a
    probe) and the others answer 503 at once instead of each waiting for a connection
    attempt on the thread pool. The first call that succeeds marks it up again, so
    recovery needs nothing but the database coming back. Event loop only.
    """

    def __init__(self, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        self.retry_after = retry_after
        self.down = False
        self._probing = False

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        if self.down and self._probing:
            raise errors.DatabaseUnavailable(retry_after=self.retry_after)
        probe = self.down
        if probe:
            self._probing = True
        try:
            result = await call()
        except Exception as exc:
            if not unavailable(exc):
                raise
            self.down = True
            raise errors.DatabaseUnavailable(retry_after=self.retry_after) from exc
        finally:
            if probe:
                self._probing = False
        self.down = False
        return result
