"""Socket.io on one instance (in-memory manager): authentication, rooms, the four events,
expiry and re-authentication, and catch-up. Real service on a port, real clients."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from service.events import CONFIG_RELOADED, FILE_CHANGED, HEALTH_UPDATE, VERSION_UPDATE
from tests.conftest import RunningService, running_service
from tests.fixtures.events import assert_event, assert_message
from tests.fixtures.shared_project import (
    BOB_IN_ALICES_PROJECT,
    CAROLS_CONTAINER,
    add_bob_to_alices_project,
    give_carol_a_container,
)
from tests.fixtures.sockets import Listener, Refused, publish
from tests.operations import ALICE_MAIN, ALICE_READONLY, BOB_MAIN

RESOURCES = {"cpuPercent": 3.5, "memoryBytes": 268435456, "memoryLimitBytes": 1073741824}
FOUR_EVENTS: list[tuple[str, dict[str, Any]]] = [
    (FILE_CHANGED, {"path": "/app/config/agent.yaml", "action": "updated"}),
    (CONFIG_RELOADED, {"files": ["/app/config/instructions/system.md"]}),
    (VERSION_UPDATE, {"oldTag": "1.4.0", "newTag": "1.5.0", "status": "updating"}),
    (HEALTH_UPDATE, {"status": "running", "health": "unhealthy", "resources": RESOURCES}),
]


@pytest.fixture
def quiet(settings: Any) -> Iterator[RunningService]:
    """The service without its health monitor: only the events a test publishes."""
    with running_service(settings, health_monitor=False) as running:
        yield running


# --- connecting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        ({}, "unauthorised"),
        ({"token": "not-a-jwt"}, "unauthorised"),
        ({"token": "a.b.c"}, "unauthorised"),
        ({"expired": True}, "try_refresh_token"),
    ],
    ids=["no-token", "garbage", "garbage-jwt", "expired"],
)
async def test_a_connect_without_a_valid_token_is_refused_with_its_reason(
    quiet: RunningService, token: Any, credentials: dict[str, Any], code: str
) -> None:
    presented = token("alice", ttl_seconds=-60) if credentials.get("expired") else None
    presented = credentials.get("token", presented)
    with pytest.raises(Refused) as refused:
        async with Listener.connect(quiet.sio_url, token=presented):
            pass
    reason = assert_message("ConnectError", refused.value.reason)
    assert reason["message"] == code
    assert reason["data"]["code"] == code


async def test_a_connect_with_the_session_cookie_is_accepted_from_a_polling_handshake(
    quiet: RunningService, token: Any
) -> None:
    cookie = {"Cookie": f"other=1; sAccessToken={token('alice')}"}
    async with Listener.connect(
        quiet.sio_url, headers=cookie, transports=["polling", "websocket"]
    ) as alice:
        await publish(quiet.app, "alice", ALICE_MAIN, FILE_CHANGED, **FOUR_EVENTS[0][1])
        name, payload = await alice.next()
    assert name == FILE_CHANGED
    assert_event(name, payload)


async def test_the_auth_token_wins_over_the_cookie(quiet: RunningService, token: Any) -> None:
    garbage_cookie = {"Cookie": "sAccessToken=garbage"}
    async with Listener.connect(
        quiet.sio_url, token=token("alice"), headers=garbage_cookie
    ) as alice:
        assert alice.connected
    good_cookie = {"Cookie": f"sAccessToken={token('alice')}"}
    with pytest.raises(Refused) as refused:
        async with Listener.connect(quiet.sio_url, token="garbage", headers=good_cookie):
            pass
    assert refused.value.reason["message"] == "unauthorised"


async def test_a_page_on_a_foreign_origin_cannot_ride_the_session_cookie(
    quiet: RunningService, token: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="engineio.server")  # logged at ERROR only once
    headers = {"Cookie": f"sAccessToken={token('alice')}", "Origin": "https://evil.example"}
    with pytest.raises(Refused) as refused:
        async with Listener.connect(quiet.sio_url, headers=headers):
            pass
    # Turned away by engine.io at the handshake, before any session check.
    assert not isinstance(refused.value.reason, dict)
    assert "https://evil.example is not an accepted origin" in caplog.text
    same_origin = {"Cookie": f"sAccessToken={token('alice')}", "Origin": quiet.url}
    async with Listener.connect(quiet.sio_url, headers=same_origin) as alice:
        assert alice.connected


# --- the four events ------------------------------------------------------------------------


async def test_each_of_the_four_events_reaches_the_owner_as_the_contract_describes(
    quiet: RunningService, token: Any
) -> None:
    seqs = []
    async with Listener.connect(quiet.sio_url, token=token("alice")) as alice:
        for name, data in FOUR_EVENTS:
            emitted = await publish(quiet.app, "alice", ALICE_MAIN, name, **data)
            got_name, payload = await alice.next()
            assert got_name == name
            assert_event(name, payload)
            stamp = {"seq": payload["seq"], "time": payload["time"]}
            assert payload == emitted == {"containerId": ALICE_MAIN, **data, **stamp}
            seqs.append(payload["seq"])
    assert seqs == [1, 2, 3, 4]


async def test_seq_counts_each_containers_events_from_one(
    quiet: RunningService, token: Any
) -> None:
    async with Listener.connect(quiet.sio_url, token=token("alice")) as alice:
        for container in (ALICE_MAIN, ALICE_MAIN, ALICE_READONLY, ALICE_MAIN):
            await publish(quiet.app, "alice", container, FILE_CHANGED, path="/a", action="created")
        got = [await alice.next() for _ in range(4)]
    seqs = [(p["containerId"], p["seq"]) for _, p in got]
    assert seqs == [(ALICE_MAIN, 1), (ALICE_MAIN, 2), (ALICE_READONLY, 1), (ALICE_MAIN, 3)]
    times = [p["time"] for _, p in got]
    assert times == sorted(times) and all(t.endswith("Z") for t in times)


async def test_another_account_in_the_same_project_hears_nothing_of_its_neighbours_containers(
    settings: Any, demo_db: Any, token: Any
) -> None:
    add_bob_to_alices_project(demo_db)
    with running_service(settings, health_monitor=False) as service:
        async with (
            Listener.connect(service.sio_url, token=token("alice")) as alice,
            Listener.connect(service.sio_url, token=token("bob")) as bob,
        ):
            for name, data in FOUR_EVENTS:
                await publish(service.app, "alice", ALICE_MAIN, name, **data)
            assert [n for n, _ in [await alice.next() for _ in FOUR_EVENTS]] == [
                n for n, _ in FOUR_EVENTS
            ]
            # Bob does hear about his own container in that same project, and only that.
            await publish(
                service.app, "bob", BOB_IN_ALICES_PROJECT, FILE_CHANGED, path="/b", action="deleted"
            )
            name, payload = await bob.next()
            assert (name, payload["containerId"]) == (FILE_CHANGED, BOB_IN_ALICES_PROJECT)
            assert await bob.drain(0.3) == []
            assert await alice.drain(0.0) == []


async def test_an_account_without_containers_may_connect_and_hears_nothing(
    quiet: RunningService, token: Any
) -> None:
    async with Listener.connect(quiet.sio_url, token=token("carol")) as carol:
        await publish(quiet.app, "bob", BOB_MAIN, FILE_CHANGED, path="/x", action="created")
        assert await carol.drain(0.3) == []


# --- expiry and re-authentication -----------------------------------------------------------


async def test_the_socket_is_disconnected_when_its_token_expires(
    quiet: RunningService, token: Any
) -> None:
    async with Listener.connect(quiet.sio_url, token=token("alice", ttl_seconds=2)) as alice:
        await asyncio.wait_for(alice.disconnected.wait(), 5)
        assert alice.disconnect_reason == alice.client.reason.SERVER_DISCONNECT


async def test_re_authenticating_before_expiry_keeps_the_socket(
    quiet: RunningService, token: Any
) -> None:
    async with Listener.connect(quiet.sio_url, token=token("alice", ttl_seconds=2)) as alice:
        ack = assert_message(
            "AuthenticateAck", await alice.call("authenticate", {"token": token("alice")})
        )
        assert ack["ok"] is True
        await asyncio.sleep(2.5)
        assert alice.connected and not alice.disconnected.is_set()
        await publish(quiet.app, "alice", ALICE_MAIN, FILE_CHANGED, path="/a", action="created")
        assert (await alice.next())[0] == FILE_CHANGED


async def test_a_refused_re_authentication_answers_why_and_keeps_the_first_expiry(
    quiet: RunningService, token: Any
) -> None:
    attempts = [
        ({"token": token("bob")}, "unauthorised"),  # another account
        ({"token": "garbage"}, "unauthorised"),
        ({"token": token("alice", ttl_seconds=-60)}, "try_refresh_token"),
        ({}, "invalid_request"),
        ("just a string", "invalid_request"),
    ]
    async with Listener.connect(quiet.sio_url, token=token("alice", ttl_seconds=2)) as alice:
        for data, code in attempts:
            ack = assert_message("AuthenticateAck", await alice.call("authenticate", data))
            assert (ack["ok"], ack["code"]) == (False, code), data
        await asyncio.wait_for(alice.disconnected.wait(), 5)


async def test_re_authenticating_also_joins_the_projects_of_containers_launched_since(
    settings: Any, demo_db: Any, token: Any
) -> None:
    with running_service(settings, health_monitor=False) as service:
        async with Listener.connect(service.sio_url, token=token("carol")) as carol:
            give_carol_a_container(demo_db)
            await publish(
                service.app, "carol", CAROLS_CONTAINER, FILE_CHANGED, path="/a", action="created"
            )
            assert await carol.drain(0.3) == []  # her rooms are those of the connect
            ack = await carol.call("authenticate", {"token": token("carol")})
            assert ack["ok"] is True
            await publish(
                service.app, "carol", CAROLS_CONTAINER, FILE_CHANGED, path="/b", action="created"
            )
            name, payload = await carol.next()
            assert (name, payload["containerId"], payload["seq"]) == (
                FILE_CHANGED,
                CAROLS_CONTAINER,
                2,
            )


# --- catch-up -------------------------------------------------------------------------------


async def test_a_client_that_missed_events_gets_them_in_order_from_the_events_endpoint(
    quiet: RunningService, token: Any
) -> None:
    from tests.fixtures.contract import assert_contract

    alice_token = token("alice")
    async with Listener.connect(quiet.sio_url, token=alice_token) as alice:
        await publish(quiet.app, "alice", ALICE_MAIN, FILE_CHANGED, **FOUR_EVENTS[0][1])
        _, seen = await alice.next()
    last_seen = seen["seq"]
    for name, data in FOUR_EVENTS[1:]:
        await publish(quiet.app, "alice", ALICE_MAIN, name, **data)
    async with Listener.connect(quiet.sio_url, token=alice_token) as alice:
        response = quiet.client.get(
            f"/v1/agents/{ALICE_MAIN}/events",
            params={"since": last_seen},
            headers=quiet.as_(alice_token),
        )
        assert_contract(response)
        assert response.status_code == 200
        body = response.json()
        assert body["containerId"] == ALICE_MAIN
        assert [e["event"] for e in body["events"]] == [n for n, _ in FOUR_EVENTS[1:]]
        assert [e["data"]["seq"] for e in body["events"]] == [2, 3, 4]
        assert body["latestSeq"] == 4
        for event in body["events"]:
            assert_event(event["event"], event["data"])
        # Nothing new: an empty list, and the same latestSeq to ask from next time.
        again = quiet.client.get(
            f"/v1/agents/{ALICE_MAIN}/events",
            params={"since": 4},
            headers=quiet.as_(alice_token),
        ).json()
        assert (again["events"], again["latestSeq"]) == ([], 4)
        assert await alice.drain(0.0) == []


async def test_catch_up_keeps_only_the_most_recent_window(settings: Any, token: Any) -> None:
    with running_service(settings.replace(event_window=3), health_monitor=False) as service:
        for index in range(5):
            await publish(
                service.app, "alice", ALICE_MAIN, FILE_CHANGED, path=f"/f{index}", action="created"
            )
        body = service.client.get(
            f"/v1/agents/{ALICE_MAIN}/events", headers=service.as_(token("alice"))
        ).json()
    assert [e["data"]["seq"] for e in body["events"]] == [3, 4, 5]
    assert body["latestSeq"] == 5


def test_a_container_without_events_has_an_empty_catch_up(
    quiet: RunningService, token: Any
) -> None:
    response = quiet.client.get(
        f"/v1/agents/{ALICE_MAIN}/events", headers=quiet.as_(token("alice"))
    )
    assert response.status_code == 200
    assert response.json() == {"containerId": ALICE_MAIN, "events": [], "latestSeq": 0}


def test_catch_up_of_another_accounts_container_is_the_usual_403(
    quiet: RunningService, token: Any
) -> None:
    response = quiet.client.get(f"/v1/agents/{ALICE_MAIN}/events", headers=quiet.as_(token("bob")))
    assert response.status_code == 403
    assert response.json()["code"] == "container_forbidden"


@pytest.mark.parametrize("since", ["-1", "soon", "1.5"])
def test_a_bad_since_is_a_400_naming_it(quiet: RunningService, token: Any, since: str) -> None:
    response = quiet.client.get(
        f"/v1/agents/{ALICE_MAIN}/events",
        params={"since": since},
        headers=quiet.as_(token("alice")),
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["query.since"]
