"""Ownership answers served from memory, never stale: ``CachedContainerRepository``.

Every request resolves (account, containerId) through ``find_owned``; in steady
state the answer comes from a dict instead of a database round trip. Other
systems write ``container_launch``, so the cache is only as good as what tells it
about their changes: an ``AbstractChangeFeed`` (``change_feeds``: a PostgreSQL
trigger's notifications, SQLite's ``PRAGMA data_version``). The rules that keep
it from ever answering stale:

- answers are kept per container id (container id → {account id → answer}), the
  ``None`` of a foreign or unknown id included, so that one change to a container
  evicts every account's answer about it;
- the cache answers from memory only while the feed says it is ``current()``
  (a PostgreSQL listener that dropped is not): otherwise every lookup goes to the
  database and nothing is stored; the feed flushes everything when it loses track;
- an answer fetched while its container was evicted (or the cache flushed) is
  returned but not stored: it may have been read before the change;
- our own writes (``begin_update`` / ``finish_update``) evict their container;
- an answer older than ``max_age`` seconds is fetched again (a safety net, should
  a change ever go unnoticed), and at most ``max_entries`` answers are kept (the
  cache is emptied when full: simpler than LRU, and as rare as 100 000 distinct
  lookups).
"""

from __future__ import annotations

import abc
import re
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from service.clock import AbstractClock, SystemClock
from service.domain import CatalogueEntry, OwnedContainer, VersionUpdate
from service.metrics import OWNERSHIP_HIT, OWNERSHIP_MISS
from service.repository import AbstractContainerRepository

MAX_ENTRIES = 100_000

_Answer = tuple[OwnedContainer | None, float]  # the answer, and when it was stored (clock)
_NONE: dict[str, _Answer] = {}


class Invalidations(Protocol):
    """What a change feed tells the cache."""

    def evict(self, container_id: str) -> None:
        """Forget every answer about ``container_id``."""

    def flush(self) -> None:
        """Forget every answer."""


class AbstractChangeFeed(abc.ABC):
    """Tells a cache what changed in ``container_launch``, whoever changed it.

    ``attach`` is called once, by the cache, before ``start``. A feed evicts
    (or flushes) through the attached cache as soon as it learns of a change.
    """

    _cache: Invalidations | None = None

    def attach(self, cache: Invalidations) -> None:
        self._cache = cache

    @property
    def cache(self) -> Invalidations:
        assert self._cache is not None, "change feed not attached to a cache"
        return self._cache

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Begin watching; called by the cache's ``start``."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Stop watching and release connections."""

    @abc.abstractmethod
    def current(self) -> bool:
        """Whether every change committed so far has reached the cache (so it may
        answer from memory). Called on the request path before every answer from
        memory: it must not block. It may evict or flush first."""


def canonical_id(container_id: str) -> str | None:
    """The container id as the database prints it, or ``None`` if it is no UUID
    (the repository answers ``None`` to those without a query)."""
    if _CANONICAL.fullmatch(container_id):  # as the contract's fast path hands it on
        return container_id
    try:
        return str(uuid.UUID(container_id))
    except ValueError:
        return None


