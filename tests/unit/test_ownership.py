"""Ownership and capabilities, through every use case that takes a container id.

A foreign id and an unknown id must be indistinguishable (the same 403, no existence
oracle), and both refusals and missing capabilities must come before any WAP call and
before any event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest

from service import errors
from service.domain import CAP_FILE_READ, CAP_FILE_WRITE, AccessParameters, OwnedContainer
from service.events import FILE_CHANGED, AgentEvent
from service.sessions import Caller
from service.usecases import catch_up, environment, files, lifecycle, monitoring, versions
from service.usecases.ownership import Ownership
from tests.fakes.repository import FakeContainerRepository
from tests.unit.conftest import ALICE, BARE, BOB, IMAGE, MINE, THEIRS, UNKNOWN, World

MAX_BYTES = 1 << 20
READER = "a11ce000-0000-4000-8000-0000000000a1"  # file.read only
WRITER = "a11ce000-0000-4000-8000-0000000000a2"  # file.write only

Invoke = Callable[[World, Caller, str], Awaitable[object]]


@dataclass(frozen=True)
class UseCaseCall:
    """One use case, built as ``service.http.app.routes`` builds it, called with valid
    arguments for alice's own agent."""

    name: str
    invoke: Invoke

    def __repr__(self) -> str:
        return self.name


def _logs() -> monitoring.LogOptions:
    return monitoring.log_options(None, None, False)


CALLS = [
    UseCaseCall(
        "ChangeState",
        lambda w, c, i: lifecycle.ChangeState(w.ownership, w.wap, w.events, w.memory)(
            c, i, "restart"
        ),
    ),
    UseCaseCall(
        "ListVersions",
        lambda w, c, i: versions.ListVersions(w.ownership, w.repository)(c, i),
    ),
    UseCaseCall(
        "UpdateVersion",
        lambda w, c, i: versions.UpdateVersion(
            w.ownership, w.repository, w.wap, w.events, stale_seconds=900
        )(c, i, "1.5.0"),
    ),
    UseCaseCall(
        "ListFiles",
        lambda w, c, i: files.ListFiles(w.ownership, w.wap)(c, i, "/app/config"),
    ),
    UseCaseCall(
        "ListFiles(roots)",
        lambda w, c, i: files.ListFiles(w.ownership, w.wap)(c, i, None),
    ),
    UseCaseCall(
        "ReadFile",
        lambda w, c, i: files.ReadFile(w.ownership, w.wap, max_file_bytes=MAX_BYTES, clock=w.clock)(
            c, i, "/app/config/agent.yaml"
        ),
    ),
    UseCaseCall(
        "OpenFile",
        lambda w, c, i: files.OpenFile(w.ownership, w.wap, w.streams)(
            c, i, "/app/config/agent.yaml"
        ),
    ),
    UseCaseCall(
        "WriteFile",
        lambda w, c, i: files.WriteFile(w.ownership, w.wap, w.events, max_file_bytes=MAX_BYTES)(
            c, i, "/app/data/new.txt", "hello", "utf-8", if_match=None
        ),
    ),
    UseCaseCall(
        "DeleteFile",
        lambda w, c, i: files.DeleteFile(w.ownership, w.wap, w.events)(
            c, i, "/app/config/agent.yaml", if_match=None
        ),
    ),
    UseCaseCall("GetHealth", lambda w, c, i: monitoring.GetHealth(w.ownership, w.wap)(c, i)),
    UseCaseCall("GetStats", lambda w, c, i: monitoring.GetStats(w.ownership, w.wap)(c, i)),
    UseCaseCall("ReadLogs", lambda w, c, i: monitoring.ReadLogs(w.ownership, w.wap)(c, i, _logs())),
    UseCaseCall(
        "FollowLogs",
        lambda w, c, i: monitoring.FollowLogs(w.ownership, w.wap, w.streams)(c, i, _logs()),
    ),
    UseCaseCall(
        "ReadEnv",
        lambda w, c, i: environment.ReadEnv(w.ownership, w.wap)(c, i, reveal=True),
    ),
    UseCaseCall(
        "PatchEnv",
        lambda w, c, i: environment.PatchEnv(w.ownership, w.wap, ("PATH",))(
            c, i, {"LOG_LEVEL": "debug"}
        ),
    ),
    UseCaseCall("CatchUp", lambda w, c, i: catch_up.CatchUp(w.ownership, w.events)(c, i, 0)),
]


async def _refusal(
    world: World, call: UseCaseCall, caller: Caller, container_id: str
) -> errors.Forbidden:
    with pytest.raises(errors.Forbidden) as caught:
        await call.invoke(world, caller, container_id)
    return caught.value


def _same(error: errors.ApiError) -> tuple[object, ...]:
    return (type(error), error.status, error.instance_code, error.detail, error.problem())


# --- the same 403 for a foreign and an unknown id ---------------------------------------


@pytest.mark.parametrize("call", CALLS, ids=repr)
async def test_a_foreign_and_an_unknown_container_answer_the_same_403(
    world: World, call: UseCaseCall
) -> None:
    # Something bob's agent has published, which a leak would hand to alice.
    bobs = world.repository.containers[THEIRS]
    await world.events.publish(AgentEvent.about(bobs, FILE_CHANGED, path="/x", action="created"))
    published = list(world.events.published)

    foreign = await _refusal(world, call, ALICE, THEIRS)
    unknown = await _refusal(world, call, ALICE, UNKNOWN)

    assert type(foreign) is errors.Forbidden
    assert (foreign.status, foreign.instance_code) == (403, "container_forbidden")
    assert _same(foreign) == _same(unknown)
    assert (foreign.errors, foreign.extra) == (unknown.errors, unknown.extra) == ((), {})
    assert world.wap.calls == []
    assert world.events.published == published
    assert world.repository.updates == {}


