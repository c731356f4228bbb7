"""WapClient against a respx-faked WAP Core.

Every request the client sends is validated against ``contracts/wap.yaml`` with
openapi-core (and so is every contract-shaped answer the fake gives), so the
client and the contract cannot drift apart. Only ``BASE_URL`` is mocked.

This file covers what each operation sends and how its answer is read; the error
map and the retries are tests/integration/test_wap_client_errors.py, which shares these helpers.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import yaml
from openapi_core import OpenAPI

from service import errors, wap_types
from service.adapters.wap_client import WapClient
from service.settings import Settings, Timeouts
from service.wap import LogOptions, Stream
from tests.fixtures.openapi_httpx import OpenAPIRequest, OpenAPIResponse

BASE_URL = "http://wap.test/core"
USERNAME = "control-svc-7"
PASSWORD = "s3cret:with colon"
BASIC = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
# A WAP id that must be quoted: a client that forgot would send a different path.
WAP_ID = "wap 7f/3a"
CONTAINER = f"/containers/{WAP_ID}"  # as respx routes match it (unquoted)
SENT_TO = "/core/containers/wap%207f%2F3a"  # as the client must send it (quoted)
CONTRACT_PATH = Path(__file__).resolve().parents[2] / "contracts" / "wap.yaml"

AT = "2026-11-29T10:15:00Z"
AT_DT = datetime(2026, 11, 29, 10, 15, tzinfo=UTC)
ETAG = '"3f0c1e1b2a7d4f5e8c9b0a1d2e3f4a5b"'
TIMEOUTS = {"connect": 1.5, "read": 2.5, "write": 3.5, "pool": 4.5}  # as make_settings sets them


# -- the contract ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def contract() -> OpenAPI:
    spec = yaml.safe_load(CONTRACT_PATH.read_text())
    spec["servers"] = [{"url": BASE_URL}]  # the contract names the stub's address
    return OpenAPI.from_dict(spec)


def raw_path(request: httpx.Request) -> str:
    return request.url.raw_path.split(b"?")[0].decode("ascii")


def target(request: httpx.Request) -> tuple[str, str, list[tuple[str, str]]]:
    """Where ``request`` went: its method, raw path and sorted query."""
    return request.method, raw_path(request), sorted(request.url.params.multi_items())


@pytest.fixture
def sent(contract: OpenAPI) -> Any:
    """``sent(route)``: the one request ``route`` received, checked against the contract.

    Also checks the Basic credentials and, unless ``answer=False`` (streamed
    answers), that the fake's answer is one the contract allows.
    """

    def check(route: respx.Route, *, answer: bool = True) -> httpx.Request:
        assert route.call_count == 1
        request = route.calls.last.request
        assert request.headers["authorization"] == BASIC
        # The raw path: a quoted wapId stays one path segment.
        as_sent = OpenAPIRequest(request, path=raw_path(request))
        contract.validate_request(as_sent)
        if answer:
            contract.validate_response(as_sent, OpenAPIResponse(route.calls.last.response))
        return request

    return check


# -- the client ------------------------------------------------------------------------------


def make_settings(**changes: Any) -> Settings:
    settings = Settings(
        database_url="sqlite:///:memory:",
        wap_url=BASE_URL,
        wap_username=USERNAME,
        wap_password=PASSWORD,
        supertokens_connection_uri="http://supertokens.test",
        wap_timeouts=Timeouts(connect=1.5, read=2.5, write=3.5, pool=4.5),
        # respx intercepts httpcore only; test_aiohttp_transport.py covers aiohttp.
        wap_http_transport="httpcore",
    )
    return settings.replace(**changes)


@pytest.fixture
async def wap() -> AsyncIterator[WapClient]:
    async with WapClient(make_settings()) as client:
        yield client


@pytest.fixture
def fake() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        yield router


class Body(httpx.AsyncByteStream):
    """A streamed answer that records how many chunks were pulled and whether it was closed.

    With ``then``, the connection breaks after the pieces: ``then`` is raised.
    """

    def __init__(self, *pieces: bytes, then: Exception | None = None) -> None:
        self.pieces = pieces
        self.then = then
        self.pulled = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            self.pulled += 1
            yield piece
        if self.then is not None:
            raise self.then

    async def aclose(self) -> None:
        self.closed = True


def streamed(body: Body, **headers: str) -> httpx.Response:
    return httpx.Response(
        200, stream=body, headers={k.replace("_", "-"): v for k, v in headers.items()}
    )


# -- lifecycle ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "action", "status"),
    [
        ("restart_container", "restart", "running"),
        ("stop_container", "stop", "stopped"),
        ("start_container", "start", "running"),
    ],
)
async def test_lifecycle_calls_post_to_the_quoted_container_and_parse_its_state(
    wap: WapClient,
    fake: respx.MockRouter,
    sent: Any,
    method: str,
    action: str,
    status: wap_types.ContainerStatus,
) -> None:
    route = fake.post(f"{CONTAINER}/{action}").respond(
        200, json={"id": WAP_ID, "status": status, "changedAt": AT}
    )

    state = await getattr(wap, method)(WAP_ID)

    assert state == wap_types.ContainerState(WAP_ID, status, AT_DT)
    request = sent(route)
    assert target(request) == ("POST", f"{SENT_TO}/{action}", [])
    assert request.content == b""


async def test_update_image_posts_image_and_tag_as_json(
    wap: WapClient, fake: respx.MockRouter, sent: Any
) -> None:
    route = fake.post(f"{CONTAINER}/update-image").respond(
        200,
        json={
            "id": WAP_ID,
            "image": "armory/agent-runtime",
            "previousTag": "1.4.2",
            "tag": "1.5.0",
            "status": "completed",
        },
    )

    update = await wap.update_container_image(WAP_ID, "armory/agent-runtime", "1.5.0")

    assert update == wap_types.ImageUpdate(
        WAP_ID, "armory/agent-runtime", "1.4.2", "1.5.0", "completed"
    )
    request = sent(route)
    assert target(request) == ("POST", f"{SENT_TO}/update-image", [])
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"image": "armory/agent-runtime", "tag": "1.5.0"}


# -- files -------------------------------------------------------------------------------------


async def test_list_files_gets_the_directory_and_parses_its_entries(
    wap: WapClient, fake: respx.MockRouter, sent: Any
) -> None:
    route = fake.get(f"{CONTAINER}/files").respond(
        200,
        json={
            "path": "/app/instructions",
            "entries": [
                {
                    "name": "system.md",
                    "path": "/app/instructions/system.md",
                    "type": "file",
                    "size": 25,
                    "modifiedAt": AT,
                },
                {
                    "name": "tools",
                    "path": "/app/instructions/tools",
                    "type": "directory",
                    "size": 0,
                    "modifiedAt": "2026-11-29T12:15:00+02:00",
                },
            ],
        },
    )

    listing = await wap.list_container_files(WAP_ID, "/app/instructions")

    assert listing == wap_types.FileListing(
        path="/app/instructions",
        entries=(
            wap_types.FileEntry("system.md", "/app/instructions/system.md", "file", 25, AT_DT),
            wap_types.FileEntry("tools", "/app/instructions/tools", "directory", 0, AT_DT),
        ),
    )
    assert target(sent(route)) == ("GET", f"{SENT_TO}/files", [("path", "/app/instructions")])


async def test_read_file_returns_the_bytes_and_their_metadata(
    wap: WapClient, fake: respx.MockRouter, sent: Any
) -> None:
    content = "Bonjour, agent ✓\n".encode()
    route = fake.get(f"{CONTAINER}/files/read").respond(
        200,
        content=content,
        headers={
            "Content-Type": "text/plain; charset=utf-8",
            "ETag": ETAG,
            "Last-Modified": "Sun, 29 Nov 2026 10:15:00 GMT",
        },
    )

    file = await wap.read_container_file(WAP_ID, "/app/a b/ü.md", max_bytes=len(content))

    assert file == wap_types.FileContent(
        content, "text/plain; charset=utf-8", ETAG, AT_DT, len(content)
    )
    assert target(sent(route)) == ("GET", f"{SENT_TO}/files/read", [("path", "/app/a b/ü.md")])


async def test_read_file_refuses_a_file_announced_bigger_than_max_bytes_without_reading_it(
    wap: WapClient, fake: respx.MockRouter, sent: Any
) -> None:
    body = Body(b"x" * 10, b"y" * 10)
    route = fake.get(f"{CONTAINER}/files/read").mock(
        return_value=streamed(body, Content_Length="20", ETag=ETAG)
    )

    with pytest.raises(errors.PayloadTooLarge) as caught:
        await wap.read_container_file(WAP_ID, "/app/big.bin", max_bytes=19)

    assert body.pulled == 0
    assert body.closed
    assert "20 bytes" in caught.value.detail
    assert caught.value.status == 413
    sent(route, answer=False)


async def test_read_file_stops_reading_a_chunked_file_once_it_exceeds_max_bytes(
    wap: WapClient, fake: respx.MockRouter, sent: Any
) -> None:
    body = Body(*[b"0123"] * 1000)
    route = fake.get(f"{CONTAINER}/files/read").mock(return_value=streamed(body))

    with pytest.raises(errors.PayloadTooLarge):
        await wap.read_container_file(WAP_ID, "/app/big.log", max_bytes=10)

    assert body.pulled == 3  # 12 bytes > 10: not one chunk more
    assert body.closed
    sent(route, answer=False)


async def test_read_file_accepts_a_chunked_file_of_exactly_max_bytes(
    wap: WapClient, fake: respx.MockRouter
) -> None:
    fake.get(f"{CONTAINER}/files/read").mock(return_value=streamed(Body(b"0123", b"4567", b"89")))

    file = await wap.read_container_file(WAP_ID, "/app/ten.txt", max_bytes=10)

    assert file == wap_types.FileContent(b"0123456789", "application/octet-stream", None, None, 10)


async def test_open_file_streams_the_chunks_as_they_arrive(
    wap: WapClient, fake: respx.MockRouter, sent: Any
) -> None:
    body = Body(b"\x00\x01", b"\xff\xfe", b"end")
    route = fake.get(f"{CONTAINER}/files/read").mock(
        return_value=streamed(
            body,
            Content_Type="application/octet-stream",
            Content_Length="7",
            ETag=ETAG,
            Last_Modified="Sun, 29 Nov 2026 10:15:00 GMT",
        )
    )

    stream = await wap.open_container_file(WAP_ID, "/app/blob.bin")
    async with stream:
        chunks = [chunk async for chunk in stream]

    assert chunks == [b"\x00\x01", b"\xff\xfe", b"end"]
    assert (stream.content_type, stream.etag, stream.size) == ("application/octet-stream", ETAG, 7)
    assert stream.last_modified == AT_DT
    assert body.closed
    request = sent(route, answer=False)
    assert target(request) == ("GET", f"{SENT_TO}/files/read", [("path", "/app/blob.bin")])


@pytest.mark.parametrize(
    ("content", "if_match", "created"),
    [(b"\xffhi\x00\n", ETAG, False), (b"", None, True)],
    ids=["replacing-with-if-match", "creating-empty-without-if-match"],
)
async def test_write_file_puts_the_raw_bytes_and_if_match_only_when_given(
    wap: WapClient,
    fake: respx.MockRouter,
    sent: Any,
    content: bytes,
    if_match: str | None,
    created: bool,
) -> None:
    path = "/app/instructions/system.md"
    route = fake.put(f"{CONTAINER}/files/write").respond(
        200,
        json={
            "path": path,
            "created": created,
            "size": 5,
            "etag": ETAG,
            "modifiedAt": AT,
            "hotReloaded": True,
            "reloadedFiles": [path],
            "restartRequired": False,
        },
    )

    result = await wap.write_container_file(WAP_ID, path, content, if_match=if_match)

    assert result == wap_types.WriteResult(
        path,
        created=created,
        size=5,
        etag=ETAG,
        modified_at=AT_DT,
        hot_reloaded=True,
        reloaded_files=(path,),
        restart_required=False,
    )
    request = sent(route)
    assert target(request) == ("PUT", f"{SENT_TO}/files/write", [("path", path)])
    assert request.content == content
    assert request.headers["content-type"] == "application/octet-stream"
    assert request.headers.get("if-match") == if_match


@pytest.mark.parametrize("if_match", [ETAG, None], ids=["with-if-match", "without-if-match"])
async def test_delete_file_sends_delete_and_if_match_only_when_given(
    wap: WapClient, fake: respx.MockRouter, sent: Any, if_match: str | None
) -> None:
    route = fake.delete(f"{CONTAINER}/files").respond(
        200,
        json={
            "path": "/app/config/app.yaml",
            "deleted": True,
            "hotReloaded": False,
            "reloadedFiles": [],
            "restartRequired": True,
        },
    )

    result = await wap.delete_container_file(WAP_ID, "/app/config/app.yaml", if_match=if_match)

    assert result == wap_types.DeleteResult(
        "/app/config/app.yaml",
        deleted=True,
        hot_reloaded=False,
        reloaded_files=(),
        restart_required=True,
    )
    request = sent(route)
    assert target(request) == ("DELETE", f"{SENT_TO}/files", [("path", "/app/config/app.yaml")])
    assert request.headers.get("if-match") == if_match
    assert request.content == b""


@pytest.mark.parametrize(
    ("open_stream", "action", "pieces", "first"),
    [
        (
            lambda wap: wap.open_container_file(WAP_ID, "/app/blob.bin"),
            "files/read",
            (b"first", b"second", b"third"),
            b"first",
        ),
        (
            lambda wap: wap.follow_container_logs(WAP_ID, LogOptions()),
            "logs",
            (b"one\n", b"two\n", b"three\n"),
            "one",
        ),
    ],
    ids=["file", "followed-log"],
)
async def test_closing_an_unfinished_stream_closes_the_answer(
    wap: WapClient,
    fake: respx.MockRouter,
    open_stream: Any,
    action: str,
    pieces: tuple[bytes, ...],
    first: object,
) -> None:
    body = Body(*pieces)
    fake.get(f"{CONTAINER}/{action}").mock(return_value=streamed(body))

    stream = await open_stream(wap)
    assert await stream.__anext__() == first
    await stream.aclose()

    assert body.closed
    assert body.pulled == 1


# -- health, stats, logs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "health", "started_at", "started", "streak"),
    [
        ("stopped", "none", None, None, 0),
        (
            "running",
            "unhealthy",
            "2026-11-29T09:00:00.250Z",
            datetime(2026, 11, 29, 9, 0, 0, 250_000, tzinfo=UTC),
            3,
        ),
    ],
    ids=["null-start-time", "a-start-time"],
)
async def test_container_health_is_parsed_with_or_without_a_start_time(
    wap: WapClient,
    fake: respx.MockRouter,
    sent: Any,
    status: wap_types.ContainerStatus,
    health: wap_types.HealthStatus,
    started_at: str | None,
    started: datetime | None,
    streak: int,
) -> None:
    route = fake.get(f"{CONTAINER}/health").respond(
        200,
        json={
            "id": WAP_ID,
            "status": status,
            "health": health,
            "startedAt": started_at,
            "checkedAt": AT,
            "failingStreak": streak,
        },
    )

    found = await wap.get_container_health(WAP_ID)

    assert found == wap_types.ContainerHealth(WAP_ID, status, health, started, AT_DT, streak)
    assert target(sent(route)) == ("GET", f"{SENT_TO}/health", [])


async def test_all_container_health_gets_the_bulk_report(
    wap: WapClient, fake: respx.MockRouter, sent: Any
) -> None:
    route = fake.get("/containers/health").respond(
        200,
        json={
            "containers": [
                {
                    "id": "wap-1",
                    "status": "running",
                    "health": "healthy",
                    "checkedAt": AT,
                    "resources": {
                        "cpuPercent": 3.5,
                        "memoryBytes": 134217728,
                        "memoryLimitBytes": 536870912,
                    },
                },
                {
                    "id": "wap-2",
                    "status": "restarting",
                    "health": "starting",
                    "checkedAt": AT,
                    "resources": {"cpuPercent": 0, "memoryBytes": 0, "memoryLimitBytes": 0},
                },
            ]
        },
    )

    summary = await wap.get_all_container_health()

    busy = wap_types.ContainerResources(3.5, 134217728, 536870912)
    idle = wap_types.ContainerResources(0.0, 0, 0)
    assert summary == wap_types.HealthSummary(
        (
            wap_types.HealthEntry("wap-1", "running", "healthy", AT_DT, busy),
            wap_types.HealthEntry("wap-2", "restarting", "starting", AT_DT, idle),
        )
    )
    assert target(sent(route)) == ("GET", "/core/containers/health", [])


async def test_stats_are_parsed(wap: WapClient, fake: respx.MockRouter, sent: Any) -> None:
    route = fake.get(f"{CONTAINER}/stats").respond(
        200,
        json={
            "id": WAP_ID,
            "cpuPercent": 12.25,
            "memoryBytes": 1,
            "memoryLimitBytes": 2,
            "networkRxBytes": 3,
            "networkTxBytes": 4,
            "blockReadBytes": 5,
            "blockWriteBytes": 6,
            "pids": 7,
            "sampledAt": AT,
        },
    )

    stats = await wap.get_container_stats(WAP_ID)

    assert stats == wap_types.ContainerStats(WAP_ID, 12.25, 1, 2, 3, 4, 5, 6, 7, AT_DT)
    assert target(sent(route)) == ("GET", f"{SENT_TO}/stats", [])


async def test_logs_are_asked_with_every_option_and_split_into_lines(
    wap: WapClient, fake: respx.MockRouter, sent: Any
) -> None:
    body = "2026-11-29T10:15:00Z started\r\n\n2026-11-29T10:15:01Z progress 10%\r50%\n"
    route = fake.get(f"{CONTAINER}/logs").respond(
        200, text=body, headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    since = datetime(2026, 11, 29, 12, 0, tzinfo=timezone(timedelta(hours=2)))

    lines = await wap.get_container_logs(WAP_ID, LogOptions(tail=50, since=since, timestamps=True))

    assert lines == [
        "2026-11-29T10:15:00Z started",
        "",
        "2026-11-29T10:15:01Z progress 10%\r50%",
    ]
    assert target(sent(route)) == (
        "GET",
        f"{SENT_TO}/logs",
        [
            ("follow", "false"),
            ("since", "2026-11-29T12:00:00+02:00"),
            ("tail", "50"),
            ("timestamps", "true"),
        ],
    )


async def test_logs_with_default_options_send_no_tail_or_since(
    wap: WapClient, fake: respx.MockRouter, sent: Any
) -> None:
    route = fake.get(f"{CONTAINER}/logs").respond(
        200, text="only line\n", headers={"Content-Type": "text/plain; charset=utf-8"}
    )

    assert await wap.get_container_logs(WAP_ID, LogOptions()) == ["only line"]
    sent_query = [("follow", "false"), ("timestamps", "false")]
    assert target(sent(route)) == ("GET", f"{SENT_TO}/logs", sent_query)


async def test_follow_logs_yields_lines_as_they_stream_in(
    wap: WapClient, fake: respx.MockRouter, sent: Any
) -> None:
    body = Body(b"first li", b"ne\nsecond\n", b"caf\xc3", b"\xa9 third\n", b"last")
    route = fake.get(f"{CONTAINER}/logs").mock(
        return_value=streamed(body, Content_Type="text/plain; charset=utf-8")
    )

    stream = await wap.follow_container_logs(WAP_ID, LogOptions(tail=1, since=AT_DT))
    async with stream:
        lines = [line async for line in stream]

    assert lines == ["first line", "second", "café third", "last"]
    assert body.closed
    request = sent(route, answer=False)
    assert target(request) == (
        "GET",
        f"{SENT_TO}/logs",
        [
            ("follow", "true"),
            ("since", "2026-11-29T10:15:00Z"),
            ("tail", "1"),
            ("timestamps", "false"),
        ],
    )
    # A quiet container must not time the stream out; the other timeouts still hold.
    assert request.extensions["timeout"] == {**TIMEOUTS, "read": None}


# -- env ---------------------------------------------------------------------------------------


async def test_env_is_read_unmasked(wap: WapClient, fake: respx.MockRouter, sent: Any) -> None:
    route = fake.get(f"{CONTAINER}/env").respond(
        200, json={"id": WAP_ID, "variables": {"LOG_LEVEL": "info", "OPENAI_API_KEY": "sk-x"}}
    )

    env = await wap.get_container_env(WAP_ID)

    assert env == wap_types.EnvVariables(WAP_ID, {"LOG_LEVEL": "info", "OPENAI_API_KEY": "sk-x"})
    assert target(sent(route)) == ("GET", f"{SENT_TO}/env", [])


async def test_env_update_patches_set_and_unset_as_json(
    wap: WapClient, fake: respx.MockRouter, sent: Any
) -> None:
    route = fake.patch(f"{CONTAINER}/env").respond(
        200, json={"id": WAP_ID, "variables": {"LOG_LEVEL": "debug"}, "restartRequired": True}
    )

    update = await wap.update_container_env(WAP_ID, {"LOG_LEVEL": "debug"}, ["OLD_FLAG"])

    assert update == wap_types.EnvUpdate(WAP_ID, {"LOG_LEVEL": "debug"}, True)
    request = sent(route)
    assert target(request) == ("PATCH", f"{SENT_TO}/env", [])
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"set": {"LOG_LEVEL": "debug"}, "unset": ["OLD_FLAG"]}


# -- the client itself -------------------------------------------------------------------------


async def test_the_timeouts_come_from_the_settings(
    wap: WapClient, fake: respx.MockRouter, sent: Any
) -> None:
    route = fake.post(f"{CONTAINER}/stop").respond(
        200, json={"id": WAP_ID, "status": "stopped", "changedAt": AT}
    )

    await wap.stop_container(WAP_ID)

    assert sent(route).extensions["timeout"] == TIMEOUTS


async def test_the_client_never_shows_its_credentials() -> None:
    client = WapClient(make_settings(wap_url="http://user:pw@wap.test/core"))

    assert repr(client) == "WapClient(base_url='http://wap.test/core', started=False)"
    assert PASSWORD not in repr(make_settings())


async def test_calling_before_start_is_a_programming_error() -> None:
    client = WapClient(make_settings())

    with pytest.raises(RuntimeError, match="start"):
        await client.get_container_env(WAP_ID)


async def test_an_injected_transport_replaces_the_network() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "wap-1", "variables": {"A": "1"}})

    async with WapClient(make_settings(), transport=httpx.MockTransport(handle)) as client:
        first = await client.get_container_env("wap-1")
        second = await client.get_container_env("wap-1")

    assert first == second == wap_types.EnvVariables("wap-1", {"A": "1"})
    assert [str(r.url) for r in seen] == ["http://wap.test/core/containers/wap-1/env"] * 2
    assert all(r.headers["authorization"] == BASIC for r in seen)


async def test_dot_segments_in_a_wap_id_are_not_resolved(
    wap: WapClient, fake: respx.MockRouter
) -> None:
    route = fake.get(path__regex=r"/containers/.*/env").respond(
        200, json={"id": "..", "variables": {}}
    )

    await wap.get_container_env("..")

    assert raw_path(route.calls.last.request) == "/core/containers/%2E%2E/env"


async def test_in_memory_streams_let_fakes_answer_like_the_client() -> None:
    file = Stream.of([b"abcd", b"ef"], content_type="text/plain", etag=ETAG, size=6)
    async with Stream.of(["one", "two"]) as lines:
        received = [line async for line in lines]

    async with file:
        chunks = [chunk async for chunk in file]

    assert chunks == [b"abcd", b"ef"]
    assert (file.size, file.content_type, file.etag, file.last_modified) == (
        6,
        "text/plain",
        ETAG,
        None,
    )
    assert received == ["one", "two"]
    assert (lines.content_type, lines.etag, lines.size, lines.last_modified) == (None,) * 4


async def test_a_stream_closes_itself_once_fully_read() -> None:
    closed: list[str] = []

    async def close() -> None:
        closed.append("closed")

    stream = Stream.of(["only"], close=close)

    assert [line async for line in stream] == ["only"]
    assert closed == ["closed"]
