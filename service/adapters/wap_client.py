"""``WapClient``: the ``AbstractWap`` port over one pooled ``httpx.AsyncClient``.

The wire format is ``contracts/wap.yaml``. One ``AsyncClient`` per instance
(keep-alive pool, HTTP Basic Auth, timeouts from ``Settings.wap_timeouts``) is
created in ``start()`` and closed in ``aclose()``.

No httpx exception leaves this module; each is translated where it is caught
(``raise ... from exc``)::

    connect failure, or the connection closed before an answer   UpstreamUnavailable 502
    any timeout (connect, read, write, pool)                      UpstreamTimeout     504
    the connection broke off in the middle of an answer           UpstreamError       502
    WAP 5xx                                                       UpstreamError       502
    WAP 401 / 403 (WAP refused our credentials)                   UpstreamError       502
    WAP non-2xx without a ``{error, message}`` JSON body          UpstreamError       502
    WAP 400                                                       BadRequest          400
        (``invalid_path``, ``not_a_directory``, ``is_a_directory``: code ``invalid_path``)
    WAP 404                                                       NotFound            404
    WAP 409 (``update_in_progress``: UpdateInProgress)            Conflict            409
    WAP 412                                                       PreconditionFailed  412
    WAP 413                                                       PayloadTooLarge     413
    WAP 422 (``unknown_tag``: code ``unknown_tag``)               Unprocessable       422
    any other WAP status                                          UpstreamError       502
    a 2xx answer that does not have the contract's shape          UpstreamError       502

Details carry WAP's ``message`` (never the rest of its body, and with the WAP
container id replaced: clients never see one). Only GETs are retried: once,
when the connection was refused, reset or closed before any answer (typically
a pooled keep-alive connection WAP had already closed). POST, PUT, PATCH and
DELETE are never retried.
"""

from __future__ import annotations

import codecs
import json as _json
import logging
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from service import errors
from service.settings import Settings
from service.wap import (
    CONTAINER_STATUSES,
    ENTRY_TYPES,
    HEALTH_STATUSES,
    AbstractWap,
    ContainerHealth,
    ContainerResources,
    ContainerState,
    ContainerStats,
    DeleteResult,
    EnvUpdate,
    EnvVariables,
    FileContent,
    FileEntry,
    FileListing,
    FileStream,
    HealthEntry,
    HealthSummary,
    ImageUpdate,
    LogOptions,
    LogStream,
    WriteResult,
)

log = logging.getLogger(__name__)

