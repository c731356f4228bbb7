"""``Http1Transport``: an httpx transport speaking HTTP/1.1 itself, over asyncio streams of
bytes (``asyncio.Protocol``) with httptools' parser (llhttp, the parser Node.js uses).

Why: on the hot path the WAP call was the largest cost, and most of it was the client's
machinery, not the network: aiohttp builds a ``ClientResponse``, a multidict, a yarl URL,
timers and tracing hooks per call; httpcore walks its pool through anyio
(``bench/README.md`` has the figures). WAP Core is one origin that speaks plain HTTP/1.1 with
keep-alive, so the whole exchange is one write of bytes httpx already prepared and a parser
callback per header: nothing else is done per call.

What it keeps of httpx's transport semantics (as ``AiohttpTransport`` and httpcore do):

- the request goes out exactly as httpx built it: method, the target as encoded (a quoted
  ``%2F`` stays quoted), every header in order, nothing added; a body of known length as is,
  one of unknown length chunked (httpx says which with its headers);
- the answer comes back raw (httpx decodes ``Content-Encoding``), headers in order, as a
  stream read on demand: a slow reader pauses the socket (above ``_HIGH_WATER`` buffered
  bytes) instead of buffering the answer. An answer that arrived whole with its headers is
  handed over as its bytes, and its connection is back in the pool at once;
- no redirects, cookies, proxies or retries: ``WapClient`` decides what is resent.

The pool: at most ``max_connections`` connections (open, opening or busy), idle ones kept
``keepalive_expiry`` seconds and at most ``max_keepalive_connections`` of them; a request
that finds none free waits in line (first come, first served) for at most the ``pool``
timeout. A connection is reused only when its last answer was read to the end and both sides
keep it alive (a server's close still unread in the socket counts, as httpcore checks); one
whose answer was abandoned, cancelled, timed out, came before its request was sent whole or
was followed by bytes nobody asked for is closed, never reused (its late bytes would belong
to the next request).

Timeouts come from ``extensions["timeout"]`` as httpcore reads them: ``pool`` (waiting for a
free connection), ``connect`` (TCP and TLS), ``write`` (each wait for the socket to drain),
``read`` (until the answer's headers, then between chunks of its body). The errors are
httpcore's: ``ConnectError``/``ConnectTimeout``, ``PoolTimeout``, ``WriteError``/
``WriteTimeout``, ``ReadTimeout``, ``RemoteProtocolError`` (closed before or inside an
answer, or a malformed one), ``ReadError``, ``UnsupportedProtocol``.

``extensions["deadline"]`` (a ``Deadline``, ours) bounds the whole exchange besides: every
wait (for a connection, the connect, the socket to drain, each read until the answer's
last byte) ends at it at the latest, with ``DeadlinePassed``. So a caller needs no timer
of its own around the call; and a read waits with one timer handle for both, which fails
its waiter (no ``asyncio.timeout``, which cancels and uncancels the task).
"""

from __future__ import annotations

import asyncio
import collections
import re
import select
import ssl
import time
from collections.abc import AsyncIterator
from typing import NamedTuple

import httptools
import httpx

_HIGH_WATER = 256 * 1024  # buffered answer bytes that pause reading from the socket
_LOW_WATER = 64 * 1024  # ... and resume it
_HTTP_11 = b"HTTP/1.1"
_CRLF = b"\r\n"
_SEP = b": "
_DEFAULT_PORTS = {b"http": 80, b"https": 443}
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a method (RFC 9110 token)

Origin = tuple[bytes, bytes, int]


class DeadlinePassed(httpx.TimeoutException):
    """The exchange did not end by its ``Deadline``."""


class Deadline(NamedTuple):
    """When an exchange must have ended (the event loop's clock), and the seconds it had."""

    at: float
    seconds: float

    def passed(self, request: httpx.Request) -> DeadlinePassed:
        return DeadlinePassed(
            f"WAP Core did not complete its answer within {self.seconds:g} s.", request=request
        )


def _bounded(timeout: float | None, deadline: Deadline | None) -> tuple[float | None, bool]:
    """How long a wait may last: ``timeout``, or what is left until ``deadline`` if that
    comes first (then ``True``)."""
    if deadline is None:
        return timeout, False
    left = max(deadline.at - asyncio.get_running_loop().time(), 0.0)
    return (left, True) if timeout is None or left <= timeout else (timeout, False)


