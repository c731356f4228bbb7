"""A deployment, run for real: two ``armory-agents serve`` instances on one PostgreSQL
database and one Redis, behind nginx with the README's configuration (after
``<!-- nginx-two-instances -->``, only its addresses changed to this module's ports).

It checks what a second instance must not break: the npm socket.io-client, with its
default transports (long-polling first, then the upgrade), connects through the proxy
and hears an event caused on the instance it is not connected to; exactly one instance
polls WAP's health; a change of owner written straight into PostgreSQL is seen by the
ownership caches of both at once.

The deployment is started once for the module. Needs PostgreSQL and Redis (127.0.0.1),
Debian's ``nginx`` and Node.js: without them the tests skip, or fail when
REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg2
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from service import demo
from service.adapters.database import DatabaseTarget
from service.adapters.migrations import migrate
from service.adapters.seeding import seed
from service.events import FILE_CHANGED
from service.http.serving import listening_socket
from tests.conftest import PG_ADMIN_URL, REDIS_URL, WAP_PASSWORD, WAP_USER, need_service
from tests.e2e.test_realtime_js import node, start_client  # noqa: F401 - the node fixture
from tests.fixtures import nginx
from tests.fixtures.events import assert_event
from tests.fixtures.service import answers
from tests.operations import ALICE_MAIN, ALICE_READONLY, UNKNOWN

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

HEALTH_POLL_SECONDS = 0.1


@dataclass
class Instance:
    name: str
    api: str
    sio: str
    process: subprocess.Popen[bytes]

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """This instance's own /metrics: (sample name, sorted labels) → value."""
        text = httpx.get(f"{self.api}/metrics", timeout=5).text
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def total(self, name: str, **labels: str) -> float:
        """The sum of ``name``'s samples whose labels include ``labels``."""
        wanted = set(labels.items())
        return sum(v for (n, ls), v in self.metrics().items() if n == name and wanted <= set(ls))


@dataclass
class Deployment:
    proxy: str
    instances: list[Instance]
    database_url: str
    redis_prefix: str

    def other(self, instance: Instance) -> Instance:
        return next(i for i in self.instances if i is not instance)


