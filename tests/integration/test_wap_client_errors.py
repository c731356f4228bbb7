"""WapClient's error map and retries, against a respx-faked WAP Core.

``ERROR_MAP`` is the table of ``service/adapters/wap_errors.py`` as cases: each row
fails one operation one way and names the error the client must raise, with its
status, code and whole detail. tests/integration/test_aiohttp_transport.py makes the same
failures for real over aiohttp.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx

from service import errors
from service.adapters.wap_client import WapClient
from service.wap import LogOptions, Stream
from service.wap_types import EnvVariables
from tests.integration import test_wap_client as client_tests
from tests.integration.test_wap_client import (
    AT,
    PASSWORD,
    USERNAME,
    WAP_ID,
    Body,
    streamed,
)
from tests.integration.test_wap_client import CONTAINER as C

# test_wap_client's client and faked WAP Core (pytest finds fixtures by their names here).
wap, fake = client_tests.wap, client_tests.fake


async def drained(opening: Awaitable[Stream[Any]]) -> list[Any]:
    async with await opening as stream:
        return [item async for item in stream]


Call = Callable[[WapClient], Awaitable[object]]

# The operations the rows fail: name -> (method, path, the call).
OPERATIONS: dict[str, tuple[str, str, Call]] = {
    "restart": ("POST", f"{C}/restart", lambda w: w.restart_container(WAP_ID)),
    "stop": ("POST", f"{C}/stop", lambda w: w.stop_container(WAP_ID)),
    "start": ("POST", f"{C}/start", lambda w: w.start_container(WAP_ID)),
    "update-image": (
        "POST",
        f"{C}/update-image",
        lambda w: w.update_container_image(WAP_ID, "armory/agent-runtime", "9.9.9"),
    ),
    "list-files": ("GET", f"{C}/files", lambda w: w.list_container_files(WAP_ID, "/app/a.md")),
    "read-file": (
        "GET",
        f"{C}/files/read",
        lambda w: w.read_container_file(WAP_ID, "/app/blob.bin", max_bytes=100),
    ),
    # Opening only: an error WAP answers up front must come before any chunk.
    "open-file": ("GET", f"{C}/files/read", lambda w: w.open_container_file(WAP_ID, "/app/a.md")),
    "stream-file": (
        "GET",
        f"{C}/files/read",
        lambda w: drained(w.open_container_file(WAP_ID, "/app/blob.bin")),
    ),
    "write-file": (
        "PUT",
        f"{C}/files/write",
        lambda w: w.write_container_file(WAP_ID, "/app/a.md", b"x", if_match='"0"'),
    ),
    "delete-file": ("DELETE", f"{C}/files", lambda w: w.delete_container_file(WAP_ID, "/a")),
    "all-health": ("GET", "/containers/health", lambda w: w.get_all_container_health()),
    "stats": ("GET", f"{C}/stats", lambda w: w.get_container_stats(WAP_ID)),
    "follow-logs": ("GET", f"{C}/logs", lambda w: w.follow_container_logs(WAP_ID, LogOptions())),
    "env": ("GET", f"{C}/env", lambda w: w.get_container_env(WAP_ID)),
    "update-env": ("PATCH", f"{C}/env", lambda w: w.update_container_env(WAP_ID, {"A": "1"}, [])),
}


@dataclass(frozen=True)
class Failure:
    """WAP fails ``operation`` with ``wap`` (its answer, or what sending raised), and the
    client raises exactly ``error`` with ``status``, ``code`` and ``detail``."""

    operation: str
    wap: httpx.Response | Exception
    error: type[errors.ApiError]
    status: int
    code: str
    detail: str

    @property
    def cause(self) -> Exception | None:
        """The httpx exception the error must chain (``raise ... from``), if there is one."""
        if isinstance(self.wap, Exception):
            return self.wap
        return self.wap.stream.then if isinstance(self.wap.stream, Body) else None


def error(status: int, code: str, message: str) -> httpx.Response:
    """An answer with WAP's error body."""
    return httpx.Response(status, json={"error": code, "message": message})


def broken(then: Exception) -> httpx.Response:
    """A 200 answer whose connection breaks after its first chunk."""
    return streamed(Body(b"half", then=then))


def state(**fields: Any) -> httpx.Response:
    return httpx.Response(200, json={"id": WAP_ID, "status": "running", "changedAt": AT, **fields})


