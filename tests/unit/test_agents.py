"""ListAgents: the caller's containers, a page at a time, with what each may do and its
last known state; one repository query a page, no WAP call, never another account's."""

from __future__ import annotations

import uuid

import pytest

from service import errors
from service.domain import CAP_FILE_READ, AccessParameters
from service.health_memory import KnownHealth
from service.usecases.agents import (
    NOTHING_KNOWN,
    FileRoot,
    ListAgents,
    decode_cursor,
    encode_cursor,
)
from tests.unit.conftest import ALICE, BARE, BOB, MINE, THEIRS, World


def _list(world: World) -> ListAgents:
    return ListAgents(world.repository, world.memory)


async def test_the_caller_gets_their_containers_only_with_what_each_may_do(world: World) -> None:
    page = await _list(world)(ALICE)

    assert [a.container.id for a in page.agents] == sorted([MINE, BARE])
    assert page.next_cursor is None
    mine, bare = sorted(page.agents, key=lambda a: a.container.id != MINE)
    assert mine.capabilities == ["file.read", "file.write", "restart"]
    assert mine.file_roots == [
        FileRoot("/app/config", True),
        FileRoot("/app/data", True),
        FileRoot("/app/logs", False),
    ]
    assert (mine.container.instructions_dir, mine.container.supports_hot_reload) == (
        "/app/config/instructions",
        True,
    )
    # The container that may do nothing says so plainly.
    assert (bare.capabilities, bare.file_roots) == ([], [])
    assert (bare.container.instructions_dir, bare.container.supports_hot_reload) == (None, False)
    assert world.wap.calls == []
    assert [a.container.id for a in (await _list(world)(BOB)).agents] == [THEIRS]


async def test_file_roots_follow_the_capabilities_that_gate_them(world: World) -> None:
    access = AccessParameters(writable_paths=("/app/data",), read_only_paths=("/app/logs",))
    read_only = world.repository.add_container(
        "a11ce000-0000-4000-8000-0000000000aa",
        account_id="alice",
        capabilities=(CAP_FILE_READ,),
        access=access,
    )
    no_read = world.repository.add_container(
        "a11ce000-0000-4000-8000-0000000000bb", account_id="alice", access=access
    )
    agents = {a.container.id: a for a in (await _list(world)(ALICE)).agents}
    # Without file.write nothing is writable; without file.read nothing may be listed.
    assert agents[read_only.id].file_roots == [
        FileRoot("/app/data", False),
        FileRoot("/app/logs", False),
    ]
    assert agents[no_read.id].file_roots == []


async def test_status_and_health_are_the_last_known_or_unknown(world: World) -> None:
    world.memory.health[MINE] = KnownHealth("stopped", "none")
    world.memory.health[THEIRS] = KnownHealth("running", "unhealthy")
    agents = {a.container.id: a.known for a in (await _list(world)(ALICE)).agents}
    assert agents == {MINE: KnownHealth("stopped", "none"), BARE: NOTHING_KNOWN}
    assert NOTHING_KNOWN == KnownHealth("unknown", "unknown")


async def test_an_unreadable_health_memory_leaves_every_state_unknown(world: World) -> None:
    world.memory.error = ConnectionError("redis went away")
    page = await _list(world)(ALICE)
    assert [a.known for a in page.agents] == [NOTHING_KNOWN, NOTHING_KNOWN]


async def test_pages_cover_every_container_once_with_one_query_each(world: World) -> None:
    added = [
        world.repository.add_container(str(uuid.UUID(int=n * 7919, version=4)), account_id="alice")
        for n in range(1, 12)
    ]
    expected = sorted([MINE, BARE, *(c.id for c in added)])
    listed, cursor, pages = [], None, 0
    while True:
        page = await _list(world)(ALICE, cursor=cursor, limit=4)
        pages += 1
        assert len(page.agents) <= 4
        listed += [a.container.id for a in page.agents]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert listed == expected
    assert pages == 4 == world.repository.count("page_owned")
    assert world.repository.count("list_owned") == 0


async def test_a_last_full_page_says_no_more_follow(world: World) -> None:
    page = await _list(world)(ALICE, limit=2)
    assert len(page.agents) == 2 and page.next_cursor is None


@pytest.mark.parametrize(("asked", "passed"), [(0, 2), (1, 2), (200, 201), (10_000, 201)])
async def test_the_limit_is_held_between_1_and_200(world: World, asked: int, passed: int) -> None:
    await _list(world)(ALICE, limit=asked)
    [(_, (_, _, limit))] = [q for q in world.repository.queries if q[0] == "page_owned"]
    assert limit == passed  # one more than the page, to know whether another follows


def test_a_cursor_is_the_last_listed_id_and_nothing_else_decodes() -> None:
    assert decode_cursor(encode_cursor(MINE)) == MINE
    assert len(encode_cursor(MINE)) == 32
    with pytest.raises(errors.BadRequest) as caught:
        decode_cursor("z" * 32)
    assert caught.value.errors[0].field == "query.cursor"