def _free_ports(count: int) -> list[int]:
    """``count`` distinct ports, free at the time of asking (all held at once)."""
    held = [listening_socket("127.0.0.1", 0) for _ in range(count)]
    ports = [int(sock.getsockname()[1]) for sock in held]
    for sock in held:
        sock.close()
    return ports


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A fresh PostgreSQL database for the module, migrated and holding the demo data."""
    need_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"armory_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        target = DatabaseTarget.from_url(url)
        migrate(target)
        seed(target, demo.PROJECTS, demo.CONTAINERS, demo.CATALOGUE)
        yield url
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def redis_prefix() -> Iterator[str]:
    """A key prefix (and Socket.io channel) of the module's own; its keys deleted after."""
    need_service("Redis", "127.0.0.1", 6379)
    prefix = f"armory-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def deployment(
    database: str,
    redis_prefix: str,
    wap_stub_server: Any,
    st_core: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    nginx.binary()  # before anything starts: skip (or fail) at once without it
    wap_stub_server.reset(demo.wap_seed())
    folder = tmp_path_factory.mktemp("two-instances")
    a_api, a_sio, b_api, b_sio, listen = _free_ports(5)
    base = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": REDIS_URL,
        "REDIS_PREFIX": redis_prefix,
        "WAP_URL": wap_stub_server.url,
        "WAP_USERNAME": WAP_USER,
        "WAP_PASSWORD": WAP_PASSWORD,
        "SUPERTOKENS_CONNECTION_URI": st_core.url,
        "HEALTH_POLL_SECONDS": str(HEALTH_POLL_SECONDS),
        "LOG_LEVEL": "WARNING",
    }
    processes: list[subprocess.Popen[bytes]] = []
    instances: list[Instance] = []
    try:
        for name, api, sio in (("a", a_api, a_sio), ("b", b_api, b_sio)):
            log = (folder / f"{name}.log").open("wb")  # a pipe could fill up and block it
            process = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "serve", "--port", str(api)],
                env={**base, "SOCKETIO_PORT": str(sio)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
            processes.append(process)
            instances.append(
                Instance(name, f"http://127.0.0.1:{api}", f"http://127.0.0.1:{sio}", process)
            )
        for instance in instances:
            # Socket.io starts after the API listens: wait for both.
            for url in (f"{instance.api}/healthz", f"{instance.sio}/"):
                if not answers(url, instance.process, timeout=30):
                    log_text = (folder / f"{instance.name}.log").read_text(errors="replace")
                    pytest.fail(f"instance {instance.name} did not start:\n{log_text}")
        upstreams = {
            "127.0.0.1:8000": f"127.0.0.1:{a_api}",
            "127.0.0.1:8001": f"127.0.0.1:{a_sio}",
            "127.0.0.1:8002": f"127.0.0.1:{b_api}",
            "127.0.0.1:8003": f"127.0.0.1:{b_sio}",
        }
        config = nginx.with_addresses(nginx.readme_block("nginx-two-instances"), upstreams, listen)
        url = f"http://127.0.0.1:{listen}"
        processes.append(nginx.started(folder, config, f"{url}/healthz"))
        yield Deployment(url, instances, database, redis_prefix)
    finally:
        for process in reversed(processes):
            _stop(process)


def _bearer(st_key: Any, account: str) -> dict[str, str]:
    from supertokens_stub.tokens import mint_access_token

    return {"Authorization": f"Bearer {mint_access_token(st_key, account, ttl_seconds=600)}"}


async def _until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        await asyncio.sleep(0.02)


# --- the tests --------------------------------------------------------------------------


def test_the_proxy_spreads_api_requests_over_both_instances(
    deployment: Deployment, st_key: Any
) -> None:
    alice = _bearer(st_key, "alice")
    before = [
        i.total("armory_http_requests_total", operation="listAgentVersions")
        for i in deployment.instances
    ]
    with httpx.Client(base_url=deployment.proxy, headers=alice, timeout=10) as client:
        for _ in range(4):
            assert client.get(f"/v1/agents/{ALICE_MAIN}/versions").status_code == 200
    after = [
        i.total("armory_http_requests_total", operation="listAgentVersions")
        for i in deployment.instances
    ]
    assert [later - earlier for earlier, later in zip(before, after, strict=True)] == [2, 2]


async def test_the_npm_client_on_default_transports_hears_an_event_caused_on_the_other_instance(
    node: str,  # noqa: F811 - the fixture imported above
    deployment: Deployment,
    st_key: Any,
) -> None:
    from supertokens_stub.tokens import mint_access_token

    channel = f"{deployment.redis_prefix}socketio"
    pubsub = redis.Redis.from_url(REDIS_URL)
    token = mint_access_token(st_key, "alice", ttl_seconds=600)
    try:
        async with start_client(node, deployment.proxy, token, "default") as client:
            connected = await client.line()
            # Long-polling first: every request of the session went to one instance.
            assert connected == {"connected": True, "transport": "polling"}
            holding = [
                i for i in deployment.instances if i.total("armory_socketio_connected_sockets")
            ]
            assert len(holding) == 1, "the socket is held by exactly one instance"
            other = deployment.other(holding[0])
            # The holder listens on the Socket.io channel once its first socket connected.
            await _until(
                lambda: dict(pubsub.pubsub_numsub(channel)).get(channel.encode(), 0) >= 1,
                5,
                "an instance subscribed to the Socket.io channel",
            )
            async with httpx.AsyncClient(base_url=other.api, timeout=10) as direct:
                write = await direct.put(
                    f"/v1/agents/{ALICE_MAIN}/files/app/config/agent.yaml",
                    json={"content": "name: written on the other instance\n"},
                    headers={"Authorization": f"Bearer {token}"},
                )
            assert write.status_code == 200, write.text
            received = await client.line()
            assert received.get("event") == FILE_CHANGED, received
            assert received["payload"]["containerId"] == ALICE_MAIN
            assert received["payload"]["path"] == "/app/config/agent.yaml"
            assert_event(FILE_CHANGED, received["payload"])
            assert await client.exit_code() == 0
    finally:
        pubsub.close()


async def test_exactly_one_instance_polls_wap_health(deployment: Deployment) -> None:
    def polls() -> list[float]:
        return [i.total("armory_health_polls_total") for i in deployment.instances]

    # A few poll intervals: five polls in all.
    await _until(lambda: sum(polls()) >= 5, 10, "five health polls")
    counts = polls()
    assert sorted(counts)[0] == 0, f"both instances poll WAP's health: {counts}"
    leader = deployment.instances[counts.index(max(counts))]
    # The lock names the leader's process (instance ids are host:pid:random).
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        holder = client.get(f"{deployment.redis_prefix}health:poller")
    finally:
        client.close()
    assert isinstance(holder, str) and holder.split(":")[1] == str(leader.process.pid)


async def test_an_owner_changed_in_postgresql_is_refused_by_both_instances_at_once(
    deployment: Deployment, st_key: Any
) -> None:
    alice, bob = _bearer(st_key, "alice"), _bearer(st_key, "bob")
    path = f"/v1/agents/{ALICE_READONLY}/versions"  # a local query: no WAP call
    clients = [httpx.Client(base_url=i.api, timeout=10) for i in deployment.instances]
    try:
        for instance, client in zip(deployment.instances, clients, strict=True):
            assert client.get(path, headers=alice).status_code == 200
            hits = instance.total("armory_ownership_cache_lookups_total", result="hit")
            assert client.get(path, headers=alice).status_code == 200
            assert instance.total("armory_ownership_cache_lookups_total", result="hit") > hits, (
                f"instance {instance.name} answered alice's ownership from its cache"
            )
        foreign = clients[0].get(f"/v1/agents/{UNKNOWN}/versions", headers=alice)
        assert foreign.status_code == 403

        # Another system hands the container to bob.
        conn = psycopg2.connect(deployment.database_url)
        try:
            with conn, conn.cursor() as cursor:
                cursor.execute(
                    "UPDATE container_launch SET account_id = 'bob' WHERE id = %s",
                    (ALICE_READONLY,),
                )
                assert cursor.rowcount == 1
        finally:
            conn.close()
        committed = time.monotonic()

        # The notification reaches each instance within moments (allowed: 200 ms).
        pending = dict(enumerate(clients))
        while pending:
            for index, client in list(pending.items()):
                if client.get(path, headers=alice).status_code == 403:
                    del pending[index]
            assert time.monotonic() - committed < 0.2 or not pending, (
                "instances still answer alice from a stale cache: "
                f"{[deployment.instances[i].name for i in pending]}"
            )
        for client in clients:
            refused = client.get(path, headers=alice)
            assert refused.status_code == 403
            # The same refusal as for an id that does not exist.
            assert refused.json()["code"] == foreign.json()["code"] == "container_forbidden"
            assert client.get(path, headers=bob).status_code == 200
    finally:
        for client in clients:
            client.close()
