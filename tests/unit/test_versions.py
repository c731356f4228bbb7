"""Versions: the local catalogue and history, and the update lifecycle.

An update is recorded from start to end, announced when it starts and when it ends,
runs one at a time per container, and is never left ``updating`` by a caller that
goes away.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

import pytest

from service import errors
from service.domain import OwnedContainer, VersionUpdate
from service.events import VERSION_UPDATE
from service.sessions import Caller
from service.usecases.ownership import Ownership
from service.usecases.versions import ListVersions, UpdateVersion
from service.wap_types import ImageUpdate
from tests.fakes.wap import FakeWap
from tests.unit.conftest import ALICE, IMAGE, MINE, THEIRS, World

STALE_SECONDS = 900.0


def _update(world: World, wap: FakeWap | None = None) -> UpdateVersion:
    return UpdateVersion(
        world.ownership,
        world.repository,
        wap or world.wap,
        world.events,
        stale_seconds=STALE_SECONDS,
    )


def _announced(world: World) -> list[dict[str, object]]:
    assert {event.name for event, _ in world.events.published} <= {VERSION_UPDATE}
    return [dict(event.data) for event, _ in world.events.published]


def _announcement(status: str, new_tag: str = "1.5.0") -> dict[str, object]:
    return {"containerId": MINE, "oldTag": "1.4.0", "newTag": new_tag, "status": status}


def _only_update(world: World) -> VersionUpdate:
    (update,) = world.repository.updates.values()
    return update


async def _until(condition: Callable[[], bool]) -> None:
    """Let other tasks run until ``condition`` holds (bounded: never waits on time)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


# --- ListVersions -----------------------------------------------------------------------


async def test_list_versions_answers_the_catalogue_newest_first_without_wap(
    world: World,
) -> None:
    found = await ListVersions(world.ownership, world.repository)(ALICE, MINE)
    assert [entry.tag for entry in found.available] == ["1.5.0", "1.4.0", "1.3.0"]
    assert {entry.image for entry in found.available} == {IMAGE}
    assert found.history == []
    assert found.container == world.repository.containers[MINE]
    assert world.wap.calls == []


async def test_list_versions_answers_the_update_history_newest_first(world: World) -> None:
    update = _update(world)
    first = await update(ALICE, MINE, "1.5.0")
    world.clock.advance(60)
    world.wap.refused_tags.add("1.3.0")
    second = await update(ALICE, MINE, "1.3.0")
    world.wap.calls.clear()

    found = await ListVersions(world.ownership, world.repository)(ALICE, MINE)

    assert [(u.id, u.status) for u in found.history] == [
        (second.id, "failed"),
        (first.id, "completed"),
    ]
    assert world.wap.calls == []


# --- UpdateVersion: the outcomes --------------------------------------------------------


async def test_a_completed_update_is_recorded_moves_the_tag_and_is_announced_twice(
    world: World,
) -> None:
    world.clock.advance(5)
    done = await _update(world)(ALICE, MINE, "1.5.0")

    assert (done.status, done.old_tag, done.new_tag, done.error) == (
        "completed",
        "1.4.0",
        "1.5.0",
        None,
    )
    assert (done.requested_by, done.image, done.container_id) == ("alice", IMAGE, MINE)
    assert done.finished_at == world.clock.moment()
    assert world.repository.updates == {done.id: done}
    assert world.repository.containers[MINE].tag == "1.5.0"
    wap_id = world.wap_id(MINE)
    assert world.wap.calls == [("update_container_image", (wap_id, IMAGE, "1.5.0"))]
    assert world.wap.containers[wap_id].tag == "1.5.0"
    assert _announced(world) == [_announcement("updating"), _announcement("completed")]
    event, _ = world.events.published[0]
    assert (event.project_id, event.account_id) == ("project-alice", "alice")


async def test_an_older_catalogued_tag_is_accepted(world: World) -> None:
    done = await _update(world)(ALICE, MINE, "1.3.0")
    assert done.status == "completed"
    assert world.repository.containers[MINE].tag == "1.3.0"


@pytest.mark.parametrize("tag", ["9.9.9", "1.5", "latest", "2.0.0"])
async def test_a_tag_not_in_the_catalogue_is_refused_with_no_record_and_no_wap_call(
    world: World, tag: str
) -> None:
    # 2.0.0 is released, but for another image: the catalogue is the container's image's.
    world.repository.add_catalogue("armory/other", "2.0.0")
    with pytest.raises(errors.Unprocessable) as caught:
        await _update(world)(ALICE, MINE, tag)
    assert (caught.value.status, caught.value.instance_code) == (422, "unknown_tag")
    assert [e.field for e in caught.value.errors] == ["body.tag"]
    assert world.repository.updates == {}
    assert world.repository.count("begin_update") == 0
    assert world.wap.calls == []
    assert world.events.published == []


