"""WAP Core on the wire: the requests ``WapClient`` sends (``Requests``), and reading an
answer's body (whole within a limit, chunk by chunk, or line by line) as it needs it.
A failure while reading is translated by ``wap_errors`` (``answered=True``).
"""

from __future__ import annotations

from base64 import b64encode
from collections.abc import AsyncGenerator, Mapping
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from service.adapters import wap_errors
from service.adapters.http1_transport import Deadline
from service.adapters.wap_answers import LogLines
from service.request_context import current_request_id
from service.wap import LogOptions, Stream

_T = TypeVar("_T")


# -- requests ----------------------------------------------------------------------------------

_NO_BODY = httpx.ByteStream(b"")  # immutable: one for every request without a body
_MAX_URLS = 4096  # parameterless URLs kept (the hot path: one per container and action)
# What httpx.AsyncClient sends by default (the wire stays as it was when one sent ours).
_DEFAULT_HEADERS = (
    ("Accept", "*/*"),
    ("Accept-Encoding", "gzip, deflate"),  # what httpx decodes without extra packages
    ("Connection", "keep-alive"),
    ("User-Agent", f"python-httpx/{httpx.__version__}"),
)


REQUEST_ID = "X-Request-ID"  # the id of the API request a call serves, when there is one

# (method, names a container, action) → WAP's operationId (contracts/wap.yaml): the
# ``action`` of the WAP metrics.
OPERATIONS = {
    ("GET", False, "health"): "getAllContainerHealth",
    ("POST", True, "restart"): "restartContainer",
    ("POST", True, "stop"): "stopContainer",
    ("POST", True, "start"): "startContainer",
    ("POST", True, "update-image"): "updateContainerImage",
    ("GET", True, "files"): "listContainerFiles",
    ("DELETE", True, "files"): "deleteContainerFile",
    ("GET", True, "files/read"): "readContainerFile",
    ("PUT", True, "files/write"): "writeContainerFile",
    ("GET", True, "health"): "getContainerHealth",
    ("GET", True, "stats"): "getContainerStats",
    ("GET", True, "logs"): "getContainerLogs",
    ("GET", True, "env"): "getContainerEnv",
    ("PATCH", True, "env"): "updateContainerEnv",
}


def operation_id(method: str, wap_id: str | None, action: str) -> str:
    """WAP's operationId for a request ``Requests.build`` makes (else ``METHOD action``)."""
    found = OPERATIONS.get((method, wap_id is not None, action))
    return found if found is not None else f"{method} {action}"


class Requests:
    """Builds ``WapClient``'s requests as ``AsyncClient.build_request`` and ``BasicAuth``
    would, without their work on every call (``bench/wap_call.py`` measures it). A
    request made while an API request is served carries its id (``X-Request-ID``).

    What every request shares is made once: the base URL (with a trailing ``/``, any
    userinfo dropped: the credentials are the settings'), the headers (``Host``, httpx's
    defaults, ``Authorization``) and the timeouts (``extensions["timeout"]``, as httpx
    sets them). A URL without a query is parsed once per container and action, then
    reused: httpx parses and validates every URL it is given, the costliest step.
    """

    def __init__(
        self, base_url: str, *, username: str, password: str, timeout: httpx.Timeout
    ) -> None:
        base = httpx.URL(base_url).copy_with(userinfo=b"")
        if not base.raw_path.endswith(b"/"):
            base = base.copy_with(raw_path=base.raw_path + b"/")
        self._base = base
        token = b64encode(f"{username}:{password}".encode()).decode()
        self.headers = httpx.Headers(
            [
                ("Host", base.netloc.decode("ascii")),
                *_DEFAULT_HEADERS,
                ("Authorization", f"Basic {token}"),
            ]
        )
        self.extensions: dict[str, Any] = {"timeout": timeout.as_dict()}
        self._urls: dict[tuple[str | None, str], httpx.URL] = {}

    def url(
        self, wap_id: str | None, action: str, params: Mapping[str, str] | None = None
    ) -> httpx.URL:
        """``/containers/{wap_id}/{action}`` (or ``/containers/{action}``) under the base URL."""
        if not params:
            url = self._urls.get((wap_id, action))
            if url is not None:
                return url
        path = "containers/" + (f"{segment(wap_id)}/" if wap_id is not None else "") + action
        if params:
            path += "?" + str(httpx.QueryParams(params))
        url = self._base.copy_with(raw_path=self._base.raw_path + path.encode("ascii"))
        if not params:
            if len(self._urls) >= _MAX_URLS:
                del self._urls[next(iter(self._urls))]  # the oldest
            self._urls[(wap_id, action)] = url
        return url

    def build(
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
    ) -> httpx.Request:
        """``deadline``: when the exchange must have ended, for a transport that keeps it
        (``Http1Transport``; the others ignore it)."""
        url = self.url(wap_id, action, params)
        extensions = self.extensions if timeout is None else {"timeout": timeout.as_dict()}
        if deadline is not None:
            extensions = {**extensions, "deadline": deadline}
        if method == "GET" and json is None and content is None and not headers:
            # No body and nothing to merge: the prepared headers as they are. httpx adds
            # nothing to a bodiless GET (no Content-Length), so the wire is the same.
            request = httpx.Request(
                method, url, headers=self.headers, stream=_NO_BODY, extensions=extensions
            )
            request.read()  # ``request.content`` is b"", as for a built request
        else:
            merged = self.headers
            if headers:
                merged = httpx.Headers(merged)
                merged.update(headers)
            request = httpx.Request(
                method, url, headers=merged, json=json, content=content, extensions=extensions
            )
        request_id = current_request_id()
        if request_id is not None:  # the request's own copy of the headers (httpx copies)
            request.headers[REQUEST_ID] = request_id
        return request


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
    stream = response.stream
    if type(stream) is httpx.ByteStream and "content-encoding" not in response.headers:
        # An answer the transport had whole with its headers (Http1Transport): its bytes,
        # without httpx's chunking and decoder machinery (nothing to decode, or release).
        body = b"".join(stream)
        return body if len(body) <= limit else None
    received: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                return None
            received.append(chunk)
    except (httpx.HTTPError, httpx.StreamError) as exc:
        raise wap_errors.transport_error(exc, answered=True) from exc
    finally:
        await response.aclose()
    # One chunk (every small answer) is returned as it came: no copy.
    return received[0] if len(received) == 1 else b"".join(received)


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
