"""WAP Core on the wire: the parts of a request that the contract shapes, and reading an
answer's body (whole within a limit, chunk by chunk, or line by line) as ``WapClient``
needs it. A failure while reading is translated by ``wap_errors`` (``answered=True``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import TypeVar
from urllib.parse import quote

import httpx

from service.adapters import wap_errors
from service.adapters.wap_answers import LogLines
from service.wap import LogOptions, Stream

_T = TypeVar("_T")


# -- requests ----------------------------------------------------------------------------------


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


# -- bodies ------------------------------------------------------------------------------------


async def read(response: httpx.Response, *, limit: int) -> bytes | None:
    """The whole body, or ``None`` if it is longer than ``limit``. Closes the response."""
    received = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            received += chunk
            if len(received) > limit:
                return None
    except (httpx.HTTPError, httpx.StreamError) as exc:
        raise wap_errors.transport_error(exc, answered=True) from exc
    finally:
        await response.aclose()
    return bytes(received)


async def chunks(response: httpx.Response) -> AsyncGenerator[bytes, None]:
    """The body as it arrives. Closes the response when done, failed or closed."""
    try:
        async for chunk in response.aiter_bytes():
            yield chunk
    except (httpx.HTTPError, httpx.StreamError) as exc:
        raise wap_errors.transport_error(exc, answered=True) from exc
    finally:
        await response.aclose()


async def lines(response: httpx.Response) -> AsyncGenerator[str, None]:
    """The body's lines as they arrive (split as ``wap_answers.LogLines`` says)."""
    splitter, body = LogLines(), chunks(response)
    try:
        async for chunk in body:
            for line in splitter.feed(chunk):
                yield line
        for line in splitter.end():
            yield line
    finally:
        await body.aclose()


def stream(
    response: httpx.Response,
    items: AsyncGenerator[_T, None],
    *,
    content_type: str | None = None,
    etag: str | None = None,
    size: int | None = None,
    last_modified: datetime | None = None,
) -> Stream[_T]:
    """``items`` read from ``response``, as a ``Stream`` whose ``close`` closes both."""

    async def close() -> None:
        await items.aclose()  # an unstarted generator skips its ``finally``: close both
        await response.aclose()

    return Stream(items, close, content_type, etag, size, last_modified)
