"""``Http1Transport`` on the wire: an ``httpx.Request`` in, an ``httpx.Response`` out, against
raw asyncio servers that answer scripted bytes.

test_aiohttp_transport.py runs WapClient over the transport against ``wap_stub``, which only
ever answers well; here each promise of the transport's docstring is held against a server
that does what a real one may do: close, stall, answer early, answer twice, or lie. The
server counts the connections it accepted, which is how reuse is seen from outside.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from service.adapters import http1_transport
from service.adapters.http1_transport import Http1Transport

SHORT = 0.2  # the timeout a test waits out
LONG = 2.0  # a timeout a test must never reach


# -- a scripted server ----------------------------------------------------------------------


@dataclass
class Head:
    line: str
    headers: list[tuple[str, str]]
    body: bytes = b""

    @property
    def target(self) -> str:
        return self.line.split(" ")[1]

    def get(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name]
        return values[0] if values else None


@dataclass
class Peer:
    """One connection the server accepted, as its script sees it."""

    index: int
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    requests: list[Head] = field(default_factory=list)
    eof: asyncio.Event = field(default_factory=asyncio.Event)  # the client closed it

    async def head(self) -> Head:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        line, *fields = raw[:-4].decode("latin-1").split("\r\n")
        return Head(line, [(name, value) for name, _, value in (f.partition(": ") for f in fields)])

    async def body(self, head: Head) -> bytes:
        length = head.get("content-length")
        if length is not None:
            return await self.reader.readexactly(int(length))
        if head.get("transfer-encoding") == "chunked":
            return await self._chunked()
        return b""

    async def request(self) -> Head:
        head = await self.head()
        head.body = await self.body(head)
        self.requests.append(head)
        return head

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                assert await self.reader.readuntil(b"\r\n") == b"\r\n"  # no trailers
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            assert await self.reader.readexactly(2) == b"\r\n"


Script = Callable[[Peer], Awaitable[None]]


class Server:
    """``asyncio.start_server`` on 127.0.0.1 running ``script`` for each connection; a script
    that fails the test fails it when the server closes."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.peers: list[Peer] = []
        self.url = ""
        self._tasks: set[asyncio.Task[Any]] = set()
        self._failures: list[BaseException] = []
        self._server: asyncio.Server | None = None

    @property
    def accepted(self) -> int:
        return len(self.peers)

    @property
    def targets(self) -> list[str]:
        """Every request's target in the order of arrival, over all connections."""
        return [head.target for peer in self.peers for head in peer.requests]

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.url = "http://127.0.0.1:%d" % self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
        if self._failures and exc_info[0] is None:
            raise self._failures[0]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        peer = Peer(len(self.peers), reader, writer)
        self.peers.append(peer)
        try:
            await self.script(peer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            peer.eof.set()
        except asyncio.CancelledError:
            pass  # the server is closing (the task ends as done: 3.11 logs a cancelled one)
        except Exception as exc:  # noqa: BLE001 - handed to the test
            self._failures.append(exc)
        finally:
            writer.close()

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Until ``predicate()`` holds (a request arrived, a connection was made...)."""
        async with asyncio.timeout(LONG):
            while not predicate():
                await asyncio.sleep(0.005)


def answer(
    body: bytes | str = b"",
    *,
    status: str = "200 OK",
    headers: tuple[tuple[str, str], ...] = (),
    version: str = "HTTP/1.1",
) -> bytes:
    data = body.encode() if isinstance(body, str) else body
    lines = [f"{version} {status}", f"Content-Length: {len(data)}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def serving(respond: Callable[[Head], bytes] = lambda head: answer(head.target)) -> Script:
    """Answer every request on the connection with ``respond(head)``, until the client closes."""

    async def script(peer: Peer) -> None:
        while True:
            head = await peer.request()
            peer.send(respond(head))

    return script


async def held(peer: Peer) -> None:
    """Read one request and never answer it."""
    await peer.request()
    await asyncio.Event().wait()


def request(
    server: Server,
    path: str = "/",
    *,
    method: str = "GET",
    read: float = LONG,
    pool: float = LONG,
    write: float = LONG,
    deadline: http1_transport.Deadline | None = None,
    **kwargs: Any,
) -> httpx.Request:
    timeout = httpx.Timeout(LONG, read=read, pool=pool, write=write)
    extensions: dict[str, Any] = {"timeout": timeout.as_dict()}
    if deadline is not None:
        extensions["deadline"] = deadline
    return httpx.Request(method, server.url + path, extensions=extensions, **kwargs)


async def fetch(transport: Http1Transport, server: Server, path: str = "/", **kw: Any) -> bytes:
    response = await transport.handle_async_request(request(server, path, **kw))
    return await response.aread()


@pytest.fixture
async def transport() -> AsyncIterator[Http1Transport]:
    async with Http1Transport() as pooled:
        yield pooled


def one_connection(**limits: Any) -> Http1Transport:
    return Http1Transport(httpx.Limits(max_connections=1, **limits))


async def _eof(peer: Peer) -> bool:
    """The client closed ``peer`` (whose script is parked, not reading)."""
    async with asyncio.timeout(LONG):
        return await peer.reader.read() == b""


async def closed_by_client(peer: Peer) -> bool:
    """The client closed ``peer`` (whose script was reading for its next request)."""
    try:
        async with asyncio.timeout(LONG):
            await peer.eof.wait()
    except TimeoutError:
        return False
    return True


# -- keep-alive -----------------------------------------------------------------------------


async def test_sequential_requests_share_one_kept_alive_connection(
    transport: Http1Transport,
) -> None:
    async with Server(serving()) as server:
        bodies = [await fetch(transport, server, path) for path in ("/a", "/b", "/c")]

    assert bodies == [b"/a", b"/b", b"/c"]
    assert server.accepted == 1


async def test_the_answer_comes_back_raw_with_its_headers_in_order(
    transport: Http1Transport,
) -> None:
    zipped = gzip.compress(b"hello")
    raw = answer(
        zipped,
        status="201 Made Here",
        headers=(("X-B", "2"), ("Content-Encoding", "gzip"), ("X-A", "1"), ("X-B", "3")),
    )
    async with Server(serving(lambda head: raw)) as server:
        response = await transport.handle_async_request(request(server))
        body = b"".join([part async for part in response.aiter_raw()])

    assert response.status_code == 201
    assert response.extensions["reason_phrase"] == b"Made Here"
    assert response.extensions["http_version"] == b"HTTP/1.1"
    assert response.headers.raw == [
        (b"Content-Length", str(len(zipped)).encode()),
        (b"X-B", b"2"),
        (b"Content-Encoding", b"gzip"),
        (b"X-A", b"1"),
        (b"X-B", b"3"),
    ]
    assert body == zipped  # httpx decodes, not the transport


@pytest.mark.parametrize(
    "ending",
    [answer("bye", headers=(("Connection", "close"),)), answer("old", version="HTTP/1.0")],
    ids=["connection-close", "http-1.0"],
)
async def test_an_answer_that_does_not_keep_the_connection_alive_is_not_reused(
    transport: Http1Transport, ending: bytes
) -> None:
    # The server keeps reading after it: only the client can decide not to reuse.
    async with Server(serving(lambda head: ending)) as server:
        await fetch(transport, server, "/a")
        await fetch(transport, server, "/b")
        assert await closed_by_client(server.peers[0])

    assert server.accepted == 2
    assert [len(peer.requests) for peer in server.peers] == [1, 1]


async def test_a_request_that_says_connection_close_is_not_reused(
    transport: Http1Transport,
) -> None:
    async with Server(serving()) as server:  # a server that ignores the client's close
        await fetch(transport, server, "/a", headers={"Connection": "close"})
        await fetch(transport, server, "/b")
        assert await closed_by_client(server.peers[0])

    assert server.accepted == 2


async def test_an_idle_connection_older_than_the_keepalive_expiry_is_not_reused() -> None:
    async with (
        Server(serving()) as server,
        Http1Transport(httpx.Limits(keepalive_expiry=0.05)) as transport,
    ):
        await fetch(transport, server, "/a")
        await asyncio.sleep(0.1)
        assert await fetch(transport, server, "/b") == b"/b"
        assert await closed_by_client(server.peers[0])

    assert server.accepted == 2


async def test_an_idle_connection_the_server_closed_is_replaced_without_an_error(
    transport: Http1Transport,
) -> None:
    async def answer_then_close(peer: Peer) -> None:
        head = await peer.request()
        peer.send(answer(head.target))
        await peer.writer.drain()
        await asyncio.sleep(0.02)  # idle for a moment, then the server's keep-alive ends

    async with Server(answer_then_close) as server:
        assert await fetch(transport, server, "/a") == b"/a"
        await asyncio.sleep(0.1)
        assert await fetch(transport, server, "/b") == b"/b"

    assert server.accepted == 2


async def test_a_connection_closed_right_after_its_answer_is_not_reused(
    transport: Http1Transport,
) -> None:
    """The FIN is in the socket (unread by the loop yet) when the next request starts."""

    async def answer_and_close(peer: Peer) -> None:
        head = await peer.request()
        peer.send(answer(head.target))  # no Connection: close, then the server closes

    async with Server(answer_and_close) as server:
        for path in ("/a", "/b", "/c", "/d"):  # each at once after the previous answer
            assert await fetch(transport, server, path) == path.encode()

    assert server.accepted == 4


# -- framing --------------------------------------------------------------------------------


async def test_a_close_delimited_body_is_read_to_the_end(transport: Http1Transport) -> None:
    async def close_delimited(peer: Peer) -> None:
        await peer.request()
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst,")
        for part in (b"second,", b"third"):
            await asyncio.sleep(0.01)
            peer.send(part)

    async with Server(close_delimited) as server:
        response = await transport.handle_async_request(request(server))
        assert not isinstance(response.stream, httpx.ByteStream)
        assert await response.aread() == b"first,second,third"
        assert await fetch(transport, server, "/next") == b"first,second,third"

    assert server.accepted == 2


async def test_a_chunked_answer_is_decoded_and_its_connection_kept(
    transport: Http1Transport,
) -> None:
    async def chunked(peer: Peer) -> None:
        while True:
            head = await peer.request()
            peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            peer.send(b"3;ext=1\r\nabc\r\n")
            await asyncio.sleep(0.01)
            peer.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(head.target), head.target.encode()))

    async with Server(chunked) as server:
        assert await fetch(transport, server, "/a") == b"abc/a"
        assert await fetch(transport, server, "/b") == b"abc/b"

    assert server.accepted == 1


async def test_interim_answers_are_skipped_for_the_real_one(transport: Http1Transport) -> None:
    async def interim_first(peer: Peer) -> None:
        while True:
            head = await peer.request()
            peer.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            await asyncio.sleep(0.01)
            peer.send(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n")
            peer.send(answer(head.target, status="202 Accepted", headers=(("X-Real", "1"),)))

    async with Server(interim_first) as server:
        response = await transport.handle_async_request(request(server, "/a"))
        assert await response.aread() == b"/a"
        assert await fetch(transport, server, "/b") == b"/b"

    assert response.status_code == 202
    assert response.extensions["reason_phrase"] == b"Accepted"
    assert [name for name, _ in response.headers.raw] == [b"Content-Length", b"X-Real"]
    assert server.accepted == 1


@pytest.mark.parametrize("status", ["204 No Content", "304 Not Modified"])
async def test_a_bodiless_status_ends_at_its_headers(
    transport: Http1Transport, status: str
) -> None:
    # No Content-Length: were it read to the connection's end, it would time out.
    async with Server(serving(lambda head: f"HTTP/1.1 {status}\r\n\r\n".encode())) as server:
        assert await fetch(transport, server, "/a", read=SHORT) == b""
        assert await fetch(transport, server, "/b", read=SHORT) == b""

    assert server.accepted == 1


async def test_an_answer_that_arrived_whole_frees_its_connection_before_it_is_read() -> None:
    async with Server(serving()) as server, one_connection() as transport:
        first = await transport.handle_async_request(request(server, "/a"))
        assert await fetch(transport, server, "/b", pool=SHORT) == b"/b"
        assert await first.aread() == b"/a"

    assert server.accepted == 1


# -- a server that fails --------------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [
        b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n",
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: two\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
    ],
    ids=["status", "not-http", "length", "two-lengths"],
)
async def test_a_malformed_answer_raises_remote_protocol_error(
    transport: Http1Transport, garbage: bytes
) -> None:
    async with Server(serving(lambda head: garbage)) as server:
        with pytest.raises(httpx.RemoteProtocolError):
            await transport.handle_async_request(request(server))


async def test_a_malformed_chunk_raises_remote_protocol_error_while_reading(
    transport: Http1Transport,
) -> None:
    body = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
    async with Server(serving(lambda head: body + b"zz\r\n")) as server:
        response = await transport.handle_async_request(request(server))
        with pytest.raises(httpx.RemoteProtocolError):
            await response.aread()


@pytest.mark.parametrize("sent", [b"", b"HTTP/1.1 200 OK\r\nContent-Le"], ids=["none", "half"])
async def test_a_server_closing_before_answering_raises_remote_protocol_error(
    transport: Http1Transport, sent: bytes
) -> None:
    async def close_early(peer: Peer) -> None:
        await peer.request()
        peer.send(sent)

    async with Server(close_early) as server:
        with pytest.raises(httpx.RemoteProtocolError):
            await transport.handle_async_request(request(server))


@pytest.mark.parametrize(
    "partial",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n",
    ],
    ids=["content-length", "chunked"],
)
async def test_a_server_closing_inside_the_body_raises_remote_protocol_error_while_reading(
    transport: Http1Transport, partial: bytes
) -> None:
    async def close_inside(peer: Peer) -> None:
        await peer.request()
        peer.send(partial)
        await peer.writer.drain()
        await asyncio.sleep(0.02)  # the headers are read as a stream first

    async with Server(close_inside) as server:
        response = await transport.handle_async_request(request(server))
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            await response.aread()


async def test_no_answer_within_the_read_timeout_raises_read_timeout_and_closes(
    transport: Http1Transport,
) -> None:
    async with Server(held) as server:
        with pytest.raises(httpx.ReadTimeout):
            await transport.handle_async_request(request(server, read=SHORT))
        assert await _eof(server.peers[0])


async def test_a_stall_between_body_chunks_raises_read_timeout_and_is_never_reused(
    transport: Http1Transport,
) -> None:
    rest = asyncio.Event()

    async def answer_late(peer: Peer) -> None:
        if peer.index == 0:
            await peer.request()
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            await rest.wait()
            peer.send(b"defghij")  # too late: the reader gave up
        await serving()(peer)

    async with Server(answer_late) as server:
        response = await transport.handle_async_request(request(server, "/a", read=SHORT))
        with pytest.raises(httpx.ReadTimeout):
            await response.aread()
        rest.set()
        await asyncio.sleep(0.05)
        assert await fetch(transport, server, "/b") == b"/b"

    assert server.accepted == 2


async def test_connecting_to_a_closed_port_raises_connect_error(
    transport: Http1Transport,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(httpx.ConnectError):
        await transport.handle_async_request(httpx.Request("GET", f"http://127.0.0.1:{port}/"))


async def test_a_connect_that_does_not_complete_raises_connect_timeout(
    transport: Http1Transport,
) -> None:
    with socket.socket() as listener, socket.socket() as filler:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)  # one connection queued, never accepted: the next SYN is dropped
        filler.connect(listener.getsockname())
        url = "http://127.0.0.1:%d/" % listener.getsockname()[1]
        timeout = httpx.Timeout(LONG, connect=SHORT)
        with pytest.raises(httpx.ConnectTimeout):
            await transport.handle_async_request(
                httpx.Request("GET", url, extensions={"timeout": timeout.as_dict()})
            )


# -- the pool -------------------------------------------------------------------------------


@pytest.mark.parametrize("kept_alive", [True, False], ids=["handed-on", "closed"])
async def test_waiters_get_the_one_connection_in_order_once_each_answer_is_read(
    kept_alive: bool,
) -> None:
    """Kept alive, the connection goes to the first waiter; closed, its slot does."""
    rest = asyncio.Event()
    close = () if kept_alive else (("Connection", "close"),)

    async def streamed_first(peer: Peer) -> None:
        if peer.index:
            return await serving(lambda head: answer(head.target, headers=close))(peer)
        await peer.request()
        peer.send(answer("/a/a", headers=close)[:-2])  # half of the body
        await rest.wait()
        peer.send(b"/a")
        await serving()(peer)

    async with Server(streamed_first) as server, one_connection() as transport:
        first = await transport.handle_async_request(request(server, "/a"))
        waiting = []
        for path in ("/b", "/c", "/d"):
            waiting.append(asyncio.create_task(fetch(transport, server, path)))
            await asyncio.sleep(0.01)  # queued in this order
        assert server.targets == ["/a"] and not any(task.done() for task in waiting)

        rest.set()
        assert await first.aread() == b"/a/a"
        assert await asyncio.gather(*waiting) == [b"/b", b"/c", b"/d"]

    assert server.targets == ["/a", "/b", "/c", "/d"]
    assert server.accepted == (1 if kept_alive else 4)


def first_held(peer: Peer) -> Awaitable[None]:
    """The first connection's request is never answered; the others are served."""
    return held(peer) if peer.index == 0 else serving()(peer)


async def test_a_waiter_handed_a_connection_the_server_is_closing_opens_a_new_one() -> None:
    queued = asyncio.Event()

    async def answer_then_close(peer: Peer) -> None:
        if peer.index:
            return await serving()(peer)
        head = await peer.request()
        await queued.wait()
        peer.send(answer(head.target))  # kept alive, says the answer; then the server closes

    async with Server(answer_then_close) as server, one_connection() as transport:
        first = asyncio.create_task(fetch(transport, server, "/a"))
        await server.wait_for(lambda: server.targets == ["/a"])
        second = asyncio.create_task(fetch(transport, server, "/b"))
        await asyncio.sleep(0.01)
        queued.set()
        assert await asyncio.gather(first, second) == [b"/a", b"/b"]

    assert server.accepted == 2


async def test_a_request_never_given_a_connection_raises_pool_timeout() -> None:
    async with Server(first_held) as server, one_connection() as transport:
        stuck = asyncio.create_task(fetch(transport, server, "/a"))
        await server.wait_for(lambda: server.targets == ["/a"])
        with pytest.raises(httpx.PoolTimeout):
            await fetch(transport, server, "/b", pool=SHORT)
        stuck.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stuck
        # The timed-out waiter took no slot away; the cancelled request gave its own back.
        assert await fetch(transport, server, "/c", pool=SHORT) == b"/c"

    assert server.accepted == 2


@pytest.mark.parametrize("steps", range(4))
async def test_a_waiter_that_gives_up_passes_its_turn_to_the_next(steps: int) -> None:
    """The slot freed by a cancelled request goes to the first waiter, which is cancelled in
    turn at each point (before or after it was handed the slot): the next one gets it."""
    async with Server(first_held) as server, one_connection() as transport:
        stuck = asyncio.create_task(fetch(transport, server, "/a"))
        await server.wait_for(lambda: server.accepted == 1)
        quitter = asyncio.create_task(fetch(transport, server, "/quit"))
        await asyncio.sleep(0.01)
        patient = asyncio.create_task(fetch(transport, server, "/b", pool=SHORT))
        await asyncio.sleep(0.01)
        stuck.cancel()
        for _ in range(steps):
            await asyncio.sleep(0)
        quitter.cancel()
        assert await patient == b"/b"
        await asyncio.gather(stuck, quitter, return_exceptions=True)

    assert "/quit" not in server.targets and server.targets[-1] == "/b"


async def test_a_cancelled_request_closes_its_connection_and_never_hands_on_its_answer() -> None:
    late = asyncio.Event()

    async def answer_late(peer: Peer) -> None:
        if peer.index == 0:
            head = await peer.request()
            await late.wait()
            peer.send(answer("late " + head.target))  # into a connection the client closed
            await peer.writer.drain()
            await asyncio.sleep(0.05)
            return
        await serving()(peer)

    async with Server(answer_late) as server, one_connection() as transport:
        cancelled = asyncio.create_task(fetch(transport, server, "/a"))
        await server.wait_for(lambda: server.targets == ["/a"])
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        late.set()
        assert await fetch(transport, server, "/b", pool=SHORT) == b"/b"
        assert await fetch(transport, server, "/c", pool=SHORT) == b"/c"
        assert await _eof(server.peers[0])

    assert server.accepted == 2


@pytest.mark.parametrize("steps", range(8))
async def test_a_request_cancelled_while_connecting_frees_exactly_its_slot(steps: int) -> None:
    """Cancelled at each point of the connect in turn: the pool still holds one connection
    at most (a slot freed twice would let two requests in at once)."""
    async with Server(held) as server, one_connection() as transport:
        connecting = asyncio.create_task(fetch(transport, server, "/cancelled"))
        for _ in range(steps):
            await asyncio.sleep(0)
        connecting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await connecting
        await asyncio.sleep(0.01)  # every close is through
        before = server.accepted
        first = asyncio.create_task(fetch(transport, server, "/a"))
        second = asyncio.create_task(fetch(transport, server, "/b", pool=SHORT, read=SHORT))
        with pytest.raises(httpx.PoolTimeout):
            await second
        assert server.accepted == before + 1
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)