Raised = tuple[type[errors.ApiError], int, str]  # (error, status, code)
UNREACHABLE: Raised = (errors.UpstreamUnavailable, 502, "wap_unavailable")
TIMEOUT: Raised = (errors.UpstreamTimeout, 504, "wap_timeout")
WAP_ERROR: Raised = (errors.UpstreamError, 502, "wap_error")
NO_BODY = "WAP Core answered HTTP {} without a usable error body"
NOT_FOUND = "WAP Core has no such file, directory or container"
MALFORMED = "WAP Core's answer to POST start is malformed: "
CREDENTIALS = (
    "WAP Core refused the service's credentials (HTTP {}); check WAP_USERNAME and WAP_PASSWORD"
)
REFUSED_BY = {"error": "unauthorized", "message": f"bad credentials {USERNAME}:{PASSWORD}"}
CHALLENGE = {"WWW-Authenticate": 'Basic realm="wap"'}
SICK_HEALTH = {
    "containers": [
        {
            "id": "wap-1",
            "status": "running",
            "health": "healthy",
            "checkedAt": AT,
            "resources": {"cpuPercent": True, "memoryBytes": 1, "memoryLimitBytes": 2},
        }
    ]
}


def row(
    name: str, operation: str, wap: httpx.Response | Exception, raised: Raised, detail: str
) -> Any:
    """One case of the table (a ``pytest.param`` named ``name``)."""
    return pytest.param(Failure(operation, wap, *raised, detail), id=name)