@pytest.mark.parametrize("call", CALLS, ids=repr)
async def test_the_owner_of_a_container_gets_past_the_ownership_check(
    world: World, call: UseCaseCall
) -> None:
    # The refusal above must come from ownership, not from arguments that always fail.
    result = await call.invoke(world, ALICE, MINE)
    assert result is not None
    aclose = getattr(result, "aclose", None)
    if aclose is not None:
        await aclose()


async def test_bob_is_refused_alice_s_agent_as_alice_is_refused_bob_s(world: World) -> None:
    read = files.ReadFile(world.ownership, world.wap, max_file_bytes=MAX_BYTES, clock=world.clock)
    with pytest.raises(errors.Forbidden) as caught:
        await read(BOB, MINE, "/app/config/agent.yaml")
    assert type(caught.value) is errors.Forbidden
    assert world.wap.calls == []


async def test_ownership_is_looked_up_with_the_caller_s_account(world: World) -> None:
    found = await world.ownership.container(ALICE, MINE)
    assert found == world.repository.containers[MINE]
    assert world.repository.queries == [("find_owned", ("alice", MINE))]


class _CarelessRepository(FakeContainerRepository):
    """A repository whose lookup forgets to filter by account."""

    async def find_owned(self, account_id: str, container_id: str) -> OwnedContainer | None:
        return self.containers.get(container_id)


async def test_a_container_of_another_account_from_the_repository_is_still_refused(
    world: World,
) -> None:
    careless = _CarelessRepository(world.repository.containers.values())
    with pytest.raises(errors.Forbidden) as caught:
        await Ownership(careless).container(ALICE, THEIRS)
    assert type(caught.value) is errors.Forbidden
    assert caught.value.instance_code == "container_forbidden"


# --- capabilities -----------------------------------------------------------------------


@pytest.fixture
def partial(world: World) -> World:
    """Adds alice's READER (file.read only) and WRITER (file.write only) agents, both
    with the usual access parameters."""
    access = AccessParameters(writable_paths=("/app/config", "/app/data"))
    for container_id, capability in ((READER, CAP_FILE_READ), (WRITER, CAP_FILE_WRITE)):
        added = world.repository.add_container(
            container_id,
            account_id="alice",
            project_id="project-alice",
            image=IMAGE,
            capabilities=(capability,),
            access=access,
        )
        world.wap.add_container(
            added.wap_id, image=IMAGE, files={"/app/config/agent.yaml": b"name: agent\n"}
        )
    return world


@dataclass(frozen=True)
class Gated:
    name: str
    container_id: str
    capability: str
    invoke: Invoke

    def __repr__(self) -> str:
        return self.name


_BY_NAME = {call.name: call.invoke for call in CALLS}


def _change(action: lifecycle.Action) -> Invoke:
    return lambda w, c, i: lifecycle.ChangeState(w.ownership, w.wap, w.events, w.memory)(
        c, i, action
    )


GATED = [
    Gated("restart", BARE, "restart", _change("restart")),
    Gated("stop", BARE, "restart", _change("stop")),
    Gated("start", BARE, "restart", _change("start")),
    Gated("list", WRITER, "file.read", _BY_NAME["ListFiles"]),
    Gated("list roots", WRITER, "file.read", _BY_NAME["ListFiles(roots)"]),
    Gated("read", WRITER, "file.read", _BY_NAME["ReadFile"]),
    Gated("open", WRITER, "file.read", _BY_NAME["OpenFile"]),
    Gated("write", READER, "file.write", _BY_NAME["WriteFile"]),
    Gated("delete", READER, "file.write", _BY_NAME["DeleteFile"]),
]


@pytest.mark.parametrize("gated", GATED, ids=repr)
async def test_an_operation_without_its_capability_is_refused_before_wap(
    partial: World, gated: Gated
) -> None:
    with pytest.raises(errors.CapabilityMissing) as caught:
        await gated.invoke(partial, ALICE, gated.container_id)
    error = caught.value
    assert (error.status, error.instance_code) == (403, "capability_missing")
    assert error.extra == {"capability": gated.capability}
    assert error.problem()["capability"] == gated.capability
    assert partial.wap.calls == []
    assert partial.events.published == []


async def test_an_agent_with_file_read_only_can_still_read(partial: World) -> None:
    read = files.ReadFile(
        partial.ownership, partial.wap, max_file_bytes=MAX_BYTES, clock=partial.clock
    )
    found = await read(ALICE, READER, "/app/config/agent.yaml")
    assert found.content == "name: agent\n"


async def test_an_agent_with_file_write_only_can_still_write(partial: World) -> None:
    write = files.WriteFile(
        partial.ownership, partial.wap, partial.events, max_file_bytes=MAX_BYTES
    )
    await write(ALICE, WRITER, "/app/data/new.txt", "hi", "utf-8", if_match=None)
    assert partial.wap.content_of(partial.wap_id(WRITER), "/app/data/new.txt") == b"hi"
