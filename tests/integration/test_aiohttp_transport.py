"""WapClient over ``Http1Transport`` (the default) and ``AiohttpTransport`` against the real
``wap_stub``.

tests/integration/test_wap_client.py checks every request and the error map through httpcore with
respx (which sees neither of these); here the same client runs over each transport and real HTTP:
every operation, streamed file reads and followed logs, and each row of the error map
with the failure made for real (a closed port, a slow answer, a dropped connection).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from service import demo, errors
from service.adapters.aiohttp_transport import AiohttpTransport
from service.adapters.http1_transport import Http1Transport
from service.adapters.wap_client import WapClient
from service.settings import Settings, StreamLimits, Timeouts
from service.wap import LogOptions
from tests.conftest import WAP_PASSWORD, WAP_USER
from tests.integration.test_wap_client import make_settings as client_settings

WAP_ID = demo.CONTAINERS[0]["wap_container_id"]  # alice's researcher: files under /app


TRANSPORTS: dict[str, type[httpx.AsyncBaseTransport]] = {
    "http1": Http1Transport,
    "aiohttp": AiohttpTransport,
}


@pytest.fixture(params=list(TRANSPORTS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_settings(wap_url: str, kind: Any, **changes: Any) -> Settings:
    """test_wap_client's settings, for the stub at ``wap_url`` over the ``kind`` transport."""
    return client_settings(
        wap_url=wap_url,
        wap_username=WAP_USER,
        wap_password=WAP_PASSWORD,
        wap_timeouts=Timeouts(connect=1.0, read=1.0, write=2.0, pool=0.5),
        wap_http_transport=kind,
    ).replace(**changes)


@pytest.fixture
async def wap(wap_stub: Any, kind: str) -> AsyncIterator[WapClient]:
    async with WapClient(make_settings(wap_stub.url, kind)) as client:
        yield client


def statuses(wap_stub: Any, operation_id: str) -> list[int | None]:
    return [call["status"] for call in wap_stub.calls(operation_id)]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- every operation ----------------------------------------------------------------------------


async def test_every_operation_succeeds(wap: WapClient, wap_stub: Any) -> None:
    assert (await wap.stop_container(WAP_ID)).status == "stopped"
    assert (await wap.start_container(WAP_ID)).status == "running"
    assert (await wap.restart_container(WAP_ID)).id == WAP_ID
    update = await wap.update_container_image(WAP_ID, "armory/agent-runtime", "1.5.0")
    assert (update.previous_tag, update.tag) == ("1.4.0", "1.5.0")

    listing = await wap.list_container_files(WAP_ID, "/app/config")
    assert "/app/config/agent.yaml" in [entry.path for entry in listing.entries]
    read = await wap.read_container_file(WAP_ID, "/app/config/agent.yaml", max_bytes=1000)
    assert read.content.startswith(b"name: researcher\n")
    written = await wap.write_container_file(WAP_ID, "/app/data/new.txt", b"fresh\n", if_match=None)
    assert (written.created, written.size) == (True, 6)
    again = await wap.read_container_file(WAP_ID, "/app/data/new.txt", max_bytes=10)
    assert again.content == b"fresh\n"
    deleted = await wap.delete_container_file(WAP_ID, "/app/data/new.txt", if_match=written.etag)
    assert deleted.deleted

    assert (await wap.get_container_health(WAP_ID)).id == WAP_ID
    summary = await wap.get_all_container_health()
    assert {entry.id for entry in summary.containers} >= {WAP_ID}
    assert (await wap.get_container_stats(WAP_ID)).id == WAP_ID
    assert isinstance(await wap.get_container_logs(WAP_ID, LogOptions(tail=5)), list)
    env = await wap.get_container_env(WAP_ID)
    assert env.variables["AGENT_NAME"] == WAP_ID
    patched = await wap.update_container_env(WAP_ID, {"NEW_VAR": "1"}, ["AGENT_NAME"])
    assert patched.variables.get("NEW_VAR") == "1" and "AGENT_NAME" not in patched.variables

    # Each call reached WAP once, with the credentials (the stub answers 401 otherwise):
    # the 14 operations of contracts/wap.yaml, a file read twice.
    calls = wap_stub.calls()
    assert len(calls) == 15 and len({call["operationId"] for call in calls}) == 14
    assert {call["status"] for call in calls} == {200}


async def test_if_match_reaches_wap_and_a_stale_one_is_refused(
    wap: WapClient, wap_stub: Any
) -> None:
    with pytest.raises(errors.PreconditionFailed):
        await wap.write_container_file(WAP_ID, "/app/data/notes.txt", b"x", if_match='"stale"')

    assert statuses(wap_stub, "writeContainerFile") == [412]


