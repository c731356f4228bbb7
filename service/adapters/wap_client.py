"""``WapClient``: the ``AbstractWap`` port over one pooled httpx transport.

The wire format is ``contracts/wap.yaml``. Each request is an ``httpx.Request`` built by
``wap_wire.Requests`` (base URL, HTTP Basic Auth, httpx's default headers and timeouts
from ``Settings.wap_timeouts``, all prepared once) and sent with the transport's
``handle_async_request``; the answer is an ``httpx.Response``. The transport, created
in ``start()`` and closed in ``aclose()``, is ``Settings.wap_http_transport``:
``http1`` (``Http1Transport``, the default: the least CPU per call, see
``bench/README.md``), ``aiohttp`` (``AiohttpTransport``) or ``httpcore``
(``httpx.AsyncHTTPTransport``, which respx intercepts); a ``transport`` given to the
constructor (tests) takes priority. Each raises the same httpx exceptions, so the error
table holds for all.

Two pools: ordinary calls share one (``DEFAULT_LIMITS``); streams (a followed log, a raw
file read), which hold their connection for as long as they last, have their own
(``WAP_STREAM_CONNECTIONS``), so that streams can never starve the calls. Every call
completes within ``WAP_DEADLINE`` (connect, send, headers and the whole body, however
slowly WAP drips it: 504 beyond it) besides the per-read timeouts; a stream's headers
are due within it, its body is bounded by ``usecases.streams``. ``Http1Transport`` keeps
the deadline itself (``extensions["deadline"]``: each of its waits ends there at the
latest), so a call over it sets no timer of its own; over the others ``asyncio.timeout``
does it.

Why not ``httpx.AsyncClient.send``: for a client that sends no cookies, follows no
redirects and has its one header prepared, its per-request work (a cookie jar fed
through ``urllib`` stand-ins, the auth flow, the redirect loop, a wrapped stream) cost
~25 % of a whole call (``bench/wap_call.py``). What it would add is not wanted here:
no cookies are kept, no redirect is followed, and proxy variables are not read.

No httpx exception leaves the adapter: each is translated where it is caught
(``raise ... from exc``) into what ``wap_errors`` builds. The adapter's modules:

    wap_client    this class: the pool, one method per operation, sending and retrying
    wap_wire      building requests, and reading bodies (whole within a limit, or streamed)
    wap_answers   reading answers into the port's types (pure: no I/O, no httpx)
    wap_errors    the error table, and the functions that apply it

Only GETs are retried: once, when the connection was refused, reset or closed
before any answer (typically a pooled keep-alive connection WAP had already
closed). POST, PUT, PATCH and DELETE are never retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from time import perf_counter
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx

from service import errors, metrics, wap_types
from service.adapters import wap_answers as answers
from service.adapters import wap_errors
from service.adapters import wap_wire as wire
from service.adapters.aiohttp_transport import AiohttpTransport
from service.adapters.http1_transport import Deadline, Http1Transport
from service.request_context import CURRENT
from service.settings import Settings
from service.wap import AbstractWap, LogOptions, Stream

log = logging.getLogger(__name__)

# Idle connections are kept up to the pool's size (they expire after 30 s): a bound below
# the calls in flight would close, at every burst, connections the next burst opens again.
DEFAULT_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=100, keepalive_expiry=30
)
# Failures that happen before WAP has seen (or answered) a request: safe to resend a GET.
_RETRYABLE = (httpx.ConnectError, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
_MAX_ERROR_BODY = 64 * 1024
_MAX_ANSWER_BODY = 64 * 1024 * 1024
_T = TypeVar("_T")


class WapClient(AbstractWap):
    """WAP Core over HTTP. ``transport`` replaces the network (tests); ``limits`` the pool's.

    Without ``transport``, ``settings.wap_http_transport`` picks it, created anew in each
    ``start()``; ``aclose()`` closes the transport in use, an injected one included.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: httpx.Limits = DEFAULT_LIMITS,
    ) -> None:
        t = settings.wap_timeouts
        self._base_url = settings.wap_url
        self._timeout = httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool)
        # A followed log may stay quiet for as long as the container does.
        self._follow_timeout = httpx.Timeout(
            connect=t.connect, read=None, write=t.write, pool=t.pool
        )
        self._deadline = t.deadline
        self._limits = limits
        self._stream_limits = httpx.Limits(
            max_connections=settings.streams.wap_connections,
            max_keepalive_connections=settings.streams.wap_connections,
            keepalive_expiry=limits.keepalive_expiry,
        )
        self._transport = transport
        self._transport_kind = settings.wap_http_transport
        self._http: httpx.AsyncBaseTransport | None = None  # while started
        self._keeps_deadlines = False  # whether ``_http`` keeps a call's deadline itself
        self._streams: httpx.AsyncBaseTransport | None = None  # streams' own pool
        self._requests = wire.Requests(
            settings.wap_url,
            username=settings.wap_username,
            password=settings.wap_password,
            timeout=self._timeout,
        )

    def __repr__(self) -> str:
        parts = urlsplit(self._base_url)
        host = parts.netloc.rpartition("@")[2]  # never show userinfo
        url = urlunsplit(parts._replace(netloc=host))
        return f"WapClient(base_url={url!r}, started={self._http is not None})"

    async def start(self) -> None:
        if self._http is None:
            self._http = self._transport or self._new_transport(self._limits)
            self._streams = self._transport or self._new_transport(self._stream_limits)
            self._keeps_deadlines = isinstance(self._http, Http1Transport)

    def _new_transport(self, limits: httpx.Limits) -> httpx.AsyncBaseTransport:
        if self._transport_kind == "http1":
            return Http1Transport(limits)
        if self._transport_kind == "aiohttp":
            return AiohttpTransport(limits)
        return httpx.AsyncHTTPTransport(limits=limits)

    async def aclose(self) -> None:
        http, self._http = self._http, None
        streams, self._streams = self._streams, None
        if http is not None:
            await http.aclose()
        if streams is not None and streams is not http:
            await streams.aclose()

    # -- lifecycle -------------------------------------------------------------------------

    async def restart_container(self, wap_id: str) -> wap_types.ContainerState:
        return await self._call("POST", wap_id, "restart", answers.container_state)

    async def stop_container(self, wap_id: str) -> wap_types.ContainerState:
        return await self._call("POST", wap_id, "stop", answers.container_state)

    async def start_container(self, wap_id: str) -> wap_types.ContainerState:
        return await self._call("POST", wap_id, "start", answers.container_state)

    async def update_container_image(
        self, wap_id: str, image: str, tag: str
    ) -> wap_types.ImageUpdate:
        body = {"image": image, "tag": tag}
        return await self._call("POST", wap_id, "update-image", answers.image_update, json=body)

    # -- files -----------------------------------------------------------------------------

    async def list_container_files(self, wap_id: str, path: str) -> wap_types.FileListing:
        return await self._call("GET", wap_id, "files", answers.file_listing, params={"path": path})

    async def read_container_file(
        self, wap_id: str, path: str, *, max_bytes: int
    ) -> wap_types.FileContent:
        def too_large(response: httpx.Response) -> errors.ApiError | None:
            announced = answers.content_length(response.headers)
            if announced is not None and announced > max_bytes:
                return wap_errors.file_too_large(path, max_bytes, announced)
            return None

        response, content = await self._read(
            "GET", wap_id, "files/read", max_bytes, params={"path": path}, refuse=too_large
        )
        if content is None:
            raise wap_errors.file_too_large(path, max_bytes)
        return wap_types.FileContent(
            content=content,
            content_type=answers.content_type(response.headers),
            etag=response.headers.get("etag"),
            last_modified=answers.http_date(response.headers.get("last-modified")),
            size=len(content),
        )

    async def open_container_file(self, wap_id: str, path: str) -> Stream[bytes]:
        response = await self._send_within_deadline(
            "GET", wap_id, "files/read", params={"path": path}, stream=True
        )
        return wire.stream(
            response,
            wire.chunks(response),
            content_type=answers.content_type(response.headers),
            etag=response.headers.get("etag"),
            size=answers.content_length(response.headers),
            last_modified=answers.http_date(response.headers.get("last-modified")),
        )

    async def write_container_file(
        self, wap_id: str, path: str, content: bytes, *, if_match: str | None = None
    ) -> wap_types.WriteResult:
        headers = {"Content-Type": "application/octet-stream", **wire.if_match(if_match)}
        return await self._call(
            "PUT",
            wap_id,
            "files/write",
            answers.write_result,
            params={"path": path},
            content=content,
            headers=headers,
        )

    async def delete_container_file(
        self, wap_id: str, path: str, *, if_match: str | None = None
    ) -> wap_types.DeleteResult:
        query, headers = {"path": path}, wire.if_match(if_match)
        return await self._call(
            "DELETE", wap_id, "files", answers.delete_result, params=query, headers=headers
        )

    # -- health, stats, logs ---------------------------------------------------------------

    async def get_container_health(self, wap_id: str) -> wap_types.ContainerHealth:
        return await self._call("GET", wap_id, "health", answers.container_health)

    async def get_all_container_health(self) -> wap_types.HealthSummary:
        return await self._call("GET", None, "health", answers.health_summary)

    async def ping(self) -> None:
        # The one operation of contracts/wap.yaml that names no container (WAP's root is
        # not in the contract): a 2xx proves WAP is there and takes our credentials. The
        # body is read, so the connection goes back to the pool, but never parsed.
        await self._read("GET", None, "health", _MAX_ANSWER_BODY)

    async def get_container_stats(self, wap_id: str) -> wap_types.ContainerStats:
        return await self._call("GET", wap_id, "stats", answers.container_stats)

    async def get_container_logs(self, wap_id: str, options: LogOptions) -> list[str]:
        params = wire.log_params(options, follow=False)
        _, body = await self._read("GET", wap_id, "logs", _MAX_ANSWER_BODY, params=params)
        if body is None:
            raise wap_errors.answer_too_large("log answer")
        return answers.log_lines(body)

    async def follow_container_logs(self, wap_id: str, options: LogOptions) -> Stream[str]:
        params = wire.log_params(options, follow=True)
        response = await self._send_within_deadline(
            "GET", wap_id, "logs", params=params, timeout=self._follow_timeout, stream=True
        )
        return wire.stream(response, wire.lines(response))

    # -- env -------------------------------------------------------------------------------

    async def get_container_env(self, wap_id: str) -> wap_types.EnvVariables:
        return await self._call("GET", wap_id, "env", answers.env_variables)

    async def update_container_env(
        self, wap_id: str, set: Mapping[str, str], unset: Sequence[str]
    ) -> wap_types.EnvUpdate:
        body = {"set": dict(set), "unset": list(unset)}
        return await self._call("PATCH", wap_id, "env", answers.env_update, json=body)

    # -- plumbing --------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        wap_id: str | None,
        action: str,
        parse: Callable[[answers.Fields], _T],
        *,
        params: Mapping[str, str] | None = None,
        json: object = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> _T:
        """Send a request whose 2xx answer is JSON, and parse that answer with ``parse``;
        all of it within the deadline."""
        _, body = await self._read(
            method,
            wap_id,
            action,
            _MAX_ANSWER_BODY,
            params=params,
            json=json,
            content=content,
            headers=headers,
        )
        if body is None:
            raise wap_errors.answer_too_large()
        try:
            return answers.json_answer(body, parse)
        except answers.Malformed as exc:
            raise wap_errors.malformed_answer(method, action, exc) from exc

    async def _read(
        self,
        method: str,
        wap_id: str | None,
        action: str,
        limit: int,
        *,
        refuse: Callable[[httpx.Response], errors.ApiError | None] | None = None,
        **options: Any,
    ) -> tuple[httpx.Response, bytes | None]:
        """Send a request and read its whole 2xx answer (``None`` if longer than ``limit``,
        or the error ``refuse`` finds in its headers), all within the deadline. A transport
        that keeps deadlines (``Http1Transport``) is given it, and no timer is set here."""
        if self._keeps_deadlines:
            at = asyncio.get_running_loop().time() + self._deadline
            options["deadline"] = Deadline(at, self._deadline)
            return await self._send_and_read(method, wap_id, action, limit, refuse, options)
        try:
            async with asyncio.timeout(self._deadline):
                return await self._send_and_read(method, wap_id, action, limit, refuse, options)
        except TimeoutError as exc:
            raise self._late(method, wap_id, action) from exc

    async def _send_and_read(
        self,
        method: str,
        wap_id: str | None,
        action: str,
        limit: int,
        refuse: Callable[[httpx.Response], errors.ApiError | None] | None,
        options: dict[str, Any],
    ) -> tuple[httpx.Response, bytes | None]:
        response = await self._send(method, wap_id, action, **options)
        if refuse is not None and (refused := refuse(response)) is not None:
            await response.aclose()
            raise refused
        try:
            return response, await wire.read(response, limit=limit)
        except errors.UpstreamTimeout as exc:  # dripped past the deadline (or a read timeout)
            metrics.wap_call(wire.operation_id(method, wap_id, action)).failed(exc.instance_code)
            raise

    def _late(self, method: str, wap_id: str | None, action: str) -> errors.UpstreamTimeout:
        late = errors.UpstreamTimeout(
            f"WAP Core did not complete its answer within {self._deadline:g} s."
        )
        metrics.wap_call(wire.operation_id(method, wap_id, action)).failed(late.instance_code)
        return late

    async def _send_within_deadline(
        self,
        method: str,
        wap_id: str | None,
        action: str,
        *,
        params: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """``_send``, its answer's headers due within the deadline (the body is a stream's)."""
        try:
            async with asyncio.timeout(self._deadline):
                return await self._send(
                    method, wap_id, action, params=params, timeout=timeout, stream=stream
                )
        except TimeoutError as exc:
            raise self._late(method, wap_id, action) from exc

    async def _send(
        self, method: str, wap_id: str | None, action: str, **options: Any
    ) -> httpx.Response:
        """``_exchange``, observed (the one place WAP calls are): its time until the answer's
        headers by outcome (``armory_wap_request_duration_seconds``), a failure by code
        (``armory_wap_errors_total``; a deadline passed: ``_late``), and the time added to
        the API request's (``request_context``, the access log's ``wapMs``)."""
        call = metrics.wap_call(wire.operation_id(method, wap_id, action))
        started = perf_counter()
        try:
            response = await self._exchange(method, wap_id, action, **options)
        except errors.ApiError as exc:
            seconds = perf_counter() - started
            timed_out = isinstance(exc, errors.UpstreamTimeout)
            (call.timeout if timed_out else call.error).observe(seconds)
            call.failed(exc.instance_code)
            _waited(seconds)
            raise
        except asyncio.CancelledError:  # the deadline (then ``_late``), or the client left
            seconds = perf_counter() - started
            call.cancelled.observe(seconds)
            _waited(seconds)
            raise
        seconds = perf_counter() - started
        call.ok.observe(seconds)
        _waited(seconds)
        return response

    async def _exchange(
        self,
        method: str,
        wap_id: str | None,
        action: str,
        *,
        params: Mapping[str, str] | None = None,
        json: object = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
        deadline: Deadline | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """Send a request; return the 2xx response with its body unread (the caller closes it).
        ``stream``: over the streams' pool.

        Raises the translated error for a transport failure or a non-2xx status.
        """
        http = self._streams if stream else self._http
        if http is None:
            raise RuntimeError("WapClient.start() must be awaited before calling WAP Core")
        try:
            request = self._requests.build(
                method,
                wap_id,
                action,
                params=params,
                json=json,
                content=content,
                headers=headers,
                timeout=timeout,
                deadline=deadline,
            )
        except (httpx.InvalidURL, httpx.HTTPError) as exc:
            raise wap_errors.transport_error(exc, answered=False) from exc
        retries = 1 if method == "GET" else 0
        while True:
            try:
                response = await http.handle_async_request(request)
                break
            except _RETRYABLE as exc:
                if retries == 0:
                    raise wap_errors.transport_error(exc, answered=False) from exc
                retries -= 1
                log.info("WAP Core dropped %s %s (%r); retrying once", method, action, exc)
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
                raise wap_errors.transport_error(exc, answered=False) from exc
        response.request = request
        if response.is_success:
            return response
        body = await wire.read(response, limit=_MAX_ERROR_BODY)
        raise wap_errors.status_error(response.status_code, body, wap_id)


def _waited(seconds: float) -> None:
    context = CURRENT.get()
    if context is not None:
        context.wap_seconds += seconds
