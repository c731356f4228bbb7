"""The ownership cache against a fake repository and a fake change feed: what it keeps,
what evicts it, and when it must not answer from memory."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

import pytest

from service.adapters.ownership_cache import AbstractChangeFeed, CachedContainerRepository
from service.domain import OwnedContainer
from tests.fakes.clock import FixedClock
from tests.fakes.repository import FakeContainerRepository

MINE = "a11ce000-0000-4000-8000-000000000001"
OTHER = "a11ce000-0000-4000-8000-000000000002"
THEIRS = "b0b00000-0000-4000-8000-000000000001"
NEW = "0e000000-0000-4000-8000-000000000001"
MAX_AGE = 30.0


class FakeChangeFeed(AbstractChangeFeed):
    """A feed a test drives: ``is_current`` is what ``current()`` answers; ``change(id)``
    and ``lose()`` do what a real feed does when it learns of a change or loses track."""

    def __init__(self) -> None:
        self.is_current = True
        self.started = False
        self.asked = 0

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    def current(self) -> bool:
        self.asked += 1
        return self.is_current

    def change(self, container_id: str) -> None:
        self.cache.evict(container_id)

    def lose(self) -> None:
        self.is_current = False
        self.cache.flush()


class GatedRepository(FakeContainerRepository):
    """``find_owned`` waits for ``gate`` once ``hold`` is set: a lookup in flight."""

    def __init__(self, clock: FixedClock) -> None:
        super().__init__(clock=clock)
        self.hold = False
        self.gate = asyncio.Event()
        self.waiting = asyncio.Event()

    async def find_owned(self, account_id: str, container_id: str) -> OwnedContainer | None:
        found = await super().find_owned(account_id, container_id)  # read, then wait
        if self.hold:
            self.waiting.set()
            await self.gate.wait()
        return found


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def inner(clock: FixedClock) -> GatedRepository:
    repository = GatedRepository(clock=clock)
    repository.add_container(MINE, account_id="alice", capabilities=("file.read",))
    repository.add_container(OTHER, account_id="alice")
    repository.add_container(THEIRS, account_id="bob")
    return repository


@pytest.fixture
def feed() -> FakeChangeFeed:
    return FakeChangeFeed()


@pytest.fixture
def cache(
    inner: GatedRepository, feed: FakeChangeFeed, clock: FixedClock
) -> CachedContainerRepository:
    return CachedContainerRepository(inner, feed, max_age=MAX_AGE, clock=clock)


def replace(inner: FakeContainerRepository, container_id: str, **changes: object) -> None:
    """Change a container behind the cache's back (as another system would)."""
    inner.containers[container_id] = dataclasses.replace(
        inner.containers[container_id],
        **changes,  # type: ignore[arg-type]
    )


async def test_a_second_lookup_is_answered_from_memory(
    cache: CachedContainerRepository, inner: GatedRepository
) -> None:
    first = await cache.find_owned("alice", MINE)
    second = await cache.find_owned("alice", MINE)
    assert first is not None and second == first
    assert (cache.hits, cache.misses) == (1, 1)
    assert inner.count("find_owned") == 1


async def test_steady_state_makes_no_call_to_the_inner_repository(
    cache: CachedContainerRepository, inner: GatedRepository
) -> None:
    for _ in range(3):
        for account, container in [("alice", MINE), ("alice", OTHER), ("bob", MINE)]:
            await cache.find_owned(account, container)
    assert inner.count("find_owned") == 3
    for _ in range(1000):
        await cache.find_owned("alice", MINE)
        await cache.find_owned("bob", MINE)
    assert inner.count("find_owned") == 3
    assert (cache.hits, cache.misses) == (6 + 2000, 3)


async def test_foreign_and_unknown_ids_are_cached_as_none(
    cache: CachedContainerRepository, inner: GatedRepository
) -> None:
    assert await cache.find_owned("bob", MINE) is None
    assert await cache.find_owned("alice", NEW) is None
    assert await cache.find_owned("bob", MINE) is None
    assert await cache.find_owned("alice", NEW) is None
    assert inner.count("find_owned") == 2 and cache.hits == 2


async def test_a_change_evicts_every_accounts_answer_about_that_container_only(
    cache: CachedContainerRepository, inner: GatedRepository, feed: FakeChangeFeed
) -> None:
    assert await cache.find_owned("alice", MINE) is not None
    assert await cache.find_owned("bob", MINE) is None
    assert await cache.find_owned("alice", OTHER) is not None
    replace(inner, MINE, account_id="bob")

    feed.change(MINE)

    assert await cache.find_owned("alice", MINE) is None
    found = await cache.find_owned("bob", MINE)
    assert found is not None and found.account_id == "bob"
    assert await cache.find_owned("alice", OTHER) is not None
    assert inner.count("find_owned") == 5  # OTHER's answer was kept
    assert cache.hits == 1


