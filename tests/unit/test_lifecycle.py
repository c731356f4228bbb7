"""ChangeState: restart, stop and start reach WAP and answer WAP's state."""

from __future__ import annotations

import pytest

from service import errors
from service.usecases.lifecycle import Action, ChangeState
from service.wap_types import ContainerState
from tests.unit.conftest import ALICE, BARE, MINE, World


def _change(world: World) -> ChangeState:
    return ChangeState(world.ownership, world.wap)


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
    assert world.events.published == []


async def test_stopping_a_stopped_agent_answers_wap_s_conflict(world: World) -> None:
    change = _change(world)
    await change(ALICE, MINE, "stop")
    with pytest.raises(errors.Conflict) as caught:
        await change(ALICE, MINE, "stop")
    assert type(caught.value) is errors.Conflict
    assert (caught.value.status, caught.value.instance_code) == (409, "conflict")
    assert [name for name, _ in world.wap.calls] == ["stop_container", "stop_container"]


async def test_starting_a_running_agent_answers_wap_s_conflict(world: World) -> None:
    with pytest.raises(errors.Conflict) as caught:
        await _change(world)(ALICE, MINE, "start")
    assert caught.value.instance_code == "conflict"
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


@pytest.mark.parametrize("action", ["restart", "stop", "start"])
async def test_an_agent_without_the_restart_capability_cannot_change_state(
    world: World, action: Action
) -> None:
    with pytest.raises(errors.CapabilityMissing) as caught:
        await _change(world)(ALICE, BARE, action)
    assert caught.value.instance_code == "capability_missing"
    assert caught.value.extra == {"capability": "restart"}
    assert world.wap.calls == []
