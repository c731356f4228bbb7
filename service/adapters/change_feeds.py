"""How the ownership cache learns that ``container_launch`` changed, whoever changed it.

PostgreSQL: migration 0003's trigger sends ``pg_notify(CHANNEL, id)`` for every row
inserted, updated or deleted (old and new id when an update changes it; ``*`` after a
TRUNCATE); ``PostgresChangeFeed`` LISTENs on a connection of its own, read on the
event loop (``add_reader`` + ``poll``), and evicts each notified id. While it is not
listening (a dropped connection: server restart, ``pg_terminate_backend``) the cache
is flushed and bypassed; it reconnects with a short backoff.

SQLite has no notifications: ``SqliteChangeFeed`` reads ``PRAGMA data_version`` on a
connection of its own, which changes whenever ANOTHER connection commits (Pony's
own connections included), and flushes the whole cache when it does.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from service.adapters.database import CONNECT_TIMEOUT_SECONDS, DatabaseTarget
from service.adapters.ownership_cache import AbstractChangeFeed

log = logging.getLogger("armory.cache")

CHANNEL = "armory_container_launch"  # migrations/postgresql/0003 notifies on it
FLUSH_PAYLOAD = "*"  # what the TRUNCATE trigger sends: every row changed
APPLICATION_NAME = "armory-ownership-cache"  # the listener in pg_stat_activity
SQLITE_CHECK_SECONDS = 0.005


def change_feed(target: DatabaseTarget) -> AbstractChangeFeed:
    """The feed that watches ``target``'s ``container_launch`` table."""
    if target.provider == "postgresql":
        return PostgresChangeFeed(target)
    if target.provider == "sqlite" and target.sqlite_path is not None:
        return SqliteChangeFeed(target.sqlite_path)
    raise ValueError(f"no change feed for database provider {target.provider!r}")


class SqliteChangeFeed(AbstractChangeFeed):
    """``PRAGMA data_version``, read on the request path at most every ``interval``
    seconds (a read costs about 7 µs; between reads a commit by another connection
    can go unseen for at most ``interval``). A read that fails (the file locked by a
    writer, or gone) flushes the cache and bypasses it until a read succeeds."""

    def __init__(
        self,
        path: Path,
        *,
        interval: float = SQLITE_CHECK_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.interval = interval
        self._monotonic = monotonic
        self._conn: sqlite3.Connection | None = None
        self._version: int | None = None
        self._checked = 0.0
        self.checks = 0  # how many times data_version was read

    async def start(self) -> None:
        # Read-only, and never waiting on a lock: this runs on the event loop.
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        self._conn = sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None)
        self._version = None
        self.current()

    async def stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._version = None

    def data_version(self) -> int:
        assert self._conn is not None, "change feed not started"
        self.checks += 1
        # fetchall: the statement runs to its end, so no read transaction stays open.
        return int(self._conn.execute("PRAGMA data_version").fetchall()[0][0])

    def current(self) -> bool:
        if self._conn is None:
            return False
        now = self._monotonic()
        if self._version is not None and now - self._checked < self.interval:
            return True
        try:
            version = self.data_version()
        except sqlite3.Error as exc:
            if self._version is not None:
                log.warning("ownership cache: cannot read data_version (%s); bypassed", exc)
            self._version = None
            self.cache.flush()
            return False
        self._checked = now
        if version != self._version:
            self._version = version
            self.cache.flush()
        return True


class PostgresChangeFeed(AbstractChangeFeed):
    """LISTEN on a dedicated psycopg2 connection, integrated with the event loop.

    ``listening`` is what ``current()`` answers. ``connections`` counts the times
    LISTEN took effect (a reconnection adds one). ``backoff`` is the first and the
    longest wait before connecting again.
    """

    def __init__(
        self,
        target: DatabaseTarget,
        *,
        channel: str = CHANNEL,
        application_name: str = APPLICATION_NAME,
        backoff: tuple[float, float] = (0.05, 2.0),
        connect_timeout: int = CONNECT_TIMEOUT_SECONDS,
    ) -> None:
        self.target = target
        self.channel = channel
        self.application_name = application_name
        self.backoff = backoff
        self.connect_timeout = connect_timeout
        self.listening = False
        self.connections = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._tried = asyncio.Event()
        self._fd: int | None = None

    def current(self) -> bool:
        return self.listening

    async def start(self) -> None:
        """Listen; returns once the first attempt has succeeded or failed (then the
        cache is bypassed while it keeps trying in the background)."""
        self._loop = asyncio.get_running_loop()
        self._tried = asyncio.Event()
        self._task = self._loop.create_task(self._run(), name="ownership-cache-listener")
        await self._tried.wait()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._lose()

    async def _run(self) -> None:
        delay = self.backoff[0]
        while True:
            try:
                conn = await self._open()
            except (psycopg2.Error, OSError) as exc:
                log.warning("ownership cache: cannot LISTEN (%s); again in %.2fs", exc, delay)
                self._tried.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.backoff[1])
                continue
            delay = self.backoff[0]
            try:
                await self._listen(conn)
            except Exception:
                # Not listening (so the cache is bypassed), but never for good.
                log.exception("ownership cache: listener failed; reconnecting")
            finally:
                conn.close()
            await asyncio.sleep(delay)

    async def _open(self) -> Any:
        assert self._loop is not None
        opening = self._loop.run_in_executor(None, self._connect)
        try:
            return await asyncio.shield(opening)
        except asyncio.CancelledError:
            # Stopped while connecting: close the connection when it arrives.
            opening.add_done_callback(_close_if_opened)
            raise

    def _connect(self) -> Any:
        # With the keepalives of POSTGRES_OUTAGE_OPTIONS: a server that vanished without
        # closing the socket is noticed in ~25 s (within OWNERSHIP_CACHE_SECONDS' default).
        conn = self.target.connect_postgres(
            application_name=self.application_name, connect_timeout=self.connect_timeout
        )
        try:
            conn.autocommit = True
            conn.cursor().execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        except BaseException:
            conn.close()
            raise
        return conn

    async def _listen(self, conn: Any) -> None:
        assert self._loop is not None
        lost: asyncio.Future[None] = self._loop.create_future()
        self._fd = conn.fileno()
        self._loop.add_reader(self._fd, self._on_readable, conn, lost)
        try:
            # Nothing was stored while not listening; answers stored from now on are
            # read after LISTEN took effect, so every later change reaches them.
            self.cache.flush()
            self.listening = True
            self.connections += 1
            self._tried.set()
            self._on_readable(conn, lost)  # what arrived with LISTEN's own reply
            await lost
        finally:
            self._lose()

    def _on_readable(self, conn: Any, lost: asyncio.Future[None]) -> None:
        try:
            conn.poll()
            if conn.closed:
                raise psycopg2.InterfaceError("connection closed")
        except psycopg2.Error as exc:
            log.warning("ownership cache: listener lost (%s); reconnecting", exc)
            self._lose()  # now, before any request is answered from memory
            if not lost.done():
                lost.set_result(None)
            return
        for notification in conn.notifies:
            if notification.payload == FLUSH_PAYLOAD:
                self.cache.flush()
            else:
                self.cache.evict(notification.payload)
        conn.notifies.clear()

    def _lose(self) -> None:
        if self._fd is not None and self._loop is not None:
            self._loop.remove_reader(self._fd)
        self._fd = None
        self.listening = False
        if self._cache is not None:
            self.cache.flush()


def _close_if_opened(opening: asyncio.Future[Any]) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result().close()