# fmt: off
ERROR_MAP = [
    # -- the transport: no answer, or not all of one
    row("refused", "restart", httpx.ConnectError("[Errno 111] Connection refused"), UNREACHABLE,
        "WAP Core is unreachable (ConnectError)"),
    row("read-timeout", "stats", httpx.ReadTimeout("read timed out"), TIMEOUT,
        "WAP Core timed out while waiting for its answer"),
    row("connect-timeout", "stats", httpx.ConnectTimeout("connect timed out"), TIMEOUT,
        "WAP Core timed out while connecting"),
    row("pool-timeout", "stats", httpx.PoolTimeout("no free connection"), TIMEOUT,
        "WAP Core timed out while waiting for a free connection"),
    row("write-timeout", "stats", httpx.WriteTimeout("write timed out"), TIMEOUT,
        "WAP Core timed out while sending the request"),
    row("stream-broken-off", "stream-file", broken(httpx.ReadError("connection reset by peer")),
        WAP_ERROR, "WAP Core broke off its answer (ReadError)"),
    row("stream-timed-out", "stream-file", broken(httpx.ReadTimeout("read timed out")),
        TIMEOUT, "WAP Core timed out while waiting for its answer"),
    row("read-broken-off", "read-file",
        broken(httpx.RemoteProtocolError("peer closed connection without sending complete body")),
        WAP_ERROR, "WAP Core broke off its answer (RemoteProtocolError)"),
    # -- 5xx, refused credentials, and answers without WAP's {error, message}
    row("500", "restart", error(500, "internal_error", "the container runtime did not answer"),
        WAP_ERROR, "WAP Core failed (HTTP 500)"),
    row("500-long-message", "restart", error(500, "internal_error", "x" * 600),
        WAP_ERROR, "WAP Core failed (HTTP 500)"),
    row("503-empty", "restart", httpx.Response(503), WAP_ERROR, NO_BODY.format(503)),
    row("502-html", "restart", httpx.Response(502, text="<html>Bad gateway</html>"),
        WAP_ERROR, NO_BODY.format(502)),
    row("401", "env", httpx.Response(401, json=REFUSED_BY, headers=CHALLENGE),
        WAP_ERROR, CREDENTIALS.format(401)),
    row("403", "env", httpx.Response(403, json=REFUSED_BY, headers=CHALLENGE),
        WAP_ERROR, CREDENTIALS.format(403)),
    row("empty-404", "list-files", httpx.Response(404), WAP_ERROR, NO_BODY.format(404)),
    row("non-json-400", "list-files", httpx.Response(400, text="Bad Request: tail"),
        WAP_ERROR, NO_BODY.format(400)),
    row("json-array-409", "list-files", httpx.Response(409, json=["not", "an", "object"]),
        WAP_ERROR, NO_BODY.format(409)),
    row("no-message-412", "list-files", httpx.Response(412, json={"error": "precondition_failed"}),
        WAP_ERROR, NO_BODY.format(412)),
    row("numeric-error", "list-files", httpx.Response(404, json={"error": 404, "message": "no"}),
        WAP_ERROR, NO_BODY.format(404)),
    row("429-undocumented", "stats", error(429, "slow_down", "too many requests"),
        WAP_ERROR, "WAP Core answered HTTP 429 unexpectedly"),
    # -- the statuses WAP explains, in our words (WAP's only in our log)
    row("400-not-a-directory", "list-files", error(400, "not_a_directory", "/app/a.md is a file"),
        (errors.BadRequest, 400, "invalid_path"),
        "WAP Core refused the path: it is not a directory"),
    row("400-is-a-directory", "list-files", error(400, "is_a_directory", "/app is a directory"),
        (errors.BadRequest, 400, "invalid_path"), "WAP Core refused the path: it is a directory"),
    row("400-invalid-path", "list-files", error(400, "invalid_path", "/app/../x is not allowed"),
        (errors.BadRequest, 400, "invalid_path"), "WAP Core refused the file path"),
    row("400-other", "list-files", error(400, "invalid_request", "path is required"),
        (errors.BadRequest, 400, "invalid_request"), "WAP Core refused the request as invalid"),
    row("404", "restart", error(404, "not_found", f"no container {WAP_ID}"),
        (errors.NotFound, 404, "not_found"), NOT_FOUND),
    row("404-opening-a-file", "open-file", error(404, "not_found", "no such file /app/a.md"),
        (errors.NotFound, 404, "not_found"), NOT_FOUND),
    row("404-following-logs", "follow-logs", error(404, "not_found", f"no container {WAP_ID}"),
        (errors.NotFound, 404, "not_found"), NOT_FOUND),
    row("409", "stop", error(409, "conflict", f"container {WAP_ID} is already stopped"),
        (errors.Conflict, 409, "conflict"), "The container's state does not allow this"),
    row("409-update-in-progress", "update-image",
        error(409, "update_in_progress", "an image update is already running"),
        (errors.UpdateInProgress, 409, "update_in_progress"),
        "An update of this container is already in progress"),
    row("412", "write-file",
        error(412, "precondition_failed", "If-Match does not match the current ETag"),
        (errors.PreconditionFailed, 412, "precondition_failed"),
        "The file's current entity tag does not match If-Match"),
    row("413", "write-file", error(413, "payload_too_large", "at most 1 MiB can be written"),
        (errors.PayloadTooLarge, 413, "payload_too_large"),
        "The content is larger than WAP Core accepts"),
    row("422-unknown-tag", "update-image",
        error(422, "unknown_tag", "armory/agent-runtime:9.9.9 is not in the registry"),
        (errors.Unprocessable, 422, "unknown_tag"), "WAP Core's registry does not have this tag"),
    row("422-other", "update-env", error(422, "something_new", "not acceptable"),
        (errors.Unprocessable, 422, "validation_failed"), "WAP Core could not apply the request"),
    # -- a 2xx answer without the contract's shape (named by field, never by value)
    row("text", "start", httpx.Response(200, text="ok"), WAP_ERROR,
        MALFORMED + "it is not JSON"),
    row("array", "start", httpx.Response(200, json=["running"]), WAP_ERROR,
        MALFORMED + "the answer is not an object"),
    row("deep", "start", httpx.Response(200, content=b"[" * 100_000), WAP_ERROR,
        MALFORMED + "it is nested too deeply"),
    row("missing", "start", httpx.Response(200, json={"id": WAP_ID, "status": "running"}),
        WAP_ERROR, MALFORMED + "the answer lacks 'changedAt'"),
    row("wrong-type", "start", state(id=7), WAP_ERROR,
        MALFORMED + "'id' of the answer is not a string"),
    row("unknown-enum", "start", state(status="exploded"), WAP_ERROR,
        MALFORMED + "'status' of the answer is not one of running, stopped, restarting"),
    row("bad-date", "start", state(changedAt="soon"), WAP_ERROR,
        MALFORMED + "'changedAt' of the answer is not an RFC 3339 date-time"),
    row("naive-date", "start", state(changedAt="2026-11-29T10:15:00"), WAP_ERROR,
        MALFORMED + "'changedAt' of the answer is not an RFC 3339 date-time with an offset"),
    row("nested", "all-health", httpx.Response(200, json=SICK_HEALTH), WAP_ERROR,
        "WAP Core's answer to GET health is malformed: "
        "'cpuPercent' of the answer.containers[0].resources is not a number"),
]
# fmt: on


