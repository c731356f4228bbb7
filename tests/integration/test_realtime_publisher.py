"""The Socket.io publisher and its in-memory log, with a recording fake of the server."""

from __future__ import annotations

from typing import Any

from service import demo
from service.domain import OwnedContainer
from service.events import FILE_CHANGED, AgentEvent
from service.realtime.eventlog import MemoryEventLog, Stored
from service.realtime.publisher import SocketIOEventPublisher
from tests.fixtures.events import assert_event

ALICE = OwnedContainer(
    id=demo.CONTAINERS[0]["id"],
    account_id="alice",
    project_id=demo.PROJECTS[0]["id"],
    wap_id="wap-alice-researcher",
    image="armory/agent-runtime",
    tag="1.4.0",
    status="running",
)


class FakeSio:
    """Records emits like ``socketio.AsyncServer.emit``; can be told to fail."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.emitted: list[tuple[str, Any, str]] = []

    async def emit(self, event: str, data: Any, *, room: str, namespace: str) -> None:
        if self.fail:
            raise ConnectionError("the message queue is down")
        self.emitted.append((event, data, room))


class BrokenLog(MemoryEventLog):
    async def next_seq(self, container_id: str) -> int:
        raise ConnectionError("Redis is down")


class UnwritableLog(MemoryEventLog):
    async def append(self, container_id: str, seq: int, stored: Stored) -> None:
        raise ConnectionError("Redis is down")


def _changed(path: str) -> AgentEvent:
    return AgentEvent.about(ALICE, FILE_CHANGED, path=path, action="created")


async def test_an_event_goes_to_the_room_of_its_project_and_owner_stamped_and_kept() -> None:
    sio = FakeSio()
    publisher = SocketIOEventPublisher(sio, MemoryEventLog(10))
    payload = await publisher.publish(_changed("/app/data/a"))
    assert_event(FILE_CHANGED, payload)
    assert payload["seq"] == 1 and payload["time"].endswith("Z")
    room = f"project:{ALICE.project_id}:account:alice"
    assert sio.emitted == [(FILE_CHANGED, payload, room)]
    assert await publisher.since(ALICE.id, 0) == [{"event": FILE_CHANGED, "data": payload}]


async def test_the_window_keeps_only_the_most_recent_events_in_order() -> None:
    publisher = SocketIOEventPublisher(FakeSio(), MemoryEventLog(3))
    for index in range(5):
        await publisher.publish(_changed(f"/f{index}"))
    assert [e["data"]["seq"] for e in await publisher.since(ALICE.id, 0)] == [3, 4, 5]
    assert [e["data"]["seq"] for e in await publisher.since(ALICE.id, 4)] == [5]
    assert await publisher.since("another-container", 0) == []


async def test_a_log_that_cannot_number_still_lets_local_sockets_hear_the_event() -> None:
    sio = FakeSio()
    publisher = SocketIOEventPublisher(sio, BrokenLog(10))
    first = await publisher.publish(_changed("/a"))
    second = await publisher.publish(_changed("/b"))
    assert [p["seq"] for _, p, _ in sio.emitted] == [first["seq"], second["seq"]] == [1, 2]
    assert await publisher.since(ALICE.id, 0) == []  # not kept: nothing to catch up from


async def test_delivery_failures_are_logged_not_raised() -> None:
    kept = SocketIOEventPublisher(FakeSio(fail=True), MemoryEventLog(10))
    payload = await kept.publish(_changed("/a"))
    assert [e["data"] for e in await kept.since(ALICE.id, 0)] == [payload]

    unkept = SocketIOEventPublisher(FakeSio(), UnwritableLog(10))
    assert (await unkept.publish(_changed("/a")))["seq"] == 1