async def test_an_abandoned_stream_is_not_reused(transport: Http1Transport) -> None:
    async def half_then_serve(peer: Peer) -> None:
        if peer.index == 0:
            await peer.request()
            peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd")
            await asyncio.sleep(0.05)
            peer.send(b"efghij")  # too late: the reader gave up
        await serving()(peer)

    async with Server(half_then_serve) as server:
        response = await transport.handle_async_request(request(server, "/a"))
        async for part in response.aiter_raw():
            assert part == b"abcd"
            break
        await response.aclose()
        await asyncio.sleep(0.1)
        assert await fetch(transport, server, "/b") == b"/b"
        assert await closed_by_client(server.peers[0])

    assert server.accepted == 2


async def test_bytes_after_the_answer_make_its_connection_untrusted(
    transport: Http1Transport,
) -> None:
    """A second answer behind the first, in the same bytes: nobody asked for it."""
    stray = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"  # its body would be the next's head
    async with Server(serving(lambda head: answer(head.target) + stray)) as server:
        assert await fetch(transport, server, "/a") == b"/a"
        assert await fetch(transport, server, "/b") == b"/b"

    assert server.accepted == 2


# -- backpressure ---------------------------------------------------------------------------


async def test_a_slow_reader_pauses_the_socket_instead_of_buffering_the_answer(
    transport: Http1Transport,
) -> None:
    size, piece = 32 * 1024 * 1024, 256 * 1024
    bound = http1_transport._HIGH_WATER + 256 * 1024  # and one read of the socket more
    drained = 0  # bytes the server could hand to the socket

    async def large(peer: Peer) -> None:
        nonlocal drained
        await peer.request()
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        for _ in range(size // piece):
            peer.send(b"x" * piece)
            await peer.writer.drain()
            drained += piece

    async with Server(large) as server:
        response = await transport.handle_async_request(request(server))
        exchange = response.stream._exchange  # type: ignore[attr-defined]
        previous = -1
        while drained != previous:  # until the server's writes block
            previous = drained
            await asyncio.sleep(0.05)
        # What the kernel's buffers took, and no more: the client stopped reading.
        assert drained < size // 2
        assert exchange.buffered <= bound

        received = 0
        async for part in response.aiter_raw():
            received += len(part)
            assert exchange.buffered <= bound

    assert received == size


# -- request bodies -------------------------------------------------------------------------


async def test_a_streamed_request_body_goes_out_chunked(transport: Http1Transport) -> None:
    parts = [b"abc", b"", b"x" * 70_000, b"end"]

    async def upload() -> AsyncIterator[bytes]:
        for part in parts:
            await asyncio.sleep(0.005)
            yield part

    async with Server(serving(lambda head: answer(head.body))) as server:
        response = await transport.handle_async_request(
            request(server, "/up", method="POST", content=upload())
        )
        assert await response.aread() == b"".join(parts)
        assert await fetch(transport, server, "/next") == b""  # the body ended where it said

    head = server.peers[0].requests[0]
    assert head.get("transfer-encoding") == "chunked" and head.get("content-length") is None
    assert server.accepted == 1


@pytest.mark.parametrize("size", [2, 1024 * 1024], ids=["small", "large"])
async def test_a_request_body_of_known_length_goes_out_as_is(
    transport: Http1Transport, size: int
) -> None:
    body = bytes(range(256)) * (size // 256) if size > 256 else b"hi"
    async with Server(serving(lambda head: answer(head.body))) as server:
        assert await fetch(transport, server, "/up", method="PUT", content=body) == body
        assert await fetch(transport, server, "/next") == b""

    head = server.peers[0].requests[0]
    assert head.get("content-length") == str(len(body)) and head.get("transfer-encoding") is None
    assert server.accepted == 1


def too_large(kept_alive: bool) -> Script:
    """The first connection's request is refused at its head; the others are served."""

    async def refuse(peer: Peer) -> None:
        if peer.index:
            return await serving()(peer)
        await peer.head()  # and not the body
        close = () if kept_alive else (("Connection", "close"),)
        peer.send(answer("too big", status="413 Content Too Large", headers=close))
        await peer.writer.drain()
        if kept_alive:
            await asyncio.Event().wait()  # still reading: what the client sends next is a body

    return refuse


async def endless(part: bytes = b"x" * 65536, count: int = 1024) -> AsyncIterator[bytes]:
    for _ in range(count):  # 64 MiB at most: far more than the sockets' buffers
        yield part


@pytest.mark.parametrize("streamed", [False, True], ids=["known-length", "streamed"])
async def test_an_early_answer_while_uploading_is_returned_rather_than_a_write_error(
    transport: Http1Transport, streamed: bool
) -> None:
    content: Any = endless() if streamed else b"x" * (32 * 1024 * 1024)
    async with Server(too_large(kept_alive=False)) as server:
        response = await transport.handle_async_request(
            request(server, "/up", method="PUT", content=content)
        )
        assert response.status_code == 413
        assert await response.aread() == b"too big"


async def test_a_connection_that_answered_early_is_not_reused_while_the_body_goes_out(
    transport: Http1Transport,
) -> None:
    resume = asyncio.Event()

    async def upload() -> AsyncIterator[bytes]:
        yield b"first"
        await resume.wait()
        yield b"second"

    async with Server(too_large(kept_alive=True)) as server:
        uploading = asyncio.create_task(
            transport.handle_async_request(request(server, "/up", method="POST", content=upload()))
        )
        await server.wait_for(lambda: server.accepted == 1)
        await asyncio.sleep(0.02)  # the 413 has arrived; the body is still going out
        assert await fetch(transport, server, "/b") == b"/b"  # not inside /up's body
        resume.set()
        response = await uploading
        assert (response.status_code, await response.aread()) == (413, b"too big")

    assert server.accepted == 2


async def test_a_server_that_stops_reading_the_body_raises_write_timeout(
    transport: Http1Transport,
) -> None:
    async def read_head_only(peer: Peer) -> None:
        await peer.head()
        await asyncio.Event().wait()

    async with Server(read_head_only) as server:
        with pytest.raises(httpx.WriteTimeout):
            await transport.handle_async_request(
                request(server, "/up", method="PUT", content=endless(), write=SHORT)
            )


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Note": "a\r\nX-Injected: 1"},
        {"X-Note": "a\nb"},
        {"X-Note": "a\rb"},
        {"X-Note\r\nX-Injected": "1"},
    ],
    ids=["crlf", "lf", "cr", "name"],
)
async def test_a_header_with_a_line_break_is_refused_before_anything_is_sent(
    transport: Http1Transport, headers: dict[str, str]
) -> None:
    async with Server(serving()) as server:
        with pytest.raises(httpx.LocalProtocolError):
            await transport.handle_async_request(request(server, headers=headers))
        await asyncio.sleep(0.02)

    assert server.accepted == 0


