"""What WapClient puts on the wire, now that it builds its requests itself.

``wap_wire.Requests`` prepares once what ``httpx.AsyncClient.build_request`` and
``httpx.BasicAuth`` used to do on every call. These tests hold it to them: each request
is the one such a client would have sent (URL, headers, body, timeouts), and over a real
socket both transports send the same request head, with nothing added by aiohttp.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from service.adapters import wap_wire
from service.adapters.aiohttp_transport import AiohttpTransport
from service.adapters.http1_transport import Http1Transport
from service.adapters.wap_client import WapClient
from service.settings import WAP_HTTP_TRANSPORTS
from service.wap import LogOptions
from tests.integration.test_wap_client import (
    AT,
    BASE_URL,
    BASIC,
    PASSWORD,
    USERNAME,
    WAP_ID,
    make_settings,
)

HEALTH = {
    "id": WAP_ID,
    "status": "running",
    "health": "healthy",
    "startedAt": AT,
    "checkedAt": AT,
    "failingStreak": 0,
}
STATE = {"id": WAP_ID, "status": "running", "changedAt": AT}
WRITTEN = {
    "path": "/app/a.md",
    "created": True,
    "size": 2,
    "etag": '"1"',
    "modifiedAt": AT,
    "hotReloaded": False,
    "reloadedFiles": [],
    "restartRequired": False,
}
ENV = {"id": WAP_ID, "variables": {}, "restartRequired": False}

Call = Callable[[WapClient], Awaitable[object]]
# (what the client does, what an httpx client would have been asked to send, WAP's answer)
CALLS: list[tuple[str, Call, dict[str, Any], object]] = [
    (
        "health",
        lambda w: w.get_container_health(WAP_ID),
        {"method": "GET", "url": "/containers/wap%207f%2F3a/health"},
        HEALTH,
    ),
    (
        "start",
        lambda w: w.start_container(WAP_ID),
        {"method": "POST", "url": "/containers/wap%207f%2F3a/start"},
        STATE,
    ),
    (
        "write",
        lambda w: w.write_container_file(WAP_ID, "/app/a b/ü.md", b"hi", if_match='"0"'),
        {
            "method": "PUT",
            "url": "/containers/wap%207f%2F3a/files/write",
            "params": {"path": "/app/a b/ü.md"},
            "content": b"hi",
            "headers": {"Content-Type": "application/octet-stream", "If-Match": '"0"'},
        },
        WRITTEN,
    ),
    (
        "env-update",
        lambda w: w.update_container_env(WAP_ID, {"A": "1"}, ["B"]),
        {
            "method": "PATCH",
            "url": "/containers/wap%207f%2F3a/env",
            "json": {"set": {"A": "1"}, "unset": ["B"]},
        },
        ENV,
    ),
    (
        "logs",
        lambda w: w.get_container_logs(WAP_ID, LogOptions(tail=5)),
        {
            "method": "GET",
            "url": "/containers/wap%207f%2F3a/logs",
            "params": {"timestamps": "false", "follow": "false", "tail": "5"},
        },
        "",
    ),
]


def answer(body: object) -> httpx.Response:
    if isinstance(body, str):
        return httpx.Response(200, text=body)
    return httpx.Response(200, json=body)


def headers_of(request: httpx.Request) -> list[tuple[str, str]]:
    return sorted((k.lower(), v) for k, v in request.headers.multi_items())


@pytest.mark.parametrize(("name", "call", "asked", "body"), CALLS, ids=[c[0] for c in CALLS])
async def test_each_request_is_the_one_an_httpx_client_with_basic_auth_would_send(
    name: str, call: Call, asked: dict[str, Any], body: object
) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(body)

    async with WapClient(make_settings(), transport=httpx.MockTransport(handle)) as wap:
        await call(wap)
    async with httpx.AsyncClient(
        base_url=BASE_URL, auth=(USERNAME, PASSWORD), timeout=httpx.Timeout(1.5)
    ) as reference:
        expected = reference.build_request(**asked)
        expected = await reference.auth.async_auth_flow(expected).__anext__()

    (request,) = seen
    assert (request.method, str(request.url), request.url.raw_path, request.content) == (
        expected.method,
        str(expected.url),
        expected.url.raw_path,
        expected.content,
    )
    assert headers_of(request) == headers_of(expected)
    assert request.headers["authorization"] == BASIC


async def test_credentials_in_the_wap_url_are_never_sent_the_settings_ones_are() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(HEALTH)

    settings = make_settings(wap_url="http://someone:else@wap.test/core")
    async with WapClient(settings, transport=httpx.MockTransport(handle)) as wap:
        await wap.get_container_health(WAP_ID)

    assert str(seen[0].url) == "http://wap.test/core/containers/wap%207f%2F3a/health"
    assert seen[0].headers.get_list("authorization") == [BASIC]


def test_a_url_without_a_query_is_made_once_per_container_and_kept_within_a_bound() -> None:
    requests = wap_wire.Requests(
        BASE_URL, username=USERNAME, password=PASSWORD, timeout=httpx.Timeout(1.0)
    )

    first = requests.url("wap-0", "health")
    assert requests.url("wap-0", "health") is first
    assert requests.url("wap-0", "files", {"path": "/a"}) is not requests.url(
        "wap-0", "files", {"path": "/a"}
    )
    for n in range(1, wap_wire._MAX_URLS + 1):  # one more than it keeps: the oldest goes
        requests.url(f"wap-{n}", "health")

    again = requests.url("wap-0", "health")
    assert again is not first and again == first
    assert requests.url(f"wap-{wap_wire._MAX_URLS}", "health") is requests.url(
        f"wap-{wap_wire._MAX_URLS}", "health"
    )


# -- over a socket -----------------------------------------------------------------------------


@dataclass
class Head:
    request_line: str
    headers: list[tuple[str, str]]
    body: bytes


class RecordingWap:
    """A WAP on a raw socket: records each request head and body as it arrived, and answers
    the contract's JSON for the path (keep-alive)."""

    ANSWERS = {b"/health": HEALTH, b"/start": STATE, b"/write": WRITTEN}

    def __init__(self) -> None:
        self.heads: list[Head] = []
        self.url = ""
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> RecordingWap:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/core"
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *fields = head.decode("latin-1").split("\r\n")[:-2]
                headers = [(k, v.strip()) for k, _, v in (f.partition(":") for f in fields)]
                size = sum(int(v) for k, v in headers if k.lower() == "content-length")
                self.heads.append(Head(line, headers, await reader.readexactly(size)))
                path = line.split(" ")[1].split("?")[0].encode()
                body = json.dumps(self.ANSWERS[path[path.rfind(b"/") :]]).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def recording() -> AsyncIterator[RecordingWap]:
    async with RecordingWap() as wap:
        yield wap


