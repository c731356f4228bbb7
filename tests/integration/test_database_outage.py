"""PostgreSQL stops under a running service, and comes back.

The service runs on a PostgreSQL cluster of this test's own (``private_postgres``: the
machine's shared one is never touched), with the ownership cache on. While the cluster
is down a call on an owned container answers 503 ``database_unavailable`` (never 500,
never an answer from the cache); once it is back the same call answers 200 within a few
seconds, with no restart of the service, and the cache's listener is back: a change made
to ``container_launch`` by someone else is seen at once.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from service import demo
from service.adapters.migrations import migrate
from service.adapters.seeding import seed
from service.settings import Settings
from tests.conftest import RunningService, running_service
from tests.fixtures import private_postgres
from tests.fixtures.sockets import Listener, Refused
from tests.operations import ALICE_MAIN

RECOVERY_SECONDS = 10.0  # the listener retries within 2 s; Pony reconnects at once


@pytest.fixture
def cluster() -> Iterator[private_postgres.PrivateCluster]:
    reason = private_postgres.available()
    if reason is not None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"cannot run a private PostgreSQL: {reason} (REQUIRE_SERVICES=1)")
        pytest.skip(f"cannot run a private PostgreSQL: {reason}")
    with private_postgres.private_postgres() as started:
        migrate(started.target)
        seed(started.target, demo.PROJECTS, demo.CONTAINERS, demo.CATALOGUE)
        yield started


@pytest.fixture
def on_postgres(
    settings: Settings, cluster: private_postgres.PrivateCluster
) -> Iterator[RunningService]:
    url = f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
    assert settings.ownership_cache_seconds > 0  # the cache is part of what is tested
    with running_service(settings.replace(database_url=url)) as running:
        yield running


async def _connect_socket(url: str, token: str) -> None:
    async with Listener.connect(url, token=token):
        pass


def _until(predicate: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _sql(cluster: private_postgres.PrivateCluster, statement: str, *params: Any) -> None:
    conn = cluster.target.connect()  # autocommit
    try:
        conn.cursor().execute(statement, params)
    finally:
        conn.close()


def test_a_postgresql_restart_answers_503_meanwhile_and_recovers_without_a_service_restart(
    on_postgres: RunningService, cluster: private_postgres.PrivateCluster, alice: dict[str, str]
) -> None:
    service, cache = on_postgres, on_postgres.app.ctx.repository
    path = f"/v1/agents/{ALICE_MAIN}/health"

    def call() -> httpx.Response:
        return service.client.get(path, headers=alice)

    assert call().status_code == 200
    hits = cache.hits
    assert call().status_code == 200
    assert cache.hits == hits + 1  # the ownership answer is served from memory

    cluster.stop()
    down = call()
    assert down.status_code == 503, down.text  # not the cached answer, not a 500
    assert down.headers["content-type"] == "application/problem+json"
    assert down.json()["code"] == "database_unavailable"
    assert int(down.headers["retry-after"]) >= 1
    assert call().status_code == 503  # and again: no queue, no hang
    with pytest.raises(Refused) as refused:  # a socket is told the same
        asyncio.run(_connect_socket(service.sio_url, alice["Authorization"].split()[1]))
    assert refused.value.reason["message"] == "database_unavailable", refused.value.reason
    assert refused.value.reason["data"]["code"] == "database_unavailable"

    cluster.start()
    seen: list[int] = []

    def answers_200() -> bool:
        seen.append(call().status_code)
        return seen[-1] == 200

    def served_from_memory() -> bool:
        before = cache.hits
        return call().status_code == 200 and cache.hits > before

    assert _until(answers_200, RECOVERY_SECONDS), seen
    assert set(seen) <= {503, 200}, seen  # never a 500 on the way back
    # The listener is back: answers come from memory again ...
    assert _until(served_from_memory, RECOVERY_SECONDS)
    # ... and a change someone else makes to container_launch reaches them.
    _sql(cluster, "UPDATE container_launch SET account_id = %s WHERE id = %s", "bob", ALICE_MAIN)
    assert _until(lambda: call().status_code == 403, 2.0)