@pytest.mark.parametrize("method", ["GET / HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET", "G T", "GÉT"])
async def test_a_method_that_is_not_a_token_is_refused_before_anything_is_sent(
    transport: Http1Transport, method: str
) -> None:
    async with Server(serving()) as server:
        with pytest.raises(httpx.LocalProtocolError):
            await transport.handle_async_request(request(server, method=method))
        await asyncio.sleep(0.02)

    assert server.accepted == 0


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "ws://127.0.0.1/"])
async def test_a_scheme_other_than_http_is_unsupported(transport: Http1Transport, url: str) -> None:
    with pytest.raises(httpx.UnsupportedProtocol):
        await transport.handle_async_request(httpx.Request("GET", url))


# -- closing --------------------------------------------------------------------------------


async def test_aclose_closes_idle_connections_and_refuses_new_requests() -> None:
    async with Server(serving()) as server:
        transport = Http1Transport()
        assert await fetch(transport, server, "/a") == b"/a"
        await transport.aclose()
        assert await closed_by_client(server.peers[0])
        with pytest.raises(RuntimeError):
            await fetch(transport, server, "/b")

    assert server.accepted == 1


async def test_aclose_fails_the_waiters_and_closes_a_busy_connection_when_its_answer_ends() -> None:
    rest = asyncio.Event()

    async def slow(peer: Peer) -> None:
        await peer.request()
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab")
        await rest.wait()
        peer.send(b"cd")
        await serving()(peer)

    async with Server(slow) as server:
        transport = one_connection()
        busy = await transport.handle_async_request(request(server, "/a"))
        waiting = asyncio.create_task(fetch(transport, server, "/b"))
        await asyncio.sleep(0.01)
        await transport.aclose()
        with pytest.raises(RuntimeError):
            await waiting
        rest.set()
        assert await busy.aread() == b"abcd"
        assert await closed_by_client(server.peers[0])

    assert server.targets == ["/a"]