_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class CachedContainerRepository(AbstractContainerRepository):
    """``inner`` with ``find_owned`` served from memory; every other method delegates.

    ``max_age`` (seconds, ``OWNERSHIP_CACHE_SECONDS``) bounds how long an answer is
    kept; 0 turns the cache off (every call delegates; the feed is never started).
    ``hits`` and ``misses`` count lookups answered from memory and from ``inner`` (and
    so does ``armory_ownership_cache_lookups_total``).
    Container ids are UUIDs (``PonyContainerRepository`` parses them), so every
    spelling of one UUID shares its answers; anything else is passed to ``inner``
    and never kept. Single-threaded: called on the event loop only.
    """

    def __init__(
        self,
        inner: AbstractContainerRepository,
        feed: AbstractChangeFeed,
        *,
        max_age: float,
        max_entries: int = MAX_ENTRIES,
        clock: AbstractClock | None = None,
    ) -> None:
        if max_age < 0 or max_entries < 1:
            raise ValueError("max_age must be >= 0 and max_entries >= 1")
        self.inner = inner
        self.feed = feed
        self.max_age = max_age
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._clock = clock or SystemClock()
        self._entries: dict[str, dict[str, _Answer]] = {}
        self._size = 0
        # Invalidations are numbered; a fetch stores its answer only if none that
        # concerns it came after the fetch began.
        self._epoch = 0
        self._flushed_at = 0
        self._fetching: dict[str, int] = {}  # container id → lookups in flight
        self._evicted_at: dict[str, int] = {}  # only for ids with lookups in flight
        feed.attach(self)

    @property
    def enabled(self) -> bool:
        return self.max_age > 0

    def __len__(self) -> int:
        """How many answers are held."""
        return self._size

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        await self.inner.start()
        if self.enabled:
            await self.feed.start()

    async def stop(self) -> None:
        try:
            if self.enabled:
                await self.feed.stop()
        finally:
            self.flush()
            await self.inner.stop()

    # -- invalidation (what the feed and our own writes call) ----------------------------

    def evict(self, container_id: str) -> None:
        key = canonical_id(container_id) or container_id
        self._epoch += 1
        if key in self._fetching:
            self._evicted_at[key] = self._epoch
        answers = self._entries.pop(key, None)
        if answers is not None:
            self._size -= len(answers)

    def flush(self) -> None:
        self._epoch += 1
        self._flushed_at = self._epoch
        self._entries.clear()
        self._size = 0

    # -- the hot path --------------------------------------------------------------------

    async def find_owned(self, account_id: str, container_id: str) -> OwnedContainer | None:
        if not self.enabled:
            return await self.inner.find_owned(account_id, container_id)
        # Keys are canonical ids, so a key found as given needs no parsing.
        answers = self._entries.get(container_id)
        key = container_id if answers is not None else canonical_id(container_id)
        if key is None:
            self.misses += 1
            OWNERSHIP_MISS.inc()
            return await self.inner.find_owned(account_id, container_id)
        current = self.feed.current()  # may evict or flush: look up only afterwards
        if current:
            answer = self._entries.get(key, _NONE).get(account_id)
            if answer is not None:
                age = self._clock.now() - answer[1]
                if 0 <= age < self.max_age:  # a clock set back counts as too old
                    self.hits += 1
                    OWNERSHIP_HIT.inc()
                    return answer[0]
        self.misses += 1
        OWNERSHIP_MISS.inc()
        return await self._fetch(key, account_id, container_id, current)

    async def _fetch(
        self, key: str, account_id: str, container_id: str, current: bool
    ) -> OwnedContainer | None:
        began = self._epoch
        self._fetching[key] = self._fetching.get(key, 0) + 1
        try:
            found = await self.inner.find_owned(account_id, container_id)
            # current() first: it may itself evict or flush, which must count here.
            keep = current and self.feed.current()
            keep = keep and self._flushed_at <= began and self._evicted_at.get(key, 0) <= began
        finally:
            left = self._fetching[key] - 1
            if left:
                self._fetching[key] = left
            else:
                del self._fetching[key]
                self._evicted_at.pop(key, None)
        if keep:
            self._store(key, account_id, found)
        return found

    def _store(self, key: str, account_id: str, found: OwnedContainer | None) -> None:
        answers = self._entries.get(key)
        if answers is None or account_id not in answers:
            if self._size >= self.max_entries:
                self._entries.clear()
                self._size = 0
                answers = None
            if answers is None:
                answers = self._entries[key] = {}
            self._size += 1
        answers[account_id] = (found, self._clock.now())

    # -- writes evict what they change --------------------------------------------------

    async def begin_update(
        self, container: OwnedContainer, new_tag: str, requested_by: str
    ) -> VersionUpdate:
        try:
            return await self.inner.begin_update(container, new_tag, requested_by)
        finally:
            self.evict(container.id)

    async def finish_update(
        self, update_id: str, *, succeeded: bool, error: str | None = None
    ) -> VersionUpdate:
        try:
            finished = await self.inner.finish_update(update_id, succeeded=succeeded, error=error)
        except BaseException:
            # Which container, and whether its tag moved, is unknown: forget everything.
            self.flush()
            raise
        self.evict(finished.container_id)
        return finished

    async def interrupt_stale_updates(
        self, container_id: str, *, older_than: timedelta
    ) -> Sequence[VersionUpdate]:
        # Changes version updates only, never a container_launch row: nothing to evict.
        return await self.inner.interrupt_stale_updates(container_id, older_than=older_than)

    # -- reads that are not cached --------------------------------------------------------

    async def list_owned(self, account_id: str) -> Sequence[OwnedContainer]:
        return await self.inner.list_owned(account_id)

    async def page_owned(
        self, account_id: str, *, after: str | None, limit: int
    ) -> Sequence[OwnedContainer]:
        return await self.inner.page_owned(account_id, after=after, limit=limit)

    async def project_ids(self, account_id: str) -> Sequence[str]:
        return await self.inner.project_ids(account_id)

    async def list_by_wap_ids(self, wap_ids: Sequence[str]) -> Sequence[OwnedContainer]:
        return await self.inner.list_by_wap_ids(wap_ids)

    async def catalogue(self, image: str) -> Sequence[CatalogueEntry]:
        return await self.inner.catalogue(image)

    async def history(self, container_id: str) -> Sequence[VersionUpdate]:
        return await self.inner.history(container_id)

    async def ping(self) -> None:
        await self.inner.ping()
