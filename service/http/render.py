"""Response helpers: JSON bodies, server-sent events, and streaming that started."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sanic.helpers import has_message_body
from sanic.response import HTTPResponse

from service import errors

log = logging.getLogger("armory.http")
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_ascii_dumps = json.JSONEncoder(separators=(",", ":")).encode


# On every answer of the API: no content sniffing, and never cached (answers carry an
# account's data, `env?reveal=true` its secrets).
API_HEADERS: Mapping[str, str] = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


_JSON = "application/json"
# Header lines most answers carry, encoded once (Sanic strips CR, LF and NUL from each name
# and value, then encodes them, on every answer): ``ApiResponse`` looks them up.
_ENCODED: dict[tuple[str, str], tuple[bytes, bytes]] = {
    (name, value): (name.encode("ascii"), value.encode("ascii"))
    for name, value in [*API_HEADERS.items(), ("content-type", _JSON)]
}


class ApiResponse(HTTPResponse):
    """``HTTPResponse`` whose constant header lines are encoded once (``_ENCODED``); any
    other is sanitized and encoded as Sanic does."""

    __slots__ = ()

    @property
    def processed_headers(self) -> Iterator[tuple[bytes, bytes]]:
        if has_message_body(self.status):  # type: ignore[no-untyped-call]
            self.headers.setdefault("content-type", self.content_type)
        sanitize = self._sanitize_header_value
        for name, value in self.headers.items():
            encoded = _ENCODED.get((name, value))
            if encoded is None:
                value = f"{value}"
                encoded = (
                    sanitize(name).encode("ascii"),
                    sanitize(value).encode(errors="surrogateescape"),
                )
            yield encoded


def json_response(
    body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> HTTPResponse:
    return ApiResponse(
        json_bytes(body),
        status=status,
        headers={**API_HEADERS, **headers} if headers else dict(API_HEADERS),
        content_type=_JSON,
    )


def json_bytes(body: Any) -> bytes:
    """``body`` as UTF-8 JSON. A string UTF-8 cannot carry (a lone surrogate, as WAP's
    JSON may hold in an escape) is sent escaped (``\\ud800``), as JSON allows."""
    text = _dumps(body)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _ascii_dumps(body).encode("ascii")


def iso(value: datetime | None) -> str | None:
    """RFC 3339 in UTC, as every timestamp of the contract."""
    return None if value is None else value.astimezone(UTC).isoformat()


def sse_line(line: str) -> bytes:
    """One log line as one server-sent event (a line never contains a newline)."""
    return b"data: " + line.replace("\r", "").encode("utf-8", "replace") + b"\n\n"


@asynccontextmanager
async def problem_stream_guard() -> AsyncIterator[None]:
    """Once a streamed response has started, an upstream failure can only cut it short.

    The client sees a truncated body (shorter than its Content-Length, or an event
    stream that ends); the failure is logged instead of becoming a second response.
    """
    try:
        yield
    except errors.ApiError as exc:
        log.warning("stream ended early: %s (%s)", exc.instance_code, exc.detail)