async def test_the_settings_choose_the_transport(wap_stub: Any, kind: str) -> None:
    """respx intercepts httpcore only: under it, the other client still reaches the stub."""
    on_aiohttp = WapClient(make_settings(wap_stub.url, kind))
    on_httpcore = WapClient(make_settings(wap_stub.url, "httpcore"))
    async with on_aiohttp, on_httpcore:
        with respx.mock(assert_all_called=True) as fake:
            fake.get(f"{wap_stub.url}/containers/{WAP_ID}/env").respond(
                200, json={"id": WAP_ID, "variables": {"FROM": "respx"}}
            )
            real = await on_aiohttp.get_container_env(WAP_ID)
            faked = await on_httpcore.get_container_env(WAP_ID)

    assert "FROM" not in real.variables and real.variables["AGENT_NAME"] == WAP_ID
    assert faked.variables == {"FROM": "respx"}


# -- streaming -----------------------------------------------------------------------------------


async def test_a_streamed_file_arrives_intact_chunk_by_chunk(wap: WapClient, wap_stub: Any) -> None:
    content = os.urandom(3 * 1024 * 1024)
    await wap.write_container_file(WAP_ID, "/app/data/big.bin", content)

    async with await wap.open_container_file(WAP_ID, "/app/data/big.bin") as stream:
        chunks = [chunk async for chunk in stream]

    assert stream.size == len(content)
    assert len(chunks) > 1
    assert b"".join(chunks) == content


async def test_closing_an_unfinished_stream_frees_its_connection(wap_stub: Any, kind: str) -> None:
    """With one connection in the pool, the next call gets it only if closing released it."""
    content = os.urandom(4 * 1024 * 1024)
    limits = httpx.Limits(max_connections=1)
    async with WapClient(make_settings(wap_stub.url, kind), limits=limits) as wap:
        await wap.write_container_file(WAP_ID, "/app/data/big.bin", content)
        stream = await wap.open_container_file(WAP_ID, "/app/data/big.bin")
        first = await stream.__anext__()
        await stream.aclose()

        env = await wap.get_container_env(WAP_ID)

    assert first == content[: len(first)] and len(first) < len(content)
    assert env.id == WAP_ID


async def test_a_followed_log_yields_lines_as_wap_writes_them(
    wap: WapClient, wap_stub: Any
) -> None:
    wap_stub.log(WAP_ID, "before")
    async with await wap.follow_container_logs(WAP_ID, LogOptions(tail=1)) as lines:
        assert await lines.__anext__() == "before"
        wap_stub.log(WAP_ID, "after one")
        wap_stub.log(WAP_ID, "after two")
        assert [await lines.__anext__(), await lines.__anext__()] == ["after one", "after two"]


# -- the error map, for real ---------------------------------------------------------------------


async def test_an_unreachable_wap_is_unavailable(kind: str) -> None:
    async with WapClient(make_settings(f"http://127.0.0.1:{closed_port()}", kind)) as wap:
        with pytest.raises(errors.UpstreamUnavailable) as caught:
            await wap.get_container_env(WAP_ID)

    assert (caught.value.status, caught.value.instance_code) == (502, "wap_unavailable")


async def test_a_slower_answer_than_the_read_timeout_is_a_timeout(
    wap: WapClient, wap_stub: Any
) -> None:
    wap_stub.fault("delay", "getContainerHealth", delay_seconds=1.5)

    with pytest.raises(errors.UpstreamTimeout, match="waiting for its answer") as caught:
        await wap.get_container_health(WAP_ID)

    assert (caught.value.status, caught.value.instance_code) == (504, "wap_timeout")


async def test_an_answer_dripped_within_every_read_timeout_is_cut_off_at_the_deadline(
    wap_stub: Any, kind: str
) -> None:
    """Each byte comes well within the read timeout; only the whole call's deadline ends it."""
    timeouts = Timeouts(connect=1.0, read=1.0, write=1.0, pool=0.5, deadline=0.3)
    wap_stub.fault("drip", delay_seconds=0.02, times=100)
    calls = {
        "health": lambda w: w.get_container_health(WAP_ID),
        "restart": lambda w: w.restart_container(WAP_ID),
        "read": lambda w: w.read_container_file(WAP_ID, "/app/config/agent.yaml", max_bytes=999),
        "logs": lambda w: w.get_container_logs(WAP_ID, LogOptions(tail=1)),
    }
    async with WapClient(make_settings(wap_stub.url, kind, wap_timeouts=timeouts)) as wap:
        for name, call in calls.items():
            started = time.monotonic()
            with pytest.raises(errors.UpstreamTimeout, match="within 0.3 s"):
                await call(wap)
            assert time.monotonic() - started < 1.0, name