class Http1Transport(httpx.AsyncBaseTransport):
    """httpx over pooled HTTP/1.1 connections; ``limits`` as for ``httpx.AsyncHTTPTransport``."""

    def __init__(
        self, limits: httpx.Limits | None = None, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        limits = limits if limits is not None else httpx.Limits()
        self._limit = limits.max_connections
        self._max_idle = limits.max_keepalive_connections
        self._keepalive = limits.keepalive_expiry
        self._ssl = ssl_context
        self._idle: dict[Origin, collections.deque[_Connection]] = {}
        self._waiters: collections.deque[tuple[Origin, asyncio.Future[_Connection | None]]] = (
            collections.deque()
        )
        self._count = 0  # connections open, opening or busy
        self._closed = False

    # -- httpx's transport API -----------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport is closed")
        url = request.url
        scheme = url.raw_scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"cannot send a {scheme!r} request", request=request)
        if request.method == "HEAD":
            raise httpx.UnsupportedProtocol("HEAD is not supported", request=request)
        extensions = request.extensions
        timeouts: dict[str, float | None] = extensions.get("timeout", {})
        deadline: Deadline | None = extensions.get("deadline")
        origin: Origin = (scheme, url.raw_host, url.port or _DEFAULT_PORTS[scheme])
        head, closing = _head(request)
        connection = await self._acquire(origin, timeouts, request, deadline)
        if closing:
            connection.reusable_after = False  # our side does not keep it alive
        try:
            exchange = connection.begin(request, timeouts.get("read"), deadline)
            try:
                await connection.send(head, request, timeouts.get("write"), deadline)
            except httpx.WriteError:
                if not exchange.headers_done:  # WAP may have answered (a refusal) and closed
                    raise
            connection.sending = False
            await exchange.headers_received()
        except BaseException:
            connection.abort()
            raise
        if exchange.complete:
            return exchange.response(httpx.ByteStream(exchange.take_body()))
        return exchange.response(_AnswerStream(exchange, connection))

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for connection in idle:
                connection.abort()
        self._idle.clear()
        while self._waiters:
            _, waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(RuntimeError("the transport is closed"))

    # -- the pool ------------------------------------------------------------------------------

    async def _acquire(
        self,
        origin: Origin,
        timeouts: dict[str, float | None],
        request: httpx.Request,
        deadline: Deadline | None,
    ) -> _Connection:
        while True:
            connection = self._idle_connection(origin)
            if connection is not None:
                return connection
            if self._limit is None or self._count < self._limit:
                self._count += 1
                try:
                    return await self._connect(origin, timeouts.get("connect"), request, deadline)
                except BaseException:
                    self._free_slot()
                    raise
            waiter: asyncio.Future[_Connection | None] = asyncio.get_running_loop().create_future()
            self._waiters.append((origin, waiter))
            seconds, late = _bounded(timeouts.get("pool"), deadline)
            try:
                async with asyncio.timeout(seconds):
                    handed = await waiter
            except TimeoutError as exc:
                self._drop_waiter(waiter)
                if late and deadline is not None:
                    raise deadline.passed(request) from exc
                raise httpx.PoolTimeout(
                    "no free connection to WAP in time", request=request
                ) from exc
            except BaseException:
                self._drop_waiter(waiter)
                raise
            if handed is not None:
                if handed.reusable(time.monotonic(), None):
                    return handed
                if not handed.owns_slot:  # closed meanwhile, and its slot freed: start over
                    continue
                handed.abort(keep_slot=True)  # the server is closing it: its slot is ours
            # A slot was freed for this waiter: open a connection in it.
            try:
                return await self._connect(origin, timeouts.get("connect"), request, deadline)
            except BaseException:
                self._free_slot()
                raise

    def _idle_connection(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            connection = idle.pop()  # the most recently used: the least likely to be closed
            if connection.reusable(now, self._keepalive):
                return connection
            connection.abort()  # its slot is freed by connection_lost -> _lost
        return None

    async def _connect(
        self,
        origin: Origin,
        timeout: float | None,
        request: httpx.Request,
        deadline: Deadline | None,
    ) -> _Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        tls: ssl.SSLContext | None = None
        if scheme == b"https":
            tls = self._ssl = self._ssl or ssl.create_default_context()
        seconds, late = _bounded(timeout, deadline)
        try:
            async with asyncio.timeout(seconds):
                _, connection = await loop.create_connection(
                    lambda: _Connection(self, origin),
                    host.decode("ascii"),
                    port,
                    ssl=tls,
                    server_hostname=host.decode("ascii") if tls else None,
                )
        except TimeoutError as exc:
            if late and deadline is not None:
                raise deadline.passed(request) from exc
            raise httpx.ConnectTimeout("timed out connecting to WAP", request=request) from exc
        except (OSError, ssl.SSLError, UnicodeError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        # From here on its connection_lost frees the slot; before, the caller does (a connect
        # cancelled after the transport was made calls connection_lost too: not twice).
        if connection.closed:
            raise httpx.ConnectError("WAP closed the connection at once", request=request)
        connection.owns_slot = True
        return connection

    def _release(self, connection: _Connection) -> None:
        """A connection whose answer ended and that both sides keep alive: to the next in line
        for its origin, or to the idle ones."""
        while self._waiters:
            origin, waiter = self._waiters[0]
            if waiter.done():
                self._waiters.popleft()
                continue
            if origin != connection.origin:
                break
            self._waiters.popleft()
            waiter.set_result(connection)
            return
        if self._closed or (self._waiters and self._waiters[0][0] != connection.origin):
            connection.abort()  # frees its slot for the other origin
            return
        idle = self._idle.setdefault(connection.origin, collections.deque())
        idle.append(connection)
        if self._max_idle is not None and len(idle) > self._max_idle:
            idle.popleft().abort()

    def _lost(self, connection: _Connection) -> None:
        """A connection closed (by either side): its slot is free."""
        idle = self._idle.get(connection.origin)
        if idle is not None and connection in idle:
            idle.remove(connection)
        if connection.owns_slot:
            connection.owns_slot = False
            self._free_slot()

    def _free_slot(self) -> None:
        self._count -= 1
        while self._waiters:
            _, waiter = self._waiters.popleft()
            if not waiter.done():
                self._count += 1  # the slot is the waiter's
                waiter.set_result(None)
                return

    def _drop_waiter(self, waiter: asyncio.Future[_Connection | None]) -> None:
        """A waiter gave up; what it was handed in the meantime goes back."""
        for i, (_, queued) in enumerate(self._waiters):
            if queued is waiter:
                del self._waiters[i]
                break
        if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
            handed = waiter.result()
            if handed is None:
                self._free_slot()
            else:
                self._release(handed)
        elif not waiter.done():
            waiter.cancel()


class _Exchange:
    """One request's answer on a connection, as the parser delivers it."""

    __slots__ = (
        "request",
        "read_timeout",
        "deadline",
        "status",
        "reason",
        "headers",
        "chunks",
        "buffered",
        "headers_done",
        "complete",
        "error",
        "waiter",
        "until_close",
        "keep_alive",
    )

    def __init__(
        self, request: httpx.Request, read_timeout: float | None, deadline: Deadline | None
    ) -> None:
        self.request = request
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.headers_done = False
        self.complete = False
        self.error: Exception | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.until_close = False  # a body delimited by the connection's end
        self.keep_alive = False

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self) -> None:
        """Until the parser delivers more (or fails), within the read timeout and the
        deadline: one timer handle, which fails the waiter when it fires."""
        loop = asyncio.get_running_loop()
        self.waiter = waiter = loop.create_future()
        read, deadline = self.read_timeout, self.deadline
        timer = None
        if read is not None or deadline is not None:
            at = None if read is None else loop.time() + read
            late = deadline is not None and (at is None or deadline.at <= at)
            when = deadline.at if deadline is not None and late else at
            timer = loop.call_at(when, self._expire, waiter, late)  # type: ignore[arg-type]
        try:
            await waiter
        finally:
            self.waiter = None
            if timer is not None:
                timer.cancel()

    def _expire(self, waiter: asyncio.Future[None], late: bool) -> None:
        if waiter.done():
            return
        if late and self.deadline is not None:
            waiter.set_exception(self.deadline.passed(self.request))
        else:
            late_answer = httpx.ReadTimeout("WAP did not answer in time", request=self.request)
            waiter.set_exception(late_answer)

    async def headers_received(self) -> None:
        while not self.headers_done:
            if self.error is not None:
                raise self.error
            await self.wait()

    def take_body(self) -> bytes:
        chunks = self.chunks
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self.buffered = 0
        return body

    def response(self, stream: httpx.AsyncByteStream | httpx.ByteStream) -> httpx.Response:
        return httpx.Response(
            status_code=self.status,
            headers=self.headers,
            stream=stream,
            extensions={"http_version": _HTTP_11, "reason_phrase": self.reason},
        )


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection to an origin, one exchange at a time."""

    def __init__(self, pool: Http1Transport, origin: Origin) -> None:
        self.pool = pool
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.exchange: _Exchange | None = None
        self.idle_since = time.monotonic()
        self.closed = False
        self.reusable_after = True  # false once anything went wrong on it
        self.owns_slot = False  # its connection_lost frees a slot of the pool
        self.sending = False  # the request is still going out
        self._poll: select.poll | None = None
        self._drain: asyncio.Future[None] | None = None
        self._paused_writing = False
        self._paused_reading = False
        self._header_name = b""

    # -- driving an exchange -------------------------------------------------------------------

    def reusable(self, now: float, keepalive: float | None) -> bool:
        if self.closed or not self.reusable_after:
            return False
        if keepalive is not None and now - self.idle_since >= keepalive:
            return False
        # Readable while idle: the server's close (or bytes nobody asked for) is in the socket,
        # not yet seen by the loop. httpcore checks the same before reusing a connection.
        return self._poll is None or not self._poll.poll(0)

    def begin(
        self, request: httpx.Request, read_timeout: float | None, deadline: Deadline | None
    ) -> _Exchange:
        self.exchange = exchange = _Exchange(request, read_timeout, deadline)
        self.sending = True
        return exchange

    async def send(
        self,
        head: bytes,
        request: httpx.Request,
        timeout: float | None,
        deadline: Deadline | None,
    ) -> None:
        transport = self.transport
        if transport is None or self.closed:
            raise httpx.RemoteProtocolError("WAP closed the connection", request=request)
        stream = request.stream
        if isinstance(stream, httpx.ByteStream):
            content = request.content
            if len(content) <= _LOW_WATER:
                transport.write(head + content)  # one segment for the usual small request
            else:
                transport.write(head)
                transport.write(content)
            await self._drained(request, timeout, deadline)
            return
        if not isinstance(stream, httpx.AsyncByteStream):
            raise httpx.UnsupportedProtocol("a synchronous body cannot be sent", request=request)
        transport.write(head)
        chunked = request.headers.get("transfer-encoding", "").lower() == "chunked"
        async for chunk in stream:
            if self.closed:
                raise httpx.WriteError("WAP closed the connection while sending", request=request)
            if chunk:
                if chunked:
                    transport.writelines((b"%x\r\n" % len(chunk), chunk, _CRLF))
                else:
                    transport.write(chunk)
                await self._drained(request, timeout, deadline)
        if chunked:
            transport.write(b"0\r\n\r\n")
        await self._drained(request, timeout, deadline)

    async def _drained(
        self, request: httpx.Request, timeout: float | None, deadline: Deadline | None
    ) -> None:
        if self.closed:
            raise httpx.WriteError("WAP closed the connection while sending", request=request)
        if not self._paused_writing:
            return
        self._drain = drain = asyncio.get_running_loop().create_future()
        seconds, late = _bounded(timeout, deadline)
        try:
            async with asyncio.timeout(seconds):
                await drain
        except TimeoutError as exc:
            if late and deadline is not None:
                raise deadline.passed(request) from exc
            raise httpx.WriteTimeout("timed out sending to WAP", request=request) from exc
        finally:
            self._drain = None
        if self.closed:
            raise httpx.WriteError("WAP closed the connection while sending", request=request)

    def abort(self, *, keep_slot: bool = False) -> None:
        """Close it for good (an abandoned answer, an error, or an expired idle connection).
        ``keep_slot``: its slot passes to the caller instead of being freed."""
        self.reusable_after = False
        if keep_slot:
            self.owns_slot = False
        if self.transport is not None and not self.closed:
            self.transport.abort()  # connection_lost follows, which frees the slot

    def consumed(self, amount: int) -> None:
        """The reader took ``amount`` buffered bytes: resume reading below the low water."""
        if self._paused_reading and self.exchange is not None:
            if self.exchange.buffered < _LOW_WATER and self.transport is not None:
                self._paused_reading = False
                self.transport.resume_reading()

    # -- asyncio.Protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self._poll = select.poll()
            self._poll.register(sock.fileno(), select.POLLIN)

    def data_received(self, data: bytes) -> None:
        exchange = self.exchange
        if exchange is None or exchange.complete:
            self.abort()  # bytes nobody asked for: the connection cannot be trusted
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            exchange.error = httpx.RemoteProtocolError(
                f"malformed answer from WAP: {exc}", request=exchange.request
            )
            exchange.wake()
            self.abort()
            return
        if exchange.complete:  # the answer ended in these bytes (and nothing began after it)
            self._answered(exchange)

    def _answered(self, exchange: _Exchange) -> None:
        """Back to the pool if both sides keep it alive and the request went out whole (an
        early answer, a refusal while the body is still being sent, ends the connection)."""
        if exchange.keep_alive and self.reusable_after and not self.closed and not self.sending:
            if self._paused_reading and self.transport is not None:
                self._paused_reading = False
                self.transport.resume_reading()
            self.idle_since = time.monotonic()
            self.pool._release(self)
        else:
            self.abort()

    def eof_received(self) -> bool | None:
        return None  # close the transport: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.reusable_after = False
        exchange, self.exchange = self.exchange, None
        if exchange is not None and not exchange.complete and exchange.error is None:
            if exchange.headers_done and exchange.until_close and exc is None:
                exchange.complete = True  # the body ran to the connection's end
            else:
                message = (
                    "WAP closed the connection inside an answer"
                    if exchange.headers_done or exchange.status
                    else "WAP closed the connection without answering"
                )
                exchange.error = httpx.RemoteProtocolError(message, request=exchange.request)
            exchange.wake()
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)
        self.pool._lost(self)

    def pause_writing(self) -> None:
        self._paused_writing = True

    def resume_writing(self) -> None:
        self._paused_writing = False
        drain = self._drain
        if drain is not None and not drain.done():
            drain.set_result(None)

    # -- httptools' callbacks ----------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self.exchange is None:  # another answer behind the one that ended: nobody asked
            self.reusable_after = False

    def on_status(self, status: bytes) -> None:
        if self.exchange is not None:
            self.exchange.reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.exchange is not None:
            self.exchange.headers.append((name, value))

    def on_headers_complete(self) -> None:
        exchange = self.exchange
        if exchange is None:
            return
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # an interim answer: the real one follows
            exchange.reason = b""
            exchange.headers.clear()
            return
        exchange.status = status
        framed = False
        for name, value in exchange.headers:
            lowered = name.lower()
            if lowered == b"content-length" or (
                lowered == b"transfer-encoding" and b"chunked" in value.lower()
            ):
                framed = True
                break
        exchange.until_close = not framed and status not in (204, 304)
        exchange.headers_done = True
        exchange.wake()

    def on_body(self, body: bytes) -> None:
        exchange = self.exchange
        if exchange is None:
            return
        exchange.chunks.append(body)
        exchange.buffered += len(body)
        if exchange.buffered > _HIGH_WATER and not self._paused_reading and self.transport:
            self._paused_reading = True
            self.transport.pause_reading()
        exchange.wake()

    def on_message_complete(self) -> None:
        exchange = self.exchange
        if exchange is None or not exchange.headers_done:
            return  # the end of an interim answer
        exchange.complete = True
        exchange.keep_alive = self.parser.should_keep_alive()
        self.exchange = None
        exchange.wake()  # data_received hands the connection on once the bytes are parsed


class _AnswerStream(httpx.AsyncByteStream):
    """An answer's body as httpx reads it: buffered chunks, then waits for more."""

    def __init__(self, exchange: _Exchange, connection: _Connection) -> None:
        self._exchange = exchange
        self._connection = connection

    async def __aiter__(self) -> AsyncIterator[bytes]:
        exchange = self._exchange
        while True:
            if exchange.chunks:
                body = exchange.take_body()
                self._connection.consumed(len(body))
                yield body
                continue
            if exchange.complete:
                return
            if exchange.error is not None:
                raise exchange.error
            try:
                await exchange.wait()
            except BaseException:
                self._connection.abort()  # timed out or cancelled inside it: never reused
                raise

    async def aclose(self) -> None:
        if not self._exchange.complete:
            self._connection.abort()  # not read to the end: never reused


def _head(request: httpx.Request) -> tuple[bytes, bool]:
    """The request line and headers, as httpx prepared them; and whether they say
    ``Connection: close``."""
    url = request.url
    if not _TOKEN.fullmatch(request.method):  # httpx takes any string: it would be sent raw
        raise httpx.LocalProtocolError("the method is not a token", request=request)
    parts = [request.method.encode("ascii"), b" ", url.raw_path, b" HTTP/1.1\r\n"]
    closing = False
    for name, value in request.headers.raw:
        if b"\n" in value or b"\r" in value or b"\n" in name or b"\r" in name:
            raise httpx.LocalProtocolError("a header holds a line break", request=request)
        if len(name) == 10 and name.lower() == b"connection" and b"close" in value.lower():
            closing = True
        parts += (name, _SEP, value, _CRLF)
    parts.append(_CRLF)
    return b"".join(parts), closing
