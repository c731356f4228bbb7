"""ChangeState: restart, stop and start reach WAP, answer WAP's state, and announce it at
once (``agent-health-update`` with ``status``), noting it in the health memory."""

from __future__ import annotations

import pytest

from service import errors
from service.events import HEALTH_UPDATE
from service.health_memory import KnownHealth
from service.usecases.lifecycle import Action, ChangeState
from service.wap_types import ContainerState
from tests.unit.conftest import ALICE, BARE, MINE, World


def _change(world: World) -> ChangeState:
    return ChangeState(world.ownership, world.wap, world.events, world.memory)


@pytest.mark.parametrize(
    ("action", "method", "initial", "final"),
    [
        ("restart", "restart_container", "running", "running"),
        ("stop", "stop_container", "running", "stopped"),
        ("start", "start_container", "stopped", "running"),
    ],
)
async def test_each_action_reaches_its_wap_method_and_answers_wap_s_state(
    world: World, action: Action, method: str, initial: str, final: str
) -> None:
    wap_id = world.wap_id(MINE)
    world.wap.containers[wap_id].status = initial  # type: ignore[assignment]
    world.clock.advance(42)

    state = await _change(world)(ALICE, MINE, action)

    assert world.wap.calls == [(method, (wap_id,))]
    assert state == ContainerState(wap_id, final, world.clock.moment())  # type: ignore[arg-type]
    assert world.wap.containers[wap_id].status == final


@pytest.mark.parametrize(
    ("action", "initial", "status", "health"),
    [
        ("restart", "running", "running", "starting"),
        ("stop", "running", "stopped", "none"),
        ("start", "stopped", "running", "starting"),
    ],
)
async def test_a_successful_action_announces_the_new_state_at_once_and_remembers_it(
    world: World, action: Action, initial: str, status: str, health: str
) -> None:
    world.wap.containers[world.wap_id(MINE)].status = initial  # type: ignore[assignment]
    world.memory.health[MINE] = KnownHealth(initial, "healthy" if initial == "running" else "none")

    await _change(world)(ALICE, MINE, action)

    [(event, payload)] = world.events.published
    assert (event.name, event.container_id, event.account_id) == (HEALTH_UPDATE, MINE, "alice")
    assert event.project_id == "project-alice"
    assert {k: v for k, v in payload.items() if k not in ("seq", "time")} == {
        "containerId": MINE,
        "status": status,
        "health": health,
        "resources": None,
    }
    assert world.memory.health[MINE] == KnownHealth(status, health)
    assert world.wap.calls == [(f"{action}_container", (world.wap_id(MINE),))]  # nothing more


async def test_an_unreadable_health_memory_neither_fails_the_action_nor_its_event(
    world: World,
) -> None:
    world.memory.error = ConnectionError("redis went away")
    state = await _change(world)(ALICE, MINE, "stop")
    assert state.status == "stopped"
    assert [(e.name, p["status"]) for e, p in world.events.published] == [
        (HEALTH_UPDATE, "stopped")
    ]


async def test_stopping_a_stopped_agent_answers_wap_s_conflict(world: World) -> None:
    change = _change(world)
    await change(ALICE, MINE, "stop")
    with pytest.raises(errors.Conflict) as caught:
        await change(ALICE, MINE, "stop")
    assert type(caught.value) is errors.Conflict
    assert (caught.value.status, caught.value.instance_code) == (409, "conflict")
    assert caught.value.detail == "The container is already stopped."
    assert [name for name, _ in world.wap.calls] == ["stop_container", "stop_container"]
    assert len(world.events.published) == 1  # the first stop's; the refused one announces nothing
    assert world.memory.health[MINE] == KnownHealth("stopped", "none")


async def test_starting_a_running_agent_answers_wap_s_conflict(world: World) -> None:
    with pytest.raises(errors.Conflict) as caught:
        await _change(world)(ALICE, MINE, "start")
    assert caught.value.instance_code == "conflict"
    assert caught.value.detail == (
        "The container is not stopped: it is already running or restarting."
    )
    assert world.wap.containers[world.wap_id(MINE)].status == "running"


@pytest.mark.parametrize(
    "error", [errors.UpstreamUnavailable(), errors.UpstreamTimeout(), errors.NotFound()]
)
async def test_a_wap_failure_of_a_state_change_is_raised_unchanged(
    world: World, error: errors.ApiError
) -> None:
    world.wap.fail_next("restart_container", error)
    with pytest.raises(type(error)) as caught:
        await _change(world)(ALICE, MINE, "restart")
    assert caught.value is error
    assert world.events.published == [] and world.memory.health == {}


@pytest.mark.parametrize("action", ["restart", "stop", "start"])
async def test_an_agent_without_the_restart_capability_cannot_change_state(
    world: World, action: Action
) -> None:
    with pytest.raises(errors.CapabilityMissing) as caught:
        await _change(world)(ALICE, BARE, action)
    assert caught.value.instance_code == "capability_missing"
    assert caught.value.extra == {"capability": "restart"}
    assert world.wap.calls == []
    assert world.events.published == [] and world.memory.health == {}