async def test_waiting_too_long_for_a_pooled_connection_is_a_timeout(
    wap_stub: Any, kind: str
) -> None:
    """Streams have a pool of their own: a full one makes the next stream wait (and time out),
    while ordinary calls, from the other pool, still go through."""
    settings = make_settings(wap_stub.url, kind)
    settings = settings.replace(streams=StreamLimits(wap_connections=1))
    async with WapClient(settings, limits=httpx.Limits(max_connections=1)) as wap:
        async with await wap.follow_container_logs(WAP_ID, LogOptions(tail=1)):
            assert (await wap.get_container_env(WAP_ID)).id == WAP_ID
            with pytest.raises(errors.UpstreamTimeout, match="free connection"):
                await wap.follow_container_logs(WAP_ID, LogOptions(tail=1))


async def test_a_get_dropped_before_the_answer_is_retried_once(
    wap: WapClient, wap_stub: Any
) -> None:
    await wap.get_container_env(WAP_ID)  # a kept-alive connection, as in production
    wap_stub.fault("close", "getContainerEnv")

    env = await wap.get_container_env(WAP_ID)

    assert env.id == WAP_ID
    assert statuses(wap_stub, "getContainerEnv") == [200, None, 200]


async def test_a_get_dropped_twice_is_unavailable_after_exactly_two_attempts(
    wap: WapClient, wap_stub: Any
) -> None:
    wap_stub.fault("close", "getContainerStats", times=2)

    with pytest.raises(errors.UpstreamUnavailable):
        await wap.get_container_stats(WAP_ID)

    assert statuses(wap_stub, "getContainerStats") == [None, None]


@pytest.mark.parametrize(
    ("operation_id", "call"),
    [
        ("writeContainerFile", lambda w: w.write_container_file(WAP_ID, "/app/data/a.txt", b"a")),
        ("deleteContainerFile", lambda w: w.delete_container_file(WAP_ID, "/app/data/notes.txt")),
        ("restartContainer", lambda w: w.restart_container(WAP_ID)),
    ],
    ids=["put", "delete", "post"],
)
async def test_a_dropped_write_is_never_resent(
    wap: WapClient, wap_stub: Any, operation_id: str, call: Any
) -> None:
    """aiohttp itself would resend a PUT or DELETE on a dropped kept-alive connection."""
    await wap.get_container_env(WAP_ID)  # a kept-alive connection to drop
    wap_stub.fault("close", operation_id)

    with pytest.raises(errors.UpstreamUnavailable):
        await call(wap)

    assert statuses(wap_stub, operation_id) == [None]


async def test_a_wap_500_is_an_upstream_error(wap: WapClient, wap_stub: Any) -> None:
    wap_stub.fault("status", "getContainerStats", status=500, message="disk on fire")

    with pytest.raises(errors.UpstreamError, match=r"^WAP Core failed \(HTTP 500\)$") as caught:
        await wap.get_container_stats(WAP_ID)

    assert (caught.value.status, caught.value.instance_code) == (502, "wap_error")


async def test_a_garbage_answer_is_an_upstream_error(wap: WapClient, wap_stub: Any) -> None:
    wap_stub.fault("garbage", "getContainerEnv")

    with pytest.raises(errors.UpstreamError, match="without a usable error body"):
        await wap.get_container_env(WAP_ID)


async def test_an_unknown_container_is_not_found(wap: WapClient) -> None:
    with pytest.raises(errors.NotFound):
        await wap.get_container_health("wap-nobody")


async def test_a_missing_file_is_not_found_before_any_chunk(wap: WapClient) -> None:
    with pytest.raises(errors.NotFound):
        await wap.open_container_file(WAP_ID, "/app/data/missing.bin")


# -- the transport on its own --------------------------------------------------------------------


async def test_the_transport_alone_carries_httpx_auth_and_wap_answers(
    wap_stub: Any, kind: str
) -> None:
    async with httpx.AsyncClient(
        base_url=wap_stub.url, auth=wap_stub.auth, transport=TRANSPORTS[kind]()
    ) as client:
        refused = await client.get("/containers/health", auth=("wrong", "credentials"))
        ok = await client.get("/containers/health")

    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Basic realm="wap"'
    assert ok.status_code == 200 and ok.json()["containers"]
    assert ok.http_version == "HTTP/1.1"


async def test_a_closed_transport_refuses_new_requests(kind: str) -> None:
    transport = TRANSPORTS[kind]()
    await transport.aclose()

    with pytest.raises(RuntimeError, match="closed"):
        await transport.handle_async_request(httpx.Request("GET", "http://127.0.0.1:1/"))