async def test_a_cached_none_is_evicted_when_the_container_is_inserted(
    cache: CachedContainerRepository, inner: GatedRepository, feed: FakeChangeFeed
) -> None:
    assert await cache.find_owned("alice", NEW) is None
    assert await cache.find_owned("alice", NEW) is None  # from memory
    inner.add_container(NEW, account_id="alice")
    assert await cache.find_owned("alice", NEW) is None  # nobody told the cache yet

    feed.change(NEW)

    found = await cache.find_owned("alice", NEW)
    assert found is not None and found.id == NEW


async def test_other_spellings_of_an_id_share_its_answers_and_its_eviction(
    cache: CachedContainerRepository, inner: GatedRepository, feed: FakeChangeFeed
) -> None:
    # The real repository reads an id as a UUID, so these are one container.
    assert await cache.find_owned("alice", MINE) is not None
    assert await cache.find_owned("alice", MINE.upper()) is not None
    assert await cache.find_owned("alice", "{" + MINE + "}") is not None
    assert cache.hits == 2
    feed.change(MINE)
    await cache.find_owned("alice", MINE.upper())
    assert cache.misses == 2


async def test_an_id_that_is_no_uuid_is_passed_through_and_never_kept(
    cache: CachedContainerRepository, inner: GatedRepository
) -> None:
    assert await cache.find_owned("alice", "not-a-uuid") is None
    assert await cache.find_owned("alice", "not-a-uuid") is None
    assert inner.count("find_owned") == 2 and len(cache) == 0


async def test_starting_a_version_update_evicts_its_container(
    cache: CachedContainerRepository, inner: GatedRepository
) -> None:
    container = await cache.find_owned("alice", MINE)
    assert container is not None
    await cache.find_owned("bob", MINE)

    await cache.begin_update(container, "2.0.0", "alice")

    assert len(cache) == 0
    await cache.find_owned("alice", MINE)
    assert inner.count("find_owned") == 3


async def test_a_completed_update_moves_the_tag_the_next_lookup_sees(
    cache: CachedContainerRepository, inner: GatedRepository
) -> None:
    container = await cache.find_owned("alice", MINE)
    assert container is not None and container.tag == "1.0.0"
    update = await cache.begin_update(container, "2.0.0", "alice")
    assert (await cache.find_owned("alice", MINE)) == container  # cached again, same tag

    await cache.finish_update(update.id, succeeded=True)

    moved = await cache.find_owned("alice", MINE)
    assert moved is not None and moved.tag == "2.0.0"


async def test_a_failing_finish_update_forgets_every_answer(
    cache: CachedContainerRepository,
) -> None:
    await cache.find_owned("alice", MINE)
    await cache.find_owned("alice", OTHER)
    with pytest.raises(LookupError):
        await cache.finish_update("no-such-update", succeeded=True)
    assert len(cache) == 0


async def test_an_answer_older_than_the_age_bound_is_fetched_again(
    cache: CachedContainerRepository, inner: GatedRepository, clock: FixedClock
) -> None:
    await cache.find_owned("alice", MINE)
    clock.advance(MAX_AGE - 0.001)
    await cache.find_owned("alice", MINE)
    assert inner.count("find_owned") == 1
    clock.advance(0.001)
    await cache.find_owned("alice", MINE)
    assert inner.count("find_owned") == 2
    await cache.find_owned("alice", MINE)  # stored afresh at the new time
    assert inner.count("find_owned") == 2


async def test_a_clock_set_back_counts_as_too_old(
    cache: CachedContainerRepository, inner: GatedRepository, clock: FixedClock
) -> None:
    await cache.find_owned("alice", MINE)
    clock.advance(-1)
    await cache.find_owned("alice", MINE)
    assert inner.count("find_owned") == 2


async def test_a_full_cache_is_emptied_before_it_grows_past_its_bound(
    inner: GatedRepository, feed: FakeChangeFeed, clock: FixedClock
) -> None:
    cache = CachedContainerRepository(inner, feed, max_age=MAX_AGE, max_entries=3, clock=clock)
    await cache.find_owned("alice", MINE)
    await cache.find_owned("bob", MINE)
    await cache.find_owned("alice", OTHER)
    assert len(cache) == 3
    await cache.find_owned("alice", MINE)  # replacing a held answer does not count
    assert len(cache) == 3 and cache.hits == 1

    await cache.find_owned("alice", THEIRS)

    assert len(cache) == 1
    await cache.find_owned("alice", THEIRS)
    await cache.find_owned("alice", MINE)
    assert (cache.hits, cache.misses) == (2, 5)