async def test_updating_to_the_current_tag_is_a_conflict_with_no_record(world: World) -> None:
    with pytest.raises(errors.Conflict) as caught:
        await _update(world)(ALICE, MINE, "1.4.0")
    assert type(caught.value) is errors.Conflict
    assert caught.value.instance_code == "conflict"
    assert world.repository.updates == {}
    assert world.wap.calls == []
    assert world.events.published == []


async def test_wap_refusing_the_tag_answers_the_recorded_failure(world: World) -> None:
    world.wap.refused_tags.add("1.5.0")
    failed = await _update(world)(ALICE, MINE, "1.5.0")

    assert failed.status == "failed"
    assert failed.error is not None and "1.5.0" in failed.error
    assert failed.finished_at == world.clock.moment()
    assert world.repository.updates == {failed.id: failed}
    assert world.repository.containers[MINE].tag == "1.4.0"
    assert _announced(world) == [_announcement("updating"), _announcement("failed")]


@pytest.mark.parametrize(
    "error",
    [
        errors.UpstreamError("WAP answered 500"),
        errors.UpstreamTimeout("WAP did not answer in 30s"),
        errors.UpstreamUnavailable("connection refused"),
        errors.UpdateInProgress("WAP is already updating it"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_another_wap_error_is_recorded_as_a_failure_and_raised(
    world: World, error: errors.ApiError
) -> None:
    world.wap.fail_next("update_container_image", error)
    with pytest.raises(type(error)) as caught:
        await _update(world)(ALICE, MINE, "1.5.0")
    assert caught.value is error
    update = _only_update(world)
    assert (update.status, update.error) == ("failed", error.detail)
    assert world.repository.containers[MINE].tag == "1.4.0"
    assert _announced(world) == [_announcement("updating"), _announcement("failed")]


async def test_a_failed_update_leaves_the_container_free_for_the_next_one(world: World) -> None:
    world.wap.fail_next("update_container_image", errors.UpstreamTimeout())
    with pytest.raises(errors.UpstreamTimeout):
        await _update(world)(ALICE, MINE, "1.5.0")
    done = await _update(world)(ALICE, MINE, "1.5.0")
    assert done.status == "completed"


# --- UpdateVersion: one at a time, and interruptions ------------------------------------


async def test_a_second_update_while_one_runs_is_refused(world: World) -> None:
    world.wap.update_gate = asyncio.Event()
    update = _update(world)
    first = asyncio.create_task(update(ALICE, MINE, "1.5.0"))
    await _until(lambda: world.wap.containers[world.wap_id(MINE)].updating)

    with pytest.raises(errors.UpdateInProgress) as caught:
        await update(ALICE, MINE, "1.3.0")
    assert (caught.value.status, caught.value.instance_code) == (409, "update_in_progress")
    assert len(world.wap.calls_to("update_container_image")) == 1
    assert _announced(world) == [_announcement("updating")]

    world.wap.update_gate.set()
    done = await first
    assert done.status == "completed"
    assert [u.status for u in world.repository.updates.values()] == ["completed"]


async def test_an_update_whose_caller_goes_away_still_finishes_and_is_recorded(
    world: World,
) -> None:
    world.wap.update_gate = asyncio.Event()
    caller = asyncio.create_task(_update(world)(ALICE, MINE, "1.5.0"))
    await _until(lambda: world.wap.containers[world.wap_id(MINE)].updating)

    caller.cancel()  # the client disconnected mid-update
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert _only_update(world).status == "updating"

    world.wap.update_gate.set()
    await _until(lambda: _only_update(world).status != "updating")
    assert _only_update(world).status == "completed"
    assert world.repository.containers[MINE].tag == "1.5.0"
    assert _announced(world) == [_announcement("updating"), _announcement("completed")]


class _InterruptedWap(FakeWap):
    """A WAP whose image update is torn down (its task cancelled) while it runs."""

    async def update_container_image(self, wap_id: str, image: str, tag: str) -> ImageUpdate:
        self.calls.append(("update_container_image", (wap_id, image, tag)))
        raise asyncio.CancelledError


async def test_an_update_torn_down_inside_wap_is_recorded_as_interrupted(world: World) -> None:
    wap = _InterruptedWap(clock=world.clock)
    wap.containers = world.wap.containers
    with pytest.raises(asyncio.CancelledError):
        await _update(world, wap)(ALICE, MINE, "1.5.0")
    update = _only_update(world)
    assert (update.status, update.error) == ("failed", "interrupted")
    assert update.finished_at == world.clock.moment()
    assert world.repository.containers[MINE].tag == "1.4.0"
    assert _announced(world) == [_announcement("updating"), _announcement("failed")]


# --- UpdateVersion: a compare-and-set on the tag, and stale records ---------------------


class _StaleOwnership(Ownership):
    """Answers the container as it was when built, as a cache that has not caught up
    with a change would."""

    def __init__(self, world: World) -> None:
        super().__init__(world.repository)
        self.snapshot = world.repository.containers[MINE]

    async def container(self, caller: Caller, container_id: str) -> OwnedContainer:
        return self.snapshot


def _from_stale_answers(world: World) -> UpdateVersion:
    return UpdateVersion(
        _StaleOwnership(world),
        world.repository,
        world.wap,
        world.events,
        stale_seconds=STALE_SECONDS,
    )


async def test_an_update_begun_from_a_stale_answer_records_the_tag_really_run(
    world: World,
) -> None:
    update = _from_stale_answers(world)  # it answers tag 1.4.0 throughout
    await update(ALICE, MINE, "1.5.0")
    world.events.published.clear()

    with pytest.raises(errors.Conflict) as caught:
        await update(ALICE, MINE, "1.5.0")  # what the container runs by now
    assert (type(caught.value), caught.value.instance_code) == (errors.Conflict, "conflict")
    assert len(world.wap.calls_to("update_container_image")) == 1
    assert world.events.published == []

    moved_back = await update(ALICE, MINE, "1.3.0")
    assert (moved_back.old_tag, moved_back.new_tag) == ("1.5.0", "1.3.0")
    assert [(e["oldTag"], e["status"]) for e in _announced(world)] == [
        ("1.5.0", "updating"),
        ("1.5.0", "completed"),
    ]


@pytest.mark.parametrize("overlapping", [True, False], ids=["at-once", "one-after-another"])
async def test_of_fifty_requests_from_the_same_answer_exactly_one_updates(
    world: World, overlapping: bool
) -> None:
    update = _from_stale_answers(world)
    if overlapping:
        outcomes = await asyncio.gather(
            *(update(ALICE, MINE, "1.5.0") for _ in range(50)), return_exceptions=True
        )
    else:  # each begins after the one before has finished: the answer is stale by then
        outcomes = []
        for _ in range(50):
            try:
                outcomes.append(await update(ALICE, MINE, "1.5.0"))
            except errors.ApiError as exc:
                outcomes.append(exc)

    won = [o for o in outcomes if isinstance(o, VersionUpdate)]
    refused = [o for o in outcomes if isinstance(o, errors.Conflict)]
    assert len(won) == 1 and len(refused) == 49
    assert {(r.status, r.instance_code) for r in refused} <= {
        (409, "update_in_progress"),
        (409, "conflict"),
    }
    assert (won[0].status, won[0].old_tag) == ("completed", "1.4.0")
    assert len(world.wap.calls_to("update_container_image")) == 1
    assert _announced(world) == [_announcement("updating"), _announcement("completed")]
    assert list(world.repository.updates.values()) == won


def _left_updating(world: World, *, age: float) -> VersionUpdate:
    """An update a process began ``age`` seconds ago and never finished (it stopped)."""
    began = world.clock.moment()
    update = VersionUpdate(
        id="0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
        container_id=MINE,
        image=IMAGE,
        old_tag="1.4.0",
        new_tag="1.3.0",
        status="updating",
        requested_by="alice",
        started_at=began,
    )
    world.repository.updates[update.id] = update
    world.clock.advance(age)
    return update


async def test_an_update_left_updating_past_the_timeout_is_interrupted_and_no_longer_blocks(
    world: World,
) -> None:
    left = _left_updating(world, age=STALE_SECONDS + 1)

    done = await _update(world)(ALICE, MINE, "1.5.0")

    assert (done.status, done.old_tag) == ("completed", "1.4.0")
    interrupted = world.repository.updates[left.id]
    assert (interrupted.status, interrupted.finished_at) == ("interrupted", world.clock.moment())
    assert interrupted.error is not None and "900 s" in interrupted.error
    assert _announced(world) == [
        {"containerId": MINE, "oldTag": "1.4.0", "newTag": "1.3.0", "status": "interrupted"},
        _announcement("updating"),
        _announcement("completed"),
    ]
    history = await ListVersions(world.ownership, world.repository)(ALICE, MINE)
    assert [(u.id, u.status) for u in history.history] == [
        (done.id, "completed"),
        (left.id, "interrupted"),
    ]


async def test_an_update_updating_for_less_than_the_timeout_still_blocks(world: World) -> None:
    left = _left_updating(world, age=STALE_SECONDS - 1)

    with pytest.raises(errors.UpdateInProgress):
        await _update(world)(ALICE, MINE, "1.5.0")

    assert world.repository.updates == {left.id: left}
    assert world.wap.calls == []
    assert world.events.published == []


async def test_a_stale_update_of_another_container_is_left_alone(world: World) -> None:
    theirs = dataclasses.replace(
        _left_updating(world, age=STALE_SECONDS + 1), container_id=THEIRS
    )
    world.repository.updates[theirs.id] = theirs

    assert (await _update(world)(ALICE, MINE, "1.5.0")).status == "completed"
    assert world.repository.updates[theirs.id] == theirs
