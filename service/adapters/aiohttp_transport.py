"""``AiohttpTransport``: an httpx transport that sends over one ``aiohttp.ClientSession``.

Why: httpcore's pool walks (and polls) every pooled connection for every request and
goes through anyio; on the hot path that cost ~1,000 µs of CPU per WAP call at 32
requests in flight, aiohttp ~75 µs (``bench/README.md``). ``WapClient`` stays on
httpx (its requests, responses, exceptions and transport API: URLs, auth, timeouts,
streaming, the error map); only the network underneath changes.

What it keeps of httpx's semantics:

- the request goes out as httpx prepared it: method, the URL exactly as encoded (a quoted
  ``%2F`` or ``%2E%2E`` stays quoted), every header (``Authorization`` from httpx's auth,
  ``Host``, ``Accept-Encoding``, ...), and aiohttp adds none of its own (each request
  tells it which of its automatic headers to skip: the ones the request lacks);
- the answer comes back raw (no auto-decompression: httpx decodes ``Content-Encoding``
  itself), with its headers in order, as a stream read chunk by chunk on demand, so a
  slow reader pauses the socket (aiohttp's reader stops at its buffer's high-water mark);
  closing the httpx response closes the aiohttp one. An answer of at most 64 KiB that
  arrived whole with its headers (a JSON answer, usually) is handed over as its bytes:
  nothing is left to pull, and aiohttp gave its connection back when the body ended;
- no redirects followed, no cookies stored, no proxy variables read, and no retries:
  aiohttp retries idempotent methods (PUT and DELETE included) once on a dropped
  keep-alive connection; that is turned off, so ``WapClient``'s rule (a GET once) is
  the only one.

Timeouts come from the request's ``extensions["timeout"]``, as httpcore reads them::

    connect   aiohttp sock_connect                       -> httpx.ConnectTimeout
    pool      aiohttp connect = pool + connect (waiting for a free connection and opening
              it); running out of that budget            -> httpx.PoolTimeout
    read      aiohttp sock_read (between bytes received) -> httpx.ReadTimeout
    write     aiohttp has none: a request with a body is bounded as a whole, until the
              answer's headers, by pool + connect + write + read -> httpx.WriteTimeout

Errors become the httpx exceptions httpcore would raise::

    refused, unreachable, DNS failure            httpx.ConnectError
    disconnected before an answer                httpx.RemoteProtocolError
    reset while sending                          httpx.WriteError
    other connection failures                    httpx.ReadError
    malformed answer                             httpx.RemoteProtocolError
    broken off inside a body                     httpx.RemoteProtocolError / httpx.ReadError
    bad URL                                      httpx.UnsupportedProtocol

The session is created lazily, on the event loop of the first request, and closed in
``aclose()`` (which ``WapClient.aclose()`` calls).
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator

import aiohttp
import httpx
from multidict import CIMultiDict
from yarl import URL

# aiohttp warns (ResourceWarning) about bodies above 1 MiB given as bytes, and sends a
# BytesIO in chunks, yielding to the loop between them.
_LARGE_BODY = 1024 * 1024
_CHUNK = 64 * 1024
# aiohttp adds these when a request lacks them; httpx has already decided what to send.
# Told per request, and only those it lacks: a session-wide list costs aiohttp a sorted
# copy of the headers on every request, and httpx's requests carry the first three.
_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent")
_CONTENT_TYPE = "Content-Type"  # added to a POST, PUT or PATCH, or with a body
_POST_METHODS = frozenset(("POST", "PUT", "PATCH"))
# aiohttp chunks a body of unknown length itself, and refuses a request that says so twice.
_CHUNKED = b"transfer-encoding"
_HTTP_11 = b"HTTP/1.1"


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx over one ``aiohttp.ClientSession``; ``limits`` as for ``httpx.AsyncHTTPTransport``.

    ``max_connections`` bounds the pool (``None``: unbounded) and ``keepalive_expiry``
    how long an idle connection is kept. aiohttp has no separate bound on idle
    connections: ``max_keepalive_connections`` is not used.
    """

    def __init__(self, limits: httpx.Limits | None = None) -> None:
        limits = limits if limits is not None else httpx.Limits()
        self._limit = limits.max_connections or 0
        self._keepalive = limits.keepalive_expiry
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        # One ClientTimeout per distinct (connect + pool, connect, read): a handful in all.
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the transport is closed")
        connector = aiohttp.TCPConnector(
            limit=self._limit,
            limit_per_host=0,
            keepalive_timeout=self._keepalive if self._keepalive is not None else 3600.0,
        )
        session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            raise_for_status=False,
            timeout=aiohttp.ClientTimeout(total=None),
        )
        # aiohttp resends an idempotent request (GET, PUT, DELETE) once when a kept-alive
        # connection turns out to be closed. It has no public switch; WapClient must be the
        # only one deciding what is retried (never a PUT or a DELETE).
        session._retry_connection = False
        self._session = session
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()  # on the running loop, at the first request
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        connect, pool = timeouts.get("connect"), timeouts.get("pool")
        read, write = timeouts.get("read"), timeouts.get("write")
        acquire = None if connect is None or pool is None else connect + pool
        headers = _headers(request.headers)
        body = _body(request)
        skip = [name for name in _AUTO_HEADERS if name not in headers]
        if _CONTENT_TYPE not in headers and (body is not None or request.method in _POST_METHODS):
            skip.append(_CONTENT_TYPE)
        key = (acquire, connect, read)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(
                total=None, connect=acquire, sock_connect=connect, sock_read=read
            )
            self._timeouts[key] = timeout
        sending = session.request(
            request.method,
            URL(str(request.url), encoded=True),
            headers=headers,
            skip_auto_headers=skip or None,
            data=body,
            allow_redirects=False,
            timeout=timeout,
        )
        started = time.monotonic()
        try:
            if body is None or acquire is None or write is None or read is None:
                answer = await sending
            else:
                async with asyncio.timeout(acquire + write + read):
                    answer = await sending
        except TimeoutError as exc:
            if isinstance(exc, aiohttp.ClientError):
                raise _translate(exc, request, started, acquire) from exc
            raise httpx.WriteTimeout("timed out sending the request", request=request) from exc
        except aiohttp.ClientError as exc:
            raise _translate(exc, request, started, acquire) from exc
        content = answer.content
        stream: httpx.AsyncByteStream
        if content.is_eof() and content.exception() is None and content.total_bytes <= _CHUNK:
            # A small answer that arrived whole with its headers (the usual JSON answer):
            # taken as it is, without a stream to pull it through (its connection is
            # already back in the pool: aiohttp releases it at the body's end).
            stream = httpx.ByteStream(content.read_nowait())
            answer.release()
        else:
            stream = _AnswerStream(answer, request)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.raw_headers,  # (bytes, bytes) pairs, as httpx keeps them
            stream=stream,
            extensions={
                "http_version": _version(answer),
                "reason_phrase": (answer.reason or "").encode("latin-1", errors="replace"),
            },
        )

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()


