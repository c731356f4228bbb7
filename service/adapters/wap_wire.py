"""WAP Core's wire format: reading its answers into the port's types, and turning its
failures into our errors. Used only by ``WapClient`` (see its module for the error map)."""

from __future__ import annotations

import codecs
import json as _json
from collections.abc import AsyncGenerator
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import quote

import httpx

from service import errors
from service.wap import (
    CONTAINER_STATUSES,
    ENTRY_TYPES,
    HEALTH_STATUSES,
    ContainerHealth,
    ContainerResources,
    ContainerState,
    ContainerStats,
    DeleteResult,
    EnvUpdate,
    EnvVariables,
    FileEntry,
    FileListing,
    HealthEntry,
    HealthSummary,
    ImageUpdate,
    LogOptions,
    WriteResult,
)

_MAX_MESSAGE = 500
_PATH_ERRORS = frozenset({"invalid_path", "not_a_directory", "is_a_directory"})
_TIMEOUT_PHASES = {
    httpx.ConnectTimeout: "connecting",
    httpx.ReadTimeout: "waiting for its answer",
    httpx.WriteTimeout: "sending the request",
    httpx.PoolTimeout: "waiting for a free connection",
}
_L = TypeVar("_L", bound=str)


def transport_error(exc: Exception, *, answered: bool) -> errors.ApiError:
    if isinstance(exc, httpx.TimeoutException):
        phase = _TIMEOUT_PHASES.get(type(exc), "waiting for it")
        return errors.UpstreamTimeout(f"WAP Core timed out while {phase}")
    if answered:
        return errors.UpstreamError(f"WAP Core broke off its answer ({type(exc).__name__})")
    if isinstance(exc, httpx.TransportError):
        return errors.UpstreamUnavailable(f"WAP Core is unreachable ({type(exc).__name__})")
    return errors.UpstreamError(f"The request to WAP Core failed ({type(exc).__name__})")


def status_error(status: int, body: bytes | None, wap_id: str | None) -> errors.ApiError:
    if status in (401, 403):
        return errors.UpstreamError(
            f"WAP Core refused the service's credentials (HTTP {status}); "
            "check WAP_USERNAME and WAP_PASSWORD"
        )
    parsed = error_body(body)
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


def error_body(body: bytes | None) -> tuple[str, str] | None:
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


def too_large(path: str, max_bytes: int, size: int | None = None) -> str:
    size_text = f"{size} bytes" if size is not None else f"larger than {max_bytes} bytes"
    return f"{path} is {size_text}; at most {max_bytes} bytes can be read at once"


# -- bodies and headers ------------------------------------------------------------------------


async def read(response: httpx.Response, *, limit: int) -> bytes | None:
    """The whole body, or ``None`` if it is longer than ``limit``. Closes the response."""
    received = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            received += chunk
            if len(received) > limit:
                return None
    except (httpx.HTTPError, httpx.StreamError) as exc:
        raise transport_error(exc, answered=True) from exc
    finally:
        await response.aclose()
    return bytes(received)


async def chunks(response: httpx.Response) -> AsyncGenerator[bytes, None]:
    try:
        async for chunk in response.aiter_bytes():
            yield chunk
    except (httpx.HTTPError, httpx.StreamError) as exc:
        raise transport_error(exc, answered=True) from exc
    finally:
        await response.aclose()


async def lines(response: httpx.Response) -> AsyncGenerator[str, None]:
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
        raise transport_error(exc, answered=True) from exc
    finally:
        await response.aclose()


def segment(wap_id: str) -> str:
    if wap_id in (".", ".."):  # quote() keeps dots, and a URL would resolve them away
        return wap_id.replace(".", "%2E")
    return quote(wap_id, safe="")


def if_match(etag: str | None) -> dict[str, str]:
    return {} if etag is None else {"If-Match": etag}


def log_params(options: LogOptions, *, follow: bool) -> dict[str, str]:
    params = {
        "timestamps": "true" if options.timestamps else "false",
        "follow": "true" if follow else "false",
    }
    if options.tail is not None:
        params["tail"] = str(options.tail)
    if options.since is not None:
        params["since"] = options.since.isoformat().replace("+00:00", "Z")
    return params


def content_type(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "application/octet-stream"))


def content_length(response: httpx.Response) -> int | None:
    raw = response.headers.get("content-length")
    return int(raw) if raw is not None and raw.isdigit() else None


def http_date(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        return parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None


# -- answers -----------------------------------------------------------------------------------


class Malformed(Exception):
    """A 2xx answer without the contract's shape. The message names fields, never values."""


class Fields:
    """Typed access to one JSON object of an answer."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise Malformed(f"{where} is not an object")
        self._data: dict[str, object] = data
        self._where = where

    def _get(self, key: str) -> object:
        if key not in self._data:
            raise Malformed(f"{self._where} lacks {key!r}")
        return self._data[key]

    def _wrong(self, key: str, kind: str) -> Malformed:
        return Malformed(f"{key!r} of {self._where} is not {kind}")

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

    def nested(self, key: str) -> Fields:
        return Fields(self._get(key), f"{self._where}.{key}")

    def items(self, key: str) -> list[Fields]:
        value = self._get(key)
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        return [Fields(item, f"{self._where}.{key}[{i}]") for i, item in enumerate(value)]


def container_state(f: Fields) -> ContainerState:
    return ContainerState(
        f.text("id"), f.one_of("status", CONTAINER_STATUSES), f.moment("changedAt")
    )


def image_update(f: Fields) -> ImageUpdate:
    return ImageUpdate(
        f.text("id"), f.text("image"), f.text("previousTag"), f.text("tag"), f.text("status")
    )


def file_listing(f: Fields) -> FileListing:
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


def write_result(f: Fields) -> WriteResult:
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


def delete_result(f: Fields) -> DeleteResult:
    return DeleteResult(
        path=f.text("path"),
        deleted=f.flag("deleted"),
        hot_reloaded=f.flag("hotReloaded"),
        reloaded_files=f.texts("reloadedFiles"),
        restart_required=f.flag("restartRequired"),
    )


def container_health(f: Fields) -> ContainerHealth:
    return ContainerHealth(
        id=f.text("id"),
        status=f.one_of("status", CONTAINER_STATUSES),
        health=f.one_of("health", HEALTH_STATUSES),
        started_at=f.maybe_moment("startedAt"),
        checked_at=f.moment("checkedAt"),
        failing_streak=f.integer("failingStreak"),
    )


def health_summary(f: Fields) -> HealthSummary:
    def entry(e: Fields) -> HealthEntry:
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


def container_stats(f: Fields) -> ContainerStats:
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


def env_variables(f: Fields) -> EnvVariables:
    return EnvVariables(f.text("id"), f.text_map("variables"))


def env_update(f: Fields) -> EnvUpdate:
    return EnvUpdate(f.text("id"), f.text_map("variables"), f.flag("restartRequired"))
