"""``GET /v1/agents``: the caller's containers as a UI draws them, on the running stack."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

from service import demo
from service.adapters.seeding import seed
from tests.conftest import RunningService, running_service
from tests.e2e.test_metrics import scrape
from tests.fixtures.contract import assert_contract
from tests.operations import ALICE_BARE, ALICE_MAIN, ALICE_READONLY, BOB_MAIN

ALICE_IDS = sorted(c["id"] for c in demo.CONTAINERS if c["account_id"] == "alice")
BOB_IDS = sorted(c["id"] for c in demo.CONTAINERS if c["account_id"] == "bob")


def _list(service: RunningService, headers: dict[str, str], **params: str) -> dict[str, Any]:
    response = service.client.get("/v1/agents", params=params, headers=headers)
    assert assert_contract(response).status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _all_pages(service: RunningService, headers: dict[str, str], limit: int) -> list[str]:
    listed: list[str] = []
    cursor = None
    while True:
        params = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        page = _list(service, headers, **params)
        assert len(page["containers"]) <= limit
        listed += [c["containerId"] for c in page["containers"]]
        cursor = page["nextCursor"]
        if cursor is None:
            return listed


def test_alice_gets_her_containers_with_what_each_may_do_and_nothing_of_bobs(
    service: RunningService, alice: dict[str, str], wap_stub: Any
) -> None:
    wap_stub.clear_calls()
    body = _list(service, alice)

    assert body["nextCursor"] is None
    by_id = {c["containerId"]: c for c in body["containers"]}
    assert list(by_id) == ALICE_IDS
    assert by_id[ALICE_MAIN] == {
        "containerId": ALICE_MAIN,
        "projectId": demo.PROJECTS[0]["id"],
        "image": "armory/agent-runtime",
        "tag": "1.4.0",
        "status": "unknown",  # the health monitor is off here: nothing known yet
        "health": "unknown",
        "capabilities": ["file.read", "file.write", "hot-reload", "restart"],
        "supportsHotReload": True,
        "instructionsDir": "/app/config/instructions",
        "fileRoots": [
            {"path": "/app/config", "writable": True},
            {"path": "/app/data", "writable": True},
            {"path": "/app/logs", "writable": False},
        ],
    }
    assert by_id[ALICE_READONLY]["fileRoots"] == [
        {"path": "/app/config", "writable": False},
        {"path": "/app/logs", "writable": False},
    ]
    # The third demo container may do nothing, and says so plainly.
    bare = by_id[ALICE_BARE]
    assert (bare["capabilities"], bare["fileRoots"]) == ([], [])
    assert (bare["instructionsDir"], bare["supportsHotReload"]) == (None, False)
    for bobs in BOB_IDS:
        assert bobs not in service.client.get("/v1/agents", headers=alice).text
    assert wap_stub.calls() == []  # answered locally


def test_paging_covers_every_container_once_and_never_another_accounts(
    service: RunningService, settings: Any, alice: dict[str, str], token: Any
) -> None:
    rng = random.Random(3)
    more = [
        {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "account_id": account,
            "project_id": demo.PROJECTS[0 if account == "alice" else 1]["id"],
            "wap_container_id": f"wap-listing-{n:02d}",
            "image": "armory/agent-runtime",
            "tag": "1.4.0",
            "status": "running",
        }
        for n, account in enumerate(["alice", "bob"] * 6)
    ]
    from service.adapters.database import DatabaseTarget

    seed(DatabaseTarget.from_url(settings.database_url), demo.PROJECTS, more)
    alices = sorted(ALICE_IDS + [c["id"] for c in more if c["account_id"] == "alice"])
    bobs = sorted(BOB_IDS + [c["id"] for c in more if c["account_id"] == "bob"])

    assert _all_pages(service, alice, limit=2) == alices  # each once, in id order
    assert _all_pages(service, alice, limit=200) == alices
    assert _all_pages(service, service.as_(token("bob")), limit=3) == bobs


def test_a_listing_is_one_database_query(service: RunningService, alice: dict[str, str]) -> None:
    _list(service, alice)  # whatever warms up
    before = scrape(service.client)
    for _ in range(3):
        _list(service, alice, limit="2")
    after = scrape(service.client)
    queries = "armory_db_queries_total"
    page = {"method": "PonyContainerRepository.page_owned"}
    assert after.value(queries) - before.value(queries) == 3
    assert after.value(queries, **page) - before.value(queries, **page) == 3


def test_a_cursor_or_limit_the_contract_refuses_is_a_400(
    service: RunningService, alice: dict[str, str]
) -> None:
    for params in ({"cursor": "not-a-cursor"}, {"limit": "0"}, {"limit": "201"}):
        response = service.client.get("/v1/agents", params=params, headers=alice)
        assert assert_contract(response).status_code == 400
        assert response.json()["code"] == "invalid_request"
    assert service.client.get("/v1/agents").status_code == 401


def test_the_state_shown_is_the_last_known_after_a_poll_or_a_lifecycle_call(
    settings: Any, token: Any
) -> None:
    slow = settings.replace(health_poll_seconds=3600.0)  # this test polls by itself
    with running_service(slow, health_monitor=True) as service:
        alice = service.as_(token("alice"))
        monitor = service.app.ctx.health_monitor
        asyncio.run_coroutine_threadsafe(monitor.poll_once(), service.app.ctx.loop).result(10)
        states = {
            c["containerId"]: (c["status"], c["health"])
            for c in _list(service, alice)["containers"]
        }
        assert states == {
            ALICE_MAIN: ("running", "healthy"),
            ALICE_READONLY: ("running", "healthy"),
            ALICE_BARE: ("stopped", "none"),
        }
        assert (
            service.client.post(f"/v1/agents/{ALICE_MAIN}/stop", headers=alice).status_code == 200
        )
        states = {
            c["containerId"]: (c["status"], c["health"])
            for c in _list(service, alice)["containers"]
        }
        assert states[ALICE_MAIN] == ("stopped", "none")  # at once, before any poll
        assert BOB_MAIN not in states
