"""The Pony repository on SQLite and PostgreSQL: ownership, listings, version updates."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator

import pytest

from service import demo, errors
from service.adapters.database import DatabaseTarget
from service.adapters.migrations import migrate
from service.adapters.pony_repository import PonyContainerRepository
from service.adapters.seeding import seed
from tests.operations import ALICE_BARE, ALICE_MAIN, BOB_MAIN, UNKNOWN


@pytest.fixture
async def repo(any_target: DatabaseTarget) -> AsyncIterator[PonyContainerRepository]:
    migrate(any_target)
    seed(any_target, demo.PROJECTS, demo.CONTAINERS, demo.CATALOGUE)
    repository = PonyContainerRepository(any_target, threads=2)
    await repository.start()
    yield repository
    await repository.stop()


async def test_an_owner_finds_their_container_with_everything_the_checks_need(
    repo: PonyContainerRepository,
) -> None:
    found = await repo.find_owned("alice", ALICE_MAIN)
    assert found is not None
    assert (found.wap_id, found.tag, found.supports_hot_reload) == (
        "wap-alice-researcher",
        "1.4.0",
        True,
    )
    assert found.capabilities == {"file.read", "file.write", "restart", "hot-reload"}
    assert found.access is not None and found.access.can_write("/app/data/x")
    assert not found.access.can_write("/app/logs/x") and found.access.can_read("/app/logs/x")
    assert found.instructions_dir == "/app/config/instructions"


@pytest.mark.parametrize("container_id", [BOB_MAIN, UNKNOWN, "not-a-uuid", ""])
async def test_foreign_unknown_and_malformed_ids_are_all_none(
    repo: PonyContainerRepository, container_id: str
) -> None:
    assert await repo.find_owned("alice", container_id) is None


async def test_listings_hold_only_the_accounts_containers(repo: PonyContainerRepository) -> None:
    mine = await repo.list_owned("alice")
    assert {c.id for c in mine} == {c["id"] for c in demo.CONTAINERS if c["account_id"] == "alice"}
    for listed in mine:  # a listing carries what the ownership check reads, field for field
        assert listed == await repo.find_owned("alice", listed.id)
    assert await repo.project_ids("alice") == [demo.PROJECTS[0]["id"]]
    assert await repo.project_ids("nobody") == []
    by_wap = await repo.list_by_wap_ids(["wap-bob-helpdesk", "wap-nobody"])
    assert [(c.id, c.account_id) for c in by_wap] == [(BOB_MAIN, "bob")]


async def test_looking_up_more_wap_ids_than_one_query_takes_finds_each_container_once(
    repo: PonyContainerRepository, any_target: DatabaseTarget
) -> None:
    project = demo.PROJECTS[1]["id"]
    many = [
        {
            "id": str(uuid.UUID(int=i, version=4)),
            "account_id": "bob",
            "project_id": project,
            "wap_container_id": f"wap-many-{i:04d}",
            "image": "armory/agent-runtime",
            "tag": "1.4.0",
            "status": "running",
        }
        for i in range(1, 1202)
    ]
    seed(any_target, demo.PROJECTS, many)
    wanted = [c["wap_container_id"] for c in many]
    found = await repo.list_by_wap_ids(wanted + ["wap-nobody"] + wanted[::-1])
    assert sorted(c.wap_id for c in found) == wanted
    assert {c.id for c in found} == {c["id"] for c in many}


def _page_queries() -> float:
    from prometheus_client import REGISTRY

    labels = {"method": "PonyContainerRepository.page_owned"}
    return REGISTRY.get_sample_value("armory_db_queries_total", labels) or 0.0


async def test_pages_of_an_accounts_containers_cover_them_all_once_in_id_order_a_query_each(
    repo: PonyContainerRepository, any_target: DatabaseTarget
) -> None:
    rng = random.Random(13)
    project = demo.PROJECTS[1]["id"]
    many = [
        {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "account_id": "bob",
            "project_id": project,
            "wap_container_id": f"wap-page-{i:03d}",
            "image": "armory/agent-runtime",
            "tag": "1.4.0",
            "status": "running",
        }
        for i in range(40)
    ]
    seed(any_target, demo.PROJECTS, many)
    bobs = sorted(
        [c["id"] for c in many] + [c["id"] for c in demo.CONTAINERS if c["account_id"] == "bob"]
    )

    listed: list[str] = []
    after, pages, queries = None, 0, _page_queries()
    while True:
        page = await repo.page_owned("bob", after=after, limit=7)
        pages += 1
        assert all(c.account_id == "bob" for c in page)
        listed += [c.id for c in page]
        if len(page) < 7:
            break
        after = page[-1].id

    assert listed == bobs  # every one, once, in id order
    assert pages == len(bobs) // 7 + 1
    assert _page_queries() - queries == pages  # one query a page
    first = await repo.page_owned("alice", after=None, limit=10)
    assert [c.id for c in first] == sorted(
        c["id"] for c in demo.CONTAINERS if c["account_id"] == "alice"
    )
    for listed_one in first:  # what the ownership check reads, field for field
        assert listed_one == await repo.find_owned("alice", listed_one.id)
    # An id after which nothing is, or that is nobody's, is a place in the order all the same.
    assert await repo.page_owned("alice", after=first[-1].id, limit=10) == []
    assert [c.id for c in await repo.page_owned("alice", after=UNKNOWN, limit=10)] == [
        c.id for c in first if c.id > UNKNOWN
    ]
    assert await repo.page_owned("nobody", after=None, limit=10) == []


async def test_the_catalogue_is_newest_first(repo: PonyContainerRepository) -> None:
    tags = [e.tag for e in await repo.catalogue("armory/agent-runtime")]
    assert tags == ["1.5.0", "1.4.0", "1.3.2"]
    assert await repo.catalogue("unknown/image") == []


async def test_one_update_at_a_time_and_the_tag_moves_only_on_success(
    repo: PonyContainerRepository,
) -> None:
    container = await repo.find_owned("alice", ALICE_MAIN)
    assert container is not None
    failed = await repo.begin_update(container, "1.5.0", "alice")
    with pytest.raises(errors.UpdateInProgress):
        await repo.begin_update(container, "1.3.2", "alice")
    await repo.finish_update(failed.id, succeeded=False, error="refused")
    assert (await repo.find_owned("alice", ALICE_MAIN)).tag == "1.4.0"  # type: ignore[union-attr]
    ok = await repo.begin_update(container, "1.5.0", "alice")
    done = await repo.finish_update(ok.id, succeeded=True)
    assert done.status == "completed" and done.finished_at is not None
    assert (await repo.find_owned("alice", ALICE_MAIN)).tag == "1.5.0"  # type: ignore[union-attr]
    history = await repo.history(ALICE_MAIN)
    assert [(u.status, u.error) for u in history] == [("completed", None), ("failed", "refused")]
    assert await repo.history(ALICE_BARE) == []