DEFAULT_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=30
)
# Failures that happen before WAP has seen (or answered) a request: safe to resend a GET.
_RETRYABLE = (httpx.ConnectError, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
_MAX_ERROR_BODY = 64 * 1024
_MAX_ANSWER_BODY = 64 * 1024 * 1024
_MAX_MESSAGE = 500
_PATH_ERRORS = frozenset({"invalid_path", "not_a_directory", "is_a_directory"})
_TIMEOUT_PHASES = {
    httpx.ConnectTimeout: "connecting",
    httpx.ReadTimeout: "waiting for its answer",
    httpx.WriteTimeout: "sending the request",
    httpx.PoolTimeout: "waiting for a free connection",
}

_L = TypeVar("_L", bound=str)
_T = TypeVar("_T")


class WapClient(AbstractWap):
    """WAP Core over HTTP. ``transport`` replaces the network (tests); ``limits`` the pool's."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: httpx.Limits = DEFAULT_LIMITS,
    ) -> None:
        t = settings.wap_timeouts
        self._base_url = settings.wap_url
        self._auth = httpx.BasicAuth(settings.wap_username, settings.wap_password)
        self._timeout = httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool)
        # A followed log may stay quiet for as long as the container does.
        self._follow_timeout = httpx.Timeout(
            connect=t.connect, read=None, write=t.write, pool=t.pool
        )
        self._limits = limits
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        parts = urlsplit(self._base_url)
        host = parts.netloc.rpartition("@")[2]  # never show userinfo
        url = urlunsplit(parts._replace(netloc=host))
        return f"WapClient(base_url={url!r}, started={self._client is not None})"

    async def start(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self._base_url,
                auth=self._auth,
                timeout=self._timeout,
                limits=self._limits,
                transport=self._transport,
                follow_redirects=False,
            )

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    # -- lifecycle -------------------------------------------------------------------------

    async def restart_container(self, wap_id: str) -> ContainerState:
        return await self._call("POST", wap_id, "restart", _container_state)

    async def stop_container(self, wap_id: str) -> ContainerState:
        return await self._call("POST", wap_id, "stop", _container_state)

    async def start_container(self, wap_id: str) -> ContainerState:
        return await self._call("POST", wap_id, "start", _container_state)

    async def update_container_image(self, wap_id: str, image: str, tag: str) -> ImageUpdate:
        body = {"image": image, "tag": tag}
        return await self._call("POST", wap_id, "update-image", _image_update, json=body)

    # -- files -----------------------------------------------------------------------------

    async def list_container_files(self, wap_id: str, path: str) -> FileListing:
        return await self._call("GET", wap_id, "files", _file_listing, params={"path": path})

    async def read_container_file(self, wap_id: str, path: str, *, max_bytes: int) -> FileContent:
        response = await self._send("GET", wap_id, "files/read", params={"path": path})
        announced = _content_length(response)
        if announced is not None and announced > max_bytes:
            await response.aclose()
            raise errors.PayloadTooLarge(_too_large(path, max_bytes, announced))
        content = await _read(response, limit=max_bytes)
        if content is None:
            raise errors.PayloadTooLarge(_too_large(path, max_bytes))
        return FileContent(
            content=content,
            content_type=_content_type(response),
            etag=response.headers.get("etag"),
            last_modified=_http_date(response.headers.get("last-modified")),
            size=len(content),
        )

    async def open_container_file(self, wap_id: str, path: str) -> FileStream:
        response = await self._send("GET", wap_id, "files/read", params={"path": path})
        chunks = _chunks(response)

        async def close() -> None:
            await chunks.aclose()
            await response.aclose()

        return FileStream(
            chunks=chunks,
            content_type=_content_type(response),
            etag=response.headers.get("etag"),
            size=_content_length(response),
            last_modified=_http_date(response.headers.get("last-modified")),
            close=close,
        )

    async def write_container_file(
        self, wap_id: str, path: str, content: bytes, *, if_match: str | None = None
    ) -> WriteResult:
        headers = {"Content-Type": "application/octet-stream", **_if_match(if_match)}
        return await self._call(
            "PUT",
            wap_id,
            "files/write",
            _write_result,
            params={"path": path},
            content=content,
            headers=headers,
        )

    async def delete_container_file(
        self, wap_id: str, path: str, *, if_match: str | None = None
    ) -> DeleteResult:
        return await self._call(
            "DELETE",
            wap_id,
            "files",
            _delete_result,
            params={"path": path},
            headers=_if_match(if_match),
        )

    # -- health, stats, logs ---------------------------------------------------------------

    async def get_container_health(self, wap_id: str) -> ContainerHealth:
        return await self._call("GET", wap_id, "health", _container_health)

    async def get_all_container_health(self) -> HealthSummary:
        return await self._call("GET", None, "health", _health_summary)

    async def get_container_stats(self, wap_id: str) -> ContainerStats:
        return await self._call("GET", wap_id, "stats", _container_stats)

    async def get_container_logs(self, wap_id: str, options: LogOptions) -> list[str]:
        params = _log_params(options, follow=False)
        response = await self._send("GET", wap_id, "logs", params=params)
        body = await _read(response, limit=_MAX_ANSWER_BODY)
        if body is None:
            raise errors.UpstreamError("WAP Core's log answer is larger than the service accepts")
        lines = body.decode("utf-8", errors="replace").split("\n")
        if lines[-1] == "":
            lines.pop()  # the text ends with a newline
        return [line.removesuffix("\r") for line in lines]

    async def follow_container_logs(self, wap_id: str, options: LogOptions) -> LogStream:
        params = _log_params(options, follow=True)
        response = await self._send(
            "GET", wap_id, "logs", params=params, timeout=self._follow_timeout
        )
        lines = _lines(response)

        async def close() -> None:
            await lines.aclose()
            await response.aclose()

        return LogStream(lines=lines, close=close)

    # -- env -------------------------------------------------------------------------------

    async def get_container_env(self, wap_id: str) -> EnvVariables:
        return await self._call("GET", wap_id, "env", _env_variables)

    async def update_container_env(
        self, wap_id: str, set: Mapping[str, str], unset: Sequence[str]
    ) -> EnvUpdate:
        body = {"set": dict(set), "unset": list(unset)}
        return await self._call("PATCH", wap_id, "env", _env_update, json=body)

    # -- plumbing --------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        wap_id: str | None,
        action: str,
        parse: Callable[[_Fields], _T],
        *,
        params: Mapping[str, str] | None = None,
        json: object = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> _T:
        """Send a request whose 2xx answer is JSON, and parse that answer with ``parse``."""
        response = await self._send(
            method, wap_id, action, params=params, json=json, content=content, headers=headers
        )
        body = await _read(response, limit=_MAX_ANSWER_BODY)
        if body is None:
            raise errors.UpstreamError("WAP Core's answer is larger than the service accepts")
        try:
            return parse(_Fields(_json.loads(body), "the answer"))
        except (_Malformed, ValueError) as exc:  # JSONDecodeError, UnicodeDecodeError
            reason = exc if isinstance(exc, _Malformed) else "it is not JSON"
            raise errors.UpstreamError(
                f"WAP Core's answer to {method} {action} is malformed: {reason}"
            ) from exc

    async def _send(
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
    ) -> httpx.Response:
        """Send a request; return the 2xx response with its body unread (the caller closes it).

        Raises the translated error for a transport failure or a non-2xx status.
        """
        if self._client is None:
            raise RuntimeError("WapClient.start() must be awaited before calling WAP Core")
        client = self._client
        url = "/containers/" + (f"{_segment(wap_id)}/" if wap_id is not None else "") + action
        request = client.build_request(
            method,
            url,
            params=params,
            json=json,
            content=content,
            headers=headers,
            timeout=timeout if timeout is not None else self._timeout,
        )
        retries = 1 if method == "GET" else 0
        while True:
            try:
                response = await client.send(request, stream=True)
                break
            except _RETRYABLE as exc:
                if retries == 0:
                    raise _transport_error(exc, answered=False) from exc
                retries -= 1
                log.info("WAP Core dropped %s %s (%r); retrying once", method, action, exc)
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
                raise _transport_error(exc, answered=False) from exc
        if response.is_success:
            return response
        body = await _read(response, limit=_MAX_ERROR_BODY)
        raise _status_error(response.status_code, body, wap_id)


# -- errors ------------------------------------------------------------------------------------


def _transport_error(exc: Exception, *, answered: bool) -> errors.ApiError:
    if isinstance(exc, httpx.TimeoutException):
        phase = _TIMEOUT_PHASES.get(type(exc), "waiting for it")
        return errors.UpstreamTimeout(f"WAP Core timed out while {phase}")
    if answered:
        return errors.UpstreamError(f"WAP Core broke off its answer ({type(exc).__name__})")
    if isinstance(exc, httpx.TransportError):
        return errors.UpstreamUnavailable(f"WAP Core is unreachable ({type(exc).__name__})")
    return errors.UpstreamError(f"The request to WAP Core failed ({type(exc).__name__})")


def _status_error(status: int, body: bytes | None, wap_id: str | None) -> errors.ApiError:
    if status in (401, 403):
        return errors.UpstreamError(
            f"WAP Core refused the service's credentials (HTTP {status}); "
            "check WAP_USERNAME and WAP_PASSWORD"
        )
    parsed = _error_body(body)
    if parsed is None:
        return errors.UpstreamError(f"WAP Core answered HTTP {status} without a usable error body")
    code, message = parsed
    if wap_id:
        message = message.replace(wap_id, "<container>")
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE] + "…"
    if status >= 500:
        return errors.UpstreamError(f"WAP Core failed (HTTP {status}): {message}")
    if status == 400:
        return errors.BadRequest(message, code="invalid_path" if code in _PATH_ERRORS else None)
    if status == 404:
        return errors.NotFound(message)
    if status == 409:
        if code == "update_in_progress":
            return errors.UpdateInProgress(message)
        return errors.Conflict(message)
    if status == 412:
        return errors.PreconditionFailed(message)
    if status == 413:
        return errors.PayloadTooLarge(message)
    if status == 422:
        return errors.Unprocessable(message, code="unknown_tag" if code == "unknown_tag" else None)
    return errors.UpstreamError(f"WAP Core answered HTTP {status} ({code}): {message}")


def _error_body(body: bytes | None) -> tuple[str, str] | None:
    """WAP's ``(error, message)``, or ``None`` if the body is not that shape."""
    if not body:
        return None
    try:
        data = _json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    code, message = data.get("error"), data.get("message")
    if not isinstance(code, str) or not isinstance(message, str):
        return None
    return code, message


def _too_large(path: str, max_bytes: int, size: int | None = None) -> str:
    size_text = f"{size} bytes" if size is not None else f"larger than {max_bytes} bytes"
    return f"{path} is {size_text}; at most {max_bytes} bytes can be read at once"


# -- bodies and headers ------------------------------------------------------------------------


async def _read(response: httpx.Response, *, limit: int) -> bytes | None:
    """The whole body, or ``None`` if it is longer than ``limit``. Closes the response."""
    received = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            received += chunk
            if len(received) > limit:
                return None
    except (httpx.HTTPError, httpx.StreamError) as exc:
        raise _transport_error(exc, answered=True) from exc
    finally:
        await response.aclose()
    return bytes(received)


async def _chunks(response: httpx.Response) -> AsyncGenerator[bytes, None]:
    try:
        async for chunk in response.aiter_bytes():
            yield chunk
    except (httpx.HTTPError, httpx.StreamError) as exc:
        raise _transport_error(exc, answered=True) from exc
    finally:
        await response.aclose()


async def _lines(response: httpx.Response) -> AsyncGenerator[str, None]:
    """The body's lines, split on ``\\n`` only (a log line may hold a bare ``\\r``)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    try:
        async for chunk in response.aiter_bytes():
            *complete, pending = (pending + decoder.decode(chunk)).split("\n")
            for line in complete:
                yield line.removesuffix("\r")
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending.removesuffix("\r")
    except (httpx.HTTPError, httpx.StreamError) as exc:
        raise _transport_error(exc, answered=True) from exc
    finally:
        await response.aclose()


def _segment(wap_id: str) -> str:
    if wap_id in (".", ".."):  # quote() keeps dots, and a URL would resolve them away
        return wap_id.replace(".", "%2E")
    return quote(wap_id, safe="")


def _if_match(etag: str | None) -> dict[str, str]:
    return {} if etag is None else {"If-Match": etag}


def _log_params(options: LogOptions, *, follow: bool) -> dict[str, str]:
    params = {
        "timestamps": "true" if options.timestamps else "false",
        "follow": "true" if follow else "false",
    }
    if options.tail is not None:
        params["tail"] = str(options.tail)
    if options.since is not None:
        params["since"] = options.since.isoformat().replace("+00:00", "Z")
    return params


def _content_type(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "application/octet-stream"))


def _content_length(response: httpx.Response) -> int | None:
    raw = response.headers.get("content-length")
    return int(raw) if raw is not None and raw.isdigit() else None


def _http_date(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        return parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None


# -- answers -----------------------------------------------------------------------------------


class _Malformed(Exception):
    """A 2xx answer without the contract's shape. The message names fields, never values."""


class _Fields:
    """Typed access to one JSON object of an answer."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise _Malformed(f"{where} is not an object")
        self._data: dict[str, object] = data
        self._where = where

    def _get(self, key: str) -> object:
        if key not in self._data:
            raise _Malformed(f"{self._where} lacks {key!r}")
        return self._data[key]

    def _wrong(self, key: str, kind: str) -> _Malformed:
        return _Malformed(f"{key!r} of {self._where} is not {kind}")

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._wrong(key, "a string")
        return value

    def integer(self, key: str) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "an integer")
        return value

    def number(self, key: str) -> float:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._wrong(key, "a number")
        return float(value)

    def flag(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise self._wrong(key, "a boolean")
        return value

    def one_of(self, key: str, allowed: tuple[_L, ...]) -> _L:
        value = self._get(key)
        for option in allowed:
            if value == option:
                return option
        raise self._wrong(key, "one of " + ", ".join(allowed))

    def moment(self, key: str) -> datetime:
        value = self.text(key)
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise self._wrong(key, "an RFC 3339 date-time") from None
        if parsed.utcoffset() is None:
            raise self._wrong(key, "an RFC 3339 date-time with an offset")
        return parsed

    def maybe_moment(self, key: str) -> datetime | None:
        return None if self._get(key) is None else self.moment(key)

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._wrong(key, "a list of strings")
        return tuple(value)

    def text_map(self, key: str) -> dict[str, str]:
        value = self._get(key)
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self._wrong(key, "an object of strings")
        return dict(value)

    def nested(self, key: str) -> _Fields:
        return _Fields(self._get(key), f"{self._where}.{key}")

    def items(self, key: str) -> list[_Fields]:
        value = self._get(key)
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        return [_Fields(item, f"{self._where}.{key}[{i}]") for i, item in enumerate(value)]


def _container_state(f: _Fields) -> ContainerState:
    return ContainerState(
        f.text("id"), f.one_of("status", CONTAINER_STATUSES), f.moment("changedAt")
    )


def _image_update(f: _Fields) -> ImageUpdate:
    return ImageUpdate(
        f.text("id"), f.text("image"), f.text("previousTag"), f.text("tag"), f.text("status")
    )


def _file_listing(f: _Fields) -> FileListing:
    entries = tuple(
        FileEntry(
            name=e.text("name"),
            path=e.text("path"),
            type=e.one_of("type", ENTRY_TYPES),
            size=e.integer("size"),
            modified_at=e.moment("modifiedAt"),
        )
        for e in f.items("entries")
    )
    return FileListing(f.text("path"), entries)


def _write_result(f: _Fields) -> WriteResult:
    return WriteResult(
        path=f.text("path"),
        created=f.flag("created"),
        size=f.integer("size"),
        etag=f.text("etag"),
        modified_at=f.moment("modifiedAt"),
        hot_reloaded=f.flag("hotReloaded"),
        reloaded_files=f.texts("reloadedFiles"),
        restart_required=f.flag("restartRequired"),
    )


def _delete_result(f: _Fields) -> DeleteResult:
    return DeleteResult(
        path=f.text("path"),
        deleted=f.flag("deleted"),
        hot_reloaded=f.flag("hotReloaded"),
        reloaded_files=f.texts("reloadedFiles"),
        restart_required=f.flag("restartRequired"),
    )


def _container_health(f: _Fields) -> ContainerHealth:
    return ContainerHealth(
        id=f.text("id"),
        status=f.one_of("status", CONTAINER_STATUSES),
        health=f.one_of("health", HEALTH_STATUSES),
        started_at=f.maybe_moment("startedAt"),
        checked_at=f.moment("checkedAt"),
        failing_streak=f.integer("failingStreak"),
    )


def _health_summary(f: _Fields) -> HealthSummary:
    def entry(e: _Fields) -> HealthEntry:
        r = e.nested("resources")
        return HealthEntry(
            id=e.text("id"),
            status=e.one_of("status", CONTAINER_STATUSES),
            health=e.one_of("health", HEALTH_STATUSES),
            checked_at=e.moment("checkedAt"),
            resources=ContainerResources(
                r.number("cpuPercent"), r.integer("memoryBytes"), r.integer("memoryLimitBytes")
            ),
        )

    return HealthSummary(tuple(entry(e) for e in f.items("containers")))


def _container_stats(f: _Fields) -> ContainerStats:
    return ContainerStats(
        id=f.text("id"),
        cpu_percent=f.number("cpuPercent"),
        memory_bytes=f.integer("memoryBytes"),
        memory_limit_bytes=f.integer("memoryLimitBytes"),
        network_rx_bytes=f.integer("networkRxBytes"),
        network_tx_bytes=f.integer("networkTxBytes"),
        block_read_bytes=f.integer("blockReadBytes"),
        block_write_bytes=f.integer("blockWriteBytes"),
        pids=f.integer("pids"),
        sampled_at=f.moment("sampledAt"),
    )


def _env_variables(f: _Fields) -> EnvVariables:
    return EnvVariables(f.text("id"), f.text_map("variables"))


def _env_update(f: _Fields) -> EnvUpdate:
    return EnvUpdate(f.text("id"), f.text_map("variables"), f.flag("restartRequired"))
