"""Reading WAP Core's answers (``contracts/wap.yaml``) into the port's types.

Pure functions over bytes, headers and decoded JSON: no I/O and no httpx, so
``WapClient`` does the reading and these only interpret what it read. A 2xx
answer without the contract's shape raises ``Malformed`` (which
``wap_errors.malformed_answer`` turns into ``UpstreamError``).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TypedDict, TypeVar

from service.wap_types import (
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
    WriteResult,
)

_L = TypeVar("_L", bound=str)
_T = TypeVar("_T")


class Malformed(Exception):
    """A 2xx answer without the contract's shape. The message names fields, never values."""


# -- headers and text ----------------------------------------------------------------------------


def content_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "application/octet-stream")


def content_length(headers: Mapping[str, str]) -> int | None:
    raw = headers.get("content-length")
    return int(raw) if raw is not None and raw.isdigit() else None


def http_date(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        return parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None


class LogLines:
    """Splits a log arriving in chunks into lines: UTF-8 (bad bytes replaced), split on
    ``\\n`` only (a log line may hold a bare ``\\r``), without a line's trailing ``\\r``."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""

    def feed(self, chunk: bytes) -> list[str]:
        """The lines ``chunk`` completes."""
        *complete, self._pending = (self._pending + self._decoder.decode(chunk)).split("\n")
        return [line.removesuffix("\r") for line in complete]

    def end(self) -> list[str]:
        """The last line, if the log does not end with a newline."""
        rest, self._pending = self._pending + self._decoder.decode(b"", final=True), ""
        return [rest.removesuffix("\r")] if rest else []


def log_lines(body: bytes) -> list[str]:
    """A whole log answer's lines, oldest first."""
    lines = LogLines()
    return lines.feed(body) + lines.end()


# -- JSON answers --------------------------------------------------------------------------------


def json_answer(body: bytes, parse: Callable[[Fields], _T]) -> _T:
    """``parse`` applied to the JSON object ``body`` holds; ``Malformed`` if it holds none."""
    try:
        data = json.loads(body)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise Malformed("it is not JSON") from exc
    except RecursionError as exc:  # nested deeper than the decoder recurses
        raise Malformed("it is nested too deeply") from exc
    return parse(Fields(data, "the answer"))


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


class _Change(TypedDict):
    hot_reloaded: bool
    reloaded_files: tuple[str, ...]
    restart_required: bool


def _change(f: Fields) -> _Change:
    """What every answer to a file change reports (``FileChange``'s flags)."""
    return {
        "hot_reloaded": f.flag("hotReloaded"),
        "reloaded_files": f.texts("reloadedFiles"),
        "restart_required": f.flag("restartRequired"),
    }


def write_result(f: Fields) -> WriteResult:
    return WriteResult(
        f.text("path"),
        created=f.flag("created"),
        size=f.integer("size"),
        etag=f.text("etag"),
        modified_at=f.moment("modifiedAt"),
        **_change(f),
    )


def delete_result(f: Fields) -> DeleteResult:
    return DeleteResult(f.text("path"), deleted=f.flag("deleted"), **_change(f))


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
