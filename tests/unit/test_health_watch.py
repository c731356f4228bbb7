"""The health watch: each poll publishes ``agent-health-update`` for the containers whose
run state or health changed since the last one (the first sighting counts), and remembers
what WAP reported."""

from __future__ import annotations

from service.events import HEALTH_UPDATE
from service.health_memory import KnownHealth
from service.usecases.health_watch import PollHealth, health_changes
from service.wap_types import ContainerResources, HealthEntry
from tests.fakes.health_memory import FakeHealthMemory
from tests.unit.conftest import BARE, MINE, THEIRS, World

DictHealthMemory = FakeHealthMemory
RUNNING_HEALTHY = KnownHealth("running", "healthy")


def _poll(world: World, memory: DictHealthMemory) -> PollHealth:
    return PollHealth(world.wap, world.repository, world.events, memory)


def _published_since(world: World, count: int) -> list[tuple[str, str, str]]:
    """(event name, containerId, health) of what was published after the first ``count``."""
    return [(e.name, p["containerId"], p["health"]) for e, p in world.events.published[count:]]


async def test_the_first_poll_announces_every_known_container_once(world: World) -> None:
    memory = DictHealthMemory()
    assert await _poll(world, memory)() == 3
    assert sorted(_published_since(world, 0)) == sorted(
        (HEALTH_UPDATE, c, "healthy") for c in (MINE, BARE, THEIRS)
    )
    assert world.wap.calls == [("get_all_container_health", ())]
    assert world.repository.count("list_by_wap_ids") == 1


async def test_a_poll_with_the_same_health_publishes_nothing_even_when_resources_changed(
    world: World,
) -> None:
    memory = DictHealthMemory()
    poll = _poll(world, memory)
    await poll()
    world.wap.set_health(world.wap_id(MINE), "healthy", resources=ContainerResources(99.0, 1, 2))
    assert await poll() == 0
    assert len(world.events.published) == 3


async def test_a_change_of_health_publishes_one_event_for_that_container_only(
    world: World,
) -> None:
    poll = _poll(world, DictHealthMemory())
    await poll()
    busy = ContainerResources(87.5, 300 << 20, 512 << 20)
    world.wap.set_health(world.wap_id(MINE), "unhealthy", resources=busy)
    assert await poll() == 1
    [(event, payload)] = world.events.published[3:]
    assert (event.name, event.container_id) == (HEALTH_UPDATE, MINE)
    assert (event.account_id, event.project_id) == ("alice", "project-alice")
    assert {k: v for k, v in payload.items() if k not in ("seq", "time")} == {
        "containerId": MINE,
        "status": "running",
        "health": "unhealthy",
        "resources": {
            "cpuPercent": 87.5,
            "memoryBytes": 300 << 20,
            "memoryLimitBytes": 512 << 20,
        },
    }


async def test_a_stopped_container_announces_health_none(world: World) -> None:
    poll = _poll(world, DictHealthMemory())
    await poll()
    world.wap.containers[world.wap_id(THEIRS)].status = "stopped"
    assert await poll() == 1
    assert _published_since(world, 3) == [(HEALTH_UPDATE, THEIRS, "none")]
    assert world.events.published[-1][0].account_id == "bob"


async def test_wap_ids_we_do_not_know_are_ignored(world: World) -> None:
    world.wap.add_container("wap-launched-elsewhere", health="unhealthy")
    memory = DictHealthMemory()
    assert await _poll(world, memory)() == 3
    assert {c for _, c, _ in _published_since(world, 0)} == {MINE, BARE, THEIRS}
    assert "wap-launched-elsewhere" not in memory.health


async def test_a_container_that_vanished_and_comes_back_is_announced_again(
    world: World,
) -> None:
    memory = DictHealthMemory()
    poll = _poll(world, memory)
    await poll()
    gone = world.wap.containers.pop(world.wap_id(BARE))
    assert await poll() == 0
    world.wap.containers[gone.id] = gone
    assert await poll() == 1
    assert _published_since(world, 3) == [(HEALTH_UPDATE, BARE, "healthy")]


async def test_the_memory_holds_exactly_the_containers_wap_reported(world: World) -> None:
    memory = DictHealthMemory({"long-gone-container": RUNNING_HEALTHY})
    poll = _poll(world, memory)
    world.wap.set_health(world.wap_id(MINE), "starting")
    await poll()
    starting = KnownHealth("running", "starting")
    assert memory.health == {MINE: starting, BARE: RUNNING_HEALTHY, THEIRS: RUNNING_HEALTHY}
    del world.wap.containers[world.wap_id(BARE)]
    await poll()
    assert memory.health == {MINE: starting, THEIRS: RUNNING_HEALTHY}
    assert memory.saves == 2


async def test_a_shared_memory_spares_a_new_poller_from_announcing_everything_again(
    world: World,
) -> None:
    memory = DictHealthMemory(
        {MINE: RUNNING_HEALTHY, BARE: KnownHealth("running", "unhealthy"), THEIRS: RUNNING_HEALTHY}
    )
    assert await _poll(world, memory)() == 1  # another instance had seen these
    assert _published_since(world, 0) == [(HEALTH_UPDATE, BARE, "healthy")]


def test_health_changes_compares_with_the_previous_health_by_container_id(
    world: World,
) -> None:
    mine, theirs = world.repository.containers[MINE], world.repository.containers[THEIRS]
    resources = ContainerResources(1.0, 2, 3)
    moment = world.clock.moment()
    entries = {
        mine.wap_id: HealthEntry(mine.wap_id, "running", "healthy", moment, resources),
        theirs.wap_id: HealthEntry(theirs.wap_id, "running", "unhealthy", moment, resources),
    }
    previous = {MINE: RUNNING_HEALTHY, THEIRS: RUNNING_HEALTHY, BARE: RUNNING_HEALTHY}
    events, current = health_changes(
        previous, [mine, theirs, world.repository.containers[BARE]], entries
    )
    assert [(e.container_id, e.data["health"]) for e in events] == [(THEIRS, "unhealthy")]
    # BARE was not reported
    assert current == {MINE: RUNNING_HEALTHY, THEIRS: KnownHealth("running", "unhealthy")}


async def test_a_change_of_run_state_alone_publishes_with_the_new_status(world: World) -> None:
    poll = _poll(world, DictHealthMemory())
    await poll()
    world.wap.set_health(world.wap_id(MINE), "none")
    assert await poll() == 1  # healthy -> none: a health change
    world.wap.containers[world.wap_id(MINE)].status = "stopped"
    assert await poll() == 1  # the health stays `none`, the run state moved
    _, payload = world.events.published[-1]
    assert (payload["containerId"], payload["status"], payload["health"]) == (
        MINE,
        "stopped",
        "none",
    )


async def test_a_state_a_lifecycle_call_noted_is_announced_again_only_if_wap_differs(
    world: World,
) -> None:
    memory = DictHealthMemory()
    poll = _poll(world, memory)
    await poll()
    memory.health[MINE] = KnownHealth("running", "starting")  # what a restart noted
    memory.health[THEIRS] = RUNNING_HEALTHY  # what WAP reports anyway
    assert await poll() == 1
    assert _published_since(world, 3) == [(HEALTH_UPDATE, MINE, "healthy")]


def test_known_health_reads_what_it_wrote_and_a_bare_health_of_earlier_versions() -> None:
    known = KnownHealth("stopped", "none")
    assert KnownHealth.decode(known.encode()) == known
    assert KnownHealth.decode("healthy") == KnownHealth("unknown", "healthy")