async def test_nothing_is_answered_from_memory_or_kept_while_the_feed_is_not_current(
    cache: CachedContainerRepository, inner: GatedRepository, feed: FakeChangeFeed
) -> None:
    await cache.find_owned("alice", MINE)
    feed.lose()
    assert len(cache) == 0
    replace(inner, MINE, account_id="bob")  # a change nobody is told of

    assert await cache.find_owned("alice", MINE) is None
    assert await cache.find_owned("alice", MINE) is None
    assert len(cache) == 0 and cache.hits == 0 and inner.count("find_owned") == 3

    feed.is_current = True
    assert await cache.find_owned("alice", MINE) is None
    assert await cache.find_owned("alice", MINE) is None
    assert inner.count("find_owned") == 4 and cache.hits == 1


async def test_an_answer_read_before_its_container_was_evicted_is_not_kept(
    cache: CachedContainerRepository, inner: GatedRepository, feed: FakeChangeFeed
) -> None:
    inner.hold = True
    lookup = asyncio.create_task(cache.find_owned("alice", MINE))
    await inner.waiting.wait()  # it has read alice's ownership
    replace(inner, MINE, account_id="bob")
    feed.change(MINE)
    inner.hold = False
    inner.gate.set()
    assert await lookup is not None  # what it read, before the change

    assert await cache.find_owned("alice", MINE) is None
    assert cache.hits == 0


async def test_an_eviction_of_another_container_does_not_stop_an_answer_being_kept(
    cache: CachedContainerRepository, inner: GatedRepository, feed: FakeChangeFeed
) -> None:
    inner.hold = True
    lookup = asyncio.create_task(cache.find_owned("alice", MINE))
    await inner.waiting.wait()
    feed.change(OTHER)
    inner.hold = False
    inner.gate.set()
    await lookup
    await cache.find_owned("alice", MINE)
    assert cache.hits == 1


@pytest.mark.parametrize("how", ["flush", "lost"])
async def test_an_answer_read_before_a_flush_is_not_kept(
    cache: CachedContainerRepository, inner: GatedRepository, feed: FakeChangeFeed, how: str
) -> None:
    inner.hold = True
    lookup = asyncio.create_task(cache.find_owned("alice", MINE))
    await inner.waiting.wait()
    if how == "flush":
        cache.flush()
    else:
        feed.lose()
        feed.is_current = True  # and back, before the lookup returns
    inner.hold = False
    inner.gate.set()
    await lookup
    await cache.find_owned("alice", MINE)
    assert cache.hits == 0 and inner.count("find_owned") == 2


async def test_the_feed_is_asked_before_every_answer_from_memory(
    cache: CachedContainerRepository, feed: FakeChangeFeed
) -> None:
    await cache.find_owned("alice", MINE)
    asked = feed.asked
    for _ in range(5):
        await cache.find_owned("alice", MINE)
    assert feed.asked == asked + 5


async def test_an_age_bound_of_zero_turns_the_cache_off(
    inner: GatedRepository, feed: FakeChangeFeed, clock: FixedClock
) -> None:
    cache = CachedContainerRepository(inner, feed, max_age=0, clock=clock)
    await cache.start()
    for _ in range(3):
        await cache.find_owned("alice", MINE)
    assert inner.count("find_owned") == 3 and len(cache) == 0
    assert inner.started and not feed.started and feed.asked == 0
    await cache.stop()


async def test_start_and_stop_start_and_stop_the_feed_and_the_inner_repository(
    cache: CachedContainerRepository, inner: GatedRepository, feed: FakeChangeFeed
) -> None:
    await cache.start()
    assert inner.started and feed.started
    await cache.find_owned("alice", MINE)
    await cache.stop()
    assert not inner.started and not feed.started and len(cache) == 0


async def test_every_other_method_is_the_inner_repositorys(
    cache: CachedContainerRepository, inner: GatedRepository
) -> None:
    inner.add_catalogue("armory/agent", "1.0.0", "2.0.0")
    calls: list[Sequence[object]] = [
        await cache.list_owned("alice"),
        await cache.project_ids("alice"),
        await cache.list_by_wap_ids([f"wap-{THEIRS}"]),
        await cache.catalogue("armory/agent"),
        await cache.history(MINE),
        await cache.page_owned("alice", after=None, limit=10),
    ]
    assert [len(c) for c in calls] == [2, 1, 1, 2, 0, 2]
    names = [name for name, _ in inner.queries]
    assert names == [
        "list_owned",
        "project_ids",
        "list_by_wap_ids",
        "catalogue",
        "history",
        "page_owned",
    ]


def test_a_negative_age_bound_or_no_room_is_refused(
    inner: GatedRepository, feed: FakeChangeFeed
) -> None:
    with pytest.raises(ValueError):
        CachedContainerRepository(inner, feed, max_age=-1)
    with pytest.raises(ValueError):
        CachedContainerRepository(inner, feed, max_age=1, max_entries=0)