# -- the deadline (``extensions["deadline"]``) ------------------------------------------------


def within(seconds: float) -> http1_transport.Deadline:
    return http1_transport.Deadline(asyncio.get_running_loop().time() + seconds, seconds)


def _before(deadline: http1_transport.Deadline) -> bool:
    return asyncio.get_running_loop().time() < deadline.at + 0.5


async def test_a_drip_within_every_read_timeout_ends_at_the_deadline(
    transport: Http1Transport,
) -> None:
    async def drip(peer: Peer) -> None:
        await peer.request()
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        while True:
            peer.send(b"x")
            await asyncio.sleep(0.02)

    async with Server(drip) as server:
        deadline = within(SHORT)
        response = await transport.handle_async_request(
            request(server, read=LONG, deadline=deadline)
        )
        with pytest.raises(http1_transport.DeadlinePassed, match=f"within {SHORT:g} s"):
            await response.aread()
        assert _before(deadline)
        assert await _eof(server.peers[0])  # never reused


async def test_headers_that_never_come_end_at_the_deadline_not_the_read_timeout(
    transport: Http1Transport,
) -> None:
    async with Server(held) as server:
        deadline = within(SHORT)
        with pytest.raises(http1_transport.DeadlinePassed):
            await transport.handle_async_request(request(server, read=LONG, deadline=deadline))
        assert _before(deadline)


async def test_a_read_timeout_shorter_than_the_deadline_is_still_a_read_timeout(
    transport: Http1Transport,
) -> None:
    async with Server(held) as server:
        with pytest.raises(httpx.ReadTimeout) as caught:
            await transport.handle_async_request(request(server, read=SHORT, deadline=within(LONG)))
        assert not isinstance(caught.value, http1_transport.DeadlinePassed)


async def test_waiting_for_a_connection_ends_at_the_deadline() -> None:
    async with Server(first_held) as server, one_connection() as transport:
        stuck = asyncio.create_task(fetch(transport, server, "/a"))
        await server.wait_for(lambda: server.targets == ["/a"])
        deadline = within(SHORT)
        with pytest.raises(http1_transport.DeadlinePassed):
            await fetch(transport, server, "/b", pool=LONG, deadline=deadline)
        assert _before(deadline)
        stuck.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stuck
