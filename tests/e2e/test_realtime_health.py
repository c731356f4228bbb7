"""The health monitor: polls WAP's bulk health, announces each container once, then only
changes of health; survives a failing WAP; runs with the app (ASGI lifespan)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from service import demo
from service.adapters.database import DatabaseTarget
from service.adapters.pony_repository import PonyContainerRepository
from service.adapters.wap_client import WapClient
from service.events import HEALTH_UPDATE
from service.realtime.health import HealthMonitor, MemoryHealthMemory
from service.realtime.leader import SoleInstance
from service.usecases.health_watch import PollHealth
from tests.conftest import running_service
from tests.fakes.events import RecordingEventPublisher
from tests.fixtures.events import assert_event
from tests.fixtures.shared_project import add_bob_to_alices_project
from tests.fixtures.sockets import Listener, on_server
from tests.operations import ALICE_MAIN

ALICE_MAIN_WAP = demo.CONTAINERS[0]["wap_container_id"]


@pytest.fixture
async def monitor(settings: Any, demo_db: DatabaseTarget) -> AsyncIterator[HealthMonitor]:
    """A monitor on the real WAP client and repository, publishing to a recorder."""
    repository = PonyContainerRepository(demo_db)
    await repository.start()
    try:
        async with WapClient(settings) as wap:
            events = RecordingEventPublisher()
            monitor = HealthMonitor(
                poll=PollHealth(wap, repository, events, MemoryHealthMemory()),
                leadership=SoleInstance(),
                interval_seconds=0.05,
                poll_timeout_seconds=2,
            )
            monitor.recorded = events  # type: ignore[attr-defined]
            yield monitor
    finally:
        await repository.stop()


def _published(monitor: HealthMonitor) -> list[dict[str, Any]]:
    events = monitor.recorded  # type: ignore[attr-defined]
    assert isinstance(events, RecordingEventPublisher)
    return [payload for event, payload in events.published if event.name == HEALTH_UPDATE]


async def test_each_container_is_announced_once_then_only_when_its_health_changes(
    monitor: HealthMonitor, wap_stub: Any
) -> None:
    first = await monitor.poll_once()
    announced = _published(monitor)
    assert first == len(announced) == len(demo.CONTAINERS)
    for payload in announced:
        assert_event(HEALTH_UPDATE, payload)
    by_id = {p["containerId"]: p["health"] for p in announced}
    assert by_id[demo.CONTAINERS[2]["id"]] == "none"  # the stopped one
    assert by_id[ALICE_MAIN] == "healthy"

    assert await monitor.poll_once() == 0  # resources move, health does not

    wap_stub.set_health(ALICE_MAIN_WAP, "unhealthy")
    assert await monitor.poll_once() == 1
    change = _published(monitor)[-1]
    assert (change["containerId"], change["health"]) == (ALICE_MAIN, "unhealthy")
    assert set(change["resources"]) == {"cpuPercent", "memoryBytes", "memoryLimitBytes"}
    assert await monitor.poll_once() == 0


async def test_a_container_only_wap_knows_is_never_announced(
    monitor: HealthMonitor, wap_stub: Any
) -> None:
    seed = demo.wap_seed()
    seed["containers"].append({**seed["containers"][0], "id": "wap-not-ours"})
    wap_stub.reset(seed)
    assert await monitor.poll_once() == len(demo.CONTAINERS)
    assert len(wap_stub.calls("getAllContainerHealth")) == 1


async def test_a_failing_wap_is_logged_and_polling_goes_on(
    monitor: HealthMonitor, wap_stub: Any, caplog: pytest.LogCaptureFixture
) -> None:
    wap_stub.fault("status", "getAllContainerHealth", status=503, times=2)
    caplog.set_level(logging.WARNING, logger="armory.realtime")
    await monitor.start()
    try:
        async with asyncio.timeout(5):
            while not _published(monitor):
                await asyncio.sleep(0.05)
        assert monitor.polls >= 3
        assert sum("health poll failed" in r.getMessage() for r in caplog.records) == 2
    finally:
        await monitor.stop()
    assert not monitor.running


async def test_a_socket_hears_a_health_change_once_and_a_neighbour_hears_nothing(
    settings: Any, demo_db: DatabaseTarget, token: Any, wap_stub: Any
) -> None:
    add_bob_to_alices_project(demo_db)
    with running_service(settings, health_monitor=True) as service:
        monitor = service.app.ctx.health_monitor
        events = service.app.ctx.events
        # Let the first poll announce every container before anyone listens.
        async with asyncio.timeout(5):
            while not await on_server(service.app, events.since(ALICE_MAIN, 0)):
                await asyncio.sleep(0.05)
        async with (
            Listener.connect(service.sio_url, token=token("alice")) as alice,
            Listener.connect(service.sio_url, token=token("bob")) as bob,
        ):
            wap_stub.set_health(ALICE_MAIN_WAP, "unhealthy")
            name, payload = await alice.next(timeout=5)
            assert name == HEALTH_UPDATE
            assert_event(name, payload)
            assert (payload["containerId"], payload["health"]) == (ALICE_MAIN, "unhealthy")
            polls = monitor.polls
            assert await alice.drain(1.0) == []  # about five more polls, no change
            assert monitor.polls >= polls + 3
            assert await bob.drain(0.0) == []
        assert monitor.running
    assert not monitor.running


async def test_a_lifecycle_call_is_announced_to_the_owner_at_once_without_a_poll(
    settings: Any, demo_db: DatabaseTarget, token: Any
) -> None:
    add_bob_to_alices_project(demo_db)
    with running_service(settings, health_monitor=False) as service:  # no poll ever
        async with (
            Listener.connect(service.sio_url, token=token("alice")) as alice,
            Listener.connect(service.sio_url, token=token("bob")) as bob,
        ):
            for action, status, health in (
                ("stop", "stopped", "none"),
                ("start", "running", "starting"),
            ):
                answer = await asyncio.to_thread(
                    service.client.post,
                    f"/v1/agents/{ALICE_MAIN}/{action}",
                    headers=service.as_(token("alice")),
                )
                assert answer.status_code == 200, answer.text
                name, payload = await alice.next(timeout=5)
                assert name == HEALTH_UPDATE
                assert_event(name, payload)
                assert (payload["containerId"], payload["status"], payload["health"]) == (
                    ALICE_MAIN,
                    status,
                    health,
                )
                assert payload["resources"] is None
            # Bob's first event is about his own container: he heard nothing of alice's.
            bobs = demo.CONTAINERS[3]["id"]
            stopped = await asyncio.to_thread(
                service.client.post, f"/v1/agents/{bobs}/stop", headers=service.as_(token("bob"))
            )
            assert stopped.status_code == 200
            _, heard = await bob.next(timeout=5)
            assert heard["containerId"] == bobs


def test_socketio_is_served_beside_the_api_for_as_long_as_the_api(settings: Any) -> None:
    with running_service(settings, health_monitor=True) as service:
        assert service.app.ctx.loop.is_running()  # after_server_start ran
        assert service.app.ctx.health_monitor.running
        assert service.client.get("/openapi.json").status_code == 200
        polling = {"EIO": "4", "transport": "polling"}
        handshake = httpx.get(f"{service.sio_url}/socket.io/", params=polling, timeout=5)
        assert handshake.status_code == 200 and handshake.text.startswith('0{"sid":')
        # The API's port is Sanic's alone: Socket.io is not served there.
        assert service.client.get("/socket.io/", params=polling).status_code == 404
        sio_url = service.sio_url
    assert not service.app.ctx.health_monitor.running  # before_server_stop ran
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{sio_url}/socket.io/", params=polling, timeout=2)