def names(head: Head) -> list[str]:
    return [k.lower() for k, _ in head.headers]


HTTPX_HEADERS = ["host", "accept", "accept-encoding", "connection", "user-agent"]


@pytest.mark.parametrize("transport", WAP_HTTP_TRANSPORTS)
async def test_every_transport_sends_the_prepared_head_and_nothing_more(
    recording: RecordingWap, transport: str
) -> None:
    settings = make_settings(wap_url=recording.url, wap_http_transport=transport)
    async with WapClient(settings) as wap:
        await wap.get_container_health(WAP_ID)
        await wap.start_container(WAP_ID)
        await wap.write_container_file(WAP_ID, "/app/a.md", b"hi")

    get, post, put = recording.heads
    assert get.request_line == "GET /core/containers/wap%207f%2F3a/health HTTP/1.1"
    assert sorted(names(get)) == sorted([*HTTPX_HEADERS, "authorization"])
    assert ("Authorization", BASIC) in get.headers
    # A bodiless POST says so; neither transport invents a Content-Type for it.
    assert sorted(names(post)) == sorted([*HTTPX_HEADERS, "authorization", "content-length"])
    assert ("Content-Length", "0") in post.headers
    assert names(put).count("content-type") == 1
    assert ("Content-Type", "application/octet-stream") in put.headers
    assert put.request_line.startswith("PUT /core/containers/wap%207f%2F3a/files/write?path=")
    assert put.body == b"hi"


@pytest.mark.parametrize("transport_class", [Http1Transport, AiohttpTransport])
async def test_a_small_answer_that_arrived_whole_is_handed_over_as_its_bytes(
    recording: RecordingWap, transport_class: type[httpx.AsyncBaseTransport]
) -> None:
    transport = transport_class()
    try:
        url = f"{recording.url}/containers/x/health"
        response = await transport.handle_async_request(httpx.Request("GET", url))
        assert isinstance(response.stream, httpx.ByteStream)  # no stream left to pull
        body = await response.aread()
    finally:
        await transport.aclose()

    assert json.loads(body) == HEALTH