@pytest.mark.parametrize("failure", ERROR_MAP)
async def test_each_wap_failure_becomes_its_error_in_the_table(
    wap: WapClient, fake: respx.MockRouter, failure: Failure
) -> None:
    method, path, call = OPERATIONS[failure.operation]
    route = fake.route(method=method, path=path)
    if isinstance(failure.wap, Exception):
        route.mock(side_effect=failure.wap)
    else:
        route.mock(return_value=failure.wap)

    with pytest.raises(errors.ApiError) as caught:
        await call(wap)

    raised = caught.value
    assert type(raised) is failure.error
    assert (raised.status, raised.instance_code, raised.detail) == (
        failure.status,
        failure.code,
        failure.detail,
    )
    if failure.cause is not None:
        assert raised.__cause__ is failure.cause
    assert route.call_count == 1  # neither a status nor a timeout is retried
    problem = json.dumps(raised.problem(), ensure_ascii=False)
    for secret in (WAP_ID, USERNAME, PASSWORD):
        assert secret not in problem


WAP_WORDS = f"runtime of {WAP_ID} at 10.1.2.3 said no"


@pytest.mark.parametrize(
    ("status", "code", "level"),
    [
        (500, "internal_error", "WARNING"),
        (429, "slow_down", "WARNING"),
        (404, "no_such_thing", "INFO"),
        (409, "busy_now", "INFO"),
        (400, "not_a_directory", "INFO"),
    ],
)
async def test_what_wap_says_of_a_failure_is_logged_and_never_told_to_the_client(
    wap: WapClient,
    fake: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
    status: int,
    code: str,
    level: str,
) -> None:
    fake.get(f"{C}/files").mock(return_value=error(status, code, WAP_WORDS))
    caplog.set_level("INFO", logger="service.adapters.wap_errors")

    with pytest.raises(errors.ApiError) as caught:
        await wap.list_container_files(WAP_ID, "/app")

    problem = json.dumps(caught.value.problem(), ensure_ascii=False)
    assert "said no" not in problem and "10.1.2.3" not in problem and code not in problem
    logged = [r for r in caplog.records if r.name == "service.adapters.wap_errors"]
    assert [r.levelname for r in logged] == [level]
    assert WAP_WORDS in logged[0].getMessage() and str(status) in logged[0].getMessage()


# -- retries -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reset",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset by peer"),
        httpx.ConnectError("stale pooled connection"),
    ],
    ids=type,
)
async def test_a_get_is_retried_once_after_a_reset_connection(
    wap: WapClient, fake: respx.MockRouter, reset: Exception
) -> None:
    route = fake.get(f"{C}/env").mock(
        side_effect=[reset, httpx.Response(200, json={"id": WAP_ID, "variables": {}})]
    )

    env = await wap.get_container_env(WAP_ID)

    assert env == EnvVariables(WAP_ID, {})
    assert route.call_count == 2


async def test_a_get_that_fails_twice_is_wap_unavailable(
    wap: WapClient, fake: respx.MockRouter
) -> None:
    route = fake.get(f"{C}/files/read").mock(
        side_effect=[
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            httpx.ConnectError("[Errno 111] Connection refused"),
            httpx.Response(200, content=b"never reached"),
        ]
    )

    with pytest.raises(errors.UpstreamUnavailable) as caught:
        await wap.read_container_file(WAP_ID, "/app/a.md", max_bytes=100)

    assert (caught.value.status, caught.value.instance_code) == (502, "wap_unavailable")
    assert route.call_count == 2


@pytest.mark.parametrize(
    "operation", ["restart", "update-image", "write-file", "delete-file", "update-env"]
)
async def test_a_write_is_never_retried_after_a_reset_connection(
    wap: WapClient, fake: respx.MockRouter, operation: str
) -> None:
    method, path, call = OPERATIONS[operation]
    route = fake.route(method=method, path=path).mock(
        side_effect=[
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            httpx.Response(500),
        ]
    )

    with pytest.raises(errors.UpstreamUnavailable):
        await call(wap)

    assert route.call_count == 1
