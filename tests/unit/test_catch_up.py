"""Catch-up: the events of a container that a client missed, from the publisher's kept
window; WAP is never asked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from service import errors
from service.events import CONFIG_RELOADED, FILE_CHANGED, AgentEvent
from service.usecases.catch_up import CatchUp
from tests.fakes.events import RecordingEventPublisher
from tests.unit.conftest import ALICE, BARE, BOB, MINE, THEIRS, UNKNOWN, World


async def _publish(
    events: RecordingEventPublisher, world: World, container_id: str, n: int
) -> None:
    container = world.repository.containers[container_id]
    for i in range(n):
        path = f"/app/data/file-{i}.txt"
        await events.publish(AgentEvent.about(container, FILE_CHANGED, path=path, action="created"))


def _seqs(missed_events: Sequence[Mapping[str, Any]]) -> list[int]:
    return [int(e["data"]["seq"]) for e in missed_events]


async def test_catch_up_returns_the_events_after_since_oldest_first(world: World) -> None:
    await _publish(world.events, world, MINE, 5)
    missed = await CatchUp(world.ownership, world.events)(ALICE, MINE, 2)
    assert _seqs(missed.events) == [3, 4, 5]
    assert missed.latest_seq == 5


async def test_catch_up_from_zero_returns_everything_kept_as_event_and_payload(
    world: World,
) -> None:
    container = world.repository.containers[MINE]
    await _publish(world.events, world, MINE, 1)
    reload = AgentEvent.about(container, CONFIG_RELOADED, files=["/app/config/instructions/a"])
    await world.events.publish(reload)
    missed = await CatchUp(world.ownership, world.events)(ALICE, MINE, 0)
    assert [e["event"] for e in missed.events] == [FILE_CHANGED, CONFIG_RELOADED]
    assert missed.events[1]["data"] == {
        "containerId": MINE,
        "files": ["/app/config/instructions/a"],
        "seq": 2,
        "time": "2026-01-01T00:00:00+00:00",
    }


async def test_a_client_up_to_date_gets_nothing_and_the_latest_seq(world: World) -> None:
    await _publish(world.events, world, MINE, 3)
    catch_up = CatchUp(world.ownership, world.events)
    for since in (3, 10):
        missed = await catch_up(ALICE, MINE, since)
        assert (list(missed.events), missed.latest_seq) == ([], 3)


async def test_the_latest_seq_is_zero_when_nothing_is_kept(world: World) -> None:
    await _publish(world.events, world, BARE, 2)  # another container's events
    missed = await CatchUp(world.ownership, world.events)(ALICE, MINE, 0)
    assert (list(missed.events), missed.latest_seq) == ([], 0)


async def test_catch_up_holds_only_that_containers_events(world: World) -> None:
    await _publish(world.events, world, MINE, 2)
    await _publish(world.events, world, THEIRS, 4)
    await _publish(world.events, world, BARE, 3)
    await _publish(world.events, world, MINE, 1)
    missed = await CatchUp(world.ownership, world.events)(ALICE, MINE, 0)
    assert {e["data"]["containerId"] for e in missed.events} == {MINE}
    assert (_seqs(missed.events), missed.latest_seq) == ([1, 2, 3], 3)


@pytest.mark.parametrize(
    "since, expected", [(0, [4, 5, 6]), (2, [4, 5, 6]), (4, [5, 6]), (6, [])]
)
async def test_the_publishers_window_bounds_what_is_kept(
    world: World, since: int, expected: list[int]
) -> None:
    events = RecordingEventPublisher(window=3, clock=world.clock)
    await _publish(events, world, MINE, 6)
    missed = await CatchUp(world.ownership, events)(ALICE, MINE, since)
    assert (_seqs(missed.events), missed.latest_seq) == (expected, 6)


async def test_catch_up_never_calls_wap(world: World) -> None:
    await _publish(world.events, world, MINE, 2)
    await CatchUp(world.ownership, world.events)(ALICE, MINE, 0)
    assert world.wap.calls == []


@pytest.mark.parametrize("container_id", [THEIRS, UNKNOWN], ids=["foreign", "unknown"])
async def test_catching_up_on_a_container_not_owned_is_forbidden(
    world: World, container_id: str
) -> None:
    await _publish(world.events, world, THEIRS, 2)
    with pytest.raises(errors.Forbidden) as refused:
        await CatchUp(world.ownership, world.events)(ALICE, container_id, 0)
    assert refused.value.instance_code == "container_forbidden"
    bobs = await CatchUp(world.ownership, world.events)(BOB, THEIRS, 0)
    assert bobs.latest_seq == 2  # the owner still sees them