class _AnswerStream(httpx.AsyncByteStream):
    """The answer's body, pulled from aiohttp as httpx reads it."""

    def __init__(self, answer: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._answer = answer
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._answer.content
        try:
            while True:
                chunk = await content.read(_CHUNK)
                if not chunk:
                    break
                yield chunk
        except aiohttp.SocketTimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "read timed out", request=self._request) from exc
        except aiohttp.ClientPayloadError as exc:
            raise httpx.RemoteProtocolError(str(exc), request=self._request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=self._request) from exc

    async def aclose(self) -> None:
        answer = self._answer
        if answer.content.is_eof():
            answer.release()  # read to the end: the connection goes back to the pool
        else:
            answer.close()  # not read to the end: the connection cannot be reused


def _headers(headers: httpx.Headers) -> CIMultiDict[str]:
    """httpx's headers for aiohttp, less ``Transfer-Encoding``; httpx's ``Content-Length``
    stays (aiohttp keeps one it is given: ``0`` on a bodiless POST)."""
    raw = headers.raw
    try:  # the usual case, decoded without httpx's per-request guess of the encoding
        return CIMultiDict(
            [(k.decode("ascii"), v.decode("ascii")) for k, v in raw if k.lower() != _CHUNKED]
        )
    except UnicodeDecodeError:
        return CIMultiDict(
            (k, v) for k, v in headers.multi_items() if k.lower().encode() != _CHUNKED
        )


def _version(answer: aiohttp.ClientResponse) -> bytes:
    version = answer.version
    if version is None or version == (1, 1):
        return _HTTP_11
    return f"HTTP/{version.major}.{version.minor}".encode()


def _body(request: httpx.Request) -> bytes | io.BytesIO | AsyncIterator[bytes] | None:
    stream = request.stream
    if isinstance(stream, httpx.ByteStream):
        content = request.content
        if len(content) > _LARGE_BODY:
            return io.BytesIO(content)
        return content if content else None
    if isinstance(stream, httpx.AsyncByteStream):
        return _pull(stream)
    raise httpx.UnsupportedProtocol("a synchronous request body cannot be sent asynchronously")


async def _pull(stream: httpx.AsyncByteStream) -> AsyncIterator[bytes]:
    async for chunk in stream:
        yield chunk


def _translate(
    exc: aiohttp.ClientError, request: httpx.Request, started: float, acquire: float | None
) -> httpx.TransportError:
    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        # aiohttp raises the same error for sock_connect and for its connect budget
        # (pool wait + connect): the time spent tells them apart.
        if acquire is not None and time.monotonic() - started >= acquire * 0.99:
            return httpx.PoolTimeout(message, request=request)
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, aiohttp.SocketTimeoutError | aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectionResetError):
        return httpx.WriteError(message, request=request)
    if isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return httpx.UnsupportedProtocol(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectionError):
        return httpx.ReadError(message, request=request)
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(message, request=request)
    return httpx.RemoteProtocolError(message, request=request)
