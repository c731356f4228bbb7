"""The stub's Sanic app: the WAP Core contract over a stateful in-memory WAP.

Every contract request goes through `_endpoint`: record the call, apply a pending fault,
check Basic Auth (401), validate against `contracts/wap.yaml` (400 invalid_request), then
run the operation against the state. See `wap_stub.control` for the `/_stub/*` controls.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from openapi_core.unmarshalling.request.datatypes import RequestUnmarshalResult
from sanic import HTTPResponse, Request, Sanic, json, raw, text
from sanic.exceptions import SanicException

from wap_stub.contract import load_openapi, unmarshal
from wap_stub.control import (
    DRIP_SECONDS,
    CallLog,
    Fault,
    FaultPlan,
    control_blueprint,
    fault_body,
)
from wap_stub.errors import NotFound, StubError
from wap_stub.seed import state_from_seed
from wap_stub.state import Options, WapState

Handler = Callable[[Request, RequestUnmarshalResult, str], Awaitable[HTTPResponse | None]]
FOLLOW_POLL_SECONDS = 0.05
GARBAGE = b"<html><body>\xff\xfe upstream exploded: \x00 not json</body></html>"
_routes: list[tuple[str, str, str, Handler]] = []


def operation(method: str, uri: str, operation_id: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _routes.append((method, uri, operation_id, handler))
        return handler

    return register


def _state(request: Request) -> WapState:
    state: WapState = request.app.ctx.state
    return state


def _answering(act: Callable[[WapState, str], object]) -> Handler:
    """A handler that answers what ``act`` does to the container, as JSON."""

    async def handler(request: Request, _: RequestUnmarshalResult, wap_id: str) -> HTTPResponse:
        return json(act(_state(request), wap_id))

    return handler


# -- one state method applied to the container --------------------------------
_BY_CONTAINER: list[tuple[str, str, str, Callable[[WapState, str], object]]] = [
    ("POST", "restart", "restartContainer", WapState.restart),
    ("POST", "stop", "stopContainer", WapState.stop),
    ("POST", "start", "startContainer", WapState.start),
    ("GET", "health", "getContainerHealth", WapState.health),
    ("GET", "stats", "getContainerStats", WapState.stats),
    ("GET", "env", "getContainerEnv", WapState.get_env),
]
_routes.extend(
    (method, f"/containers/<wap_id:str>/{action}", operation_id, _answering(act))
    for method, action, operation_id, act in _BY_CONTAINER
)


# -- image updates ------------------------------------------------------------
@operation("POST", "/containers/<wap_id:str>/update-image", "updateContainerImage")
async def update_image(request: Request, rq: RequestUnmarshalResult, wap_id: str) -> HTTPResponse:
    state = _state(request)
    body: dict[str, str] = rq.body or {}
    image, tag = body["image"], body["tag"]
    state.begin_update(wap_id, image, tag)
    if state.options.update_seconds > 0:
        await asyncio.sleep(state.options.update_seconds)
    if request.app.ctx.state is not state:
        raise NotFound(f"container {wap_id} vanished (the stub was reset) during the update")
    return json(state.finish_update(wap_id, image, tag))


# -- files --------------------------------------------------------------------
def _if_match(rq: RequestUnmarshalResult) -> str | None:
    value = rq.parameters.header.get("If-Match")
    return None if value is None else str(value)


@operation("GET", "/containers/<wap_id:str>/files", "listContainerFiles")
async def list_files(request: Request, rq: RequestUnmarshalResult, wap_id: str) -> HTTPResponse:
    return json(_state(request).list_files(wap_id, rq.parameters.query["path"]))


@operation("GET", "/containers/<wap_id:str>/files/read", "readContainerFile")
async def read_file(request: Request, rq: RequestUnmarshalResult, wap_id: str) -> HTTPResponse:
    node = _state(request).read_file(wap_id, rq.parameters.query["path"])
    try:
        node.content.decode("utf-8")
        content_type = "text/plain; charset=utf-8"
    except UnicodeDecodeError:
        content_type = "application/octet-stream"
    headers = {"ETag": node.etag, "Last-Modified": format_datetime(node.modified_at, usegmt=True)}
    return raw(node.content, content_type=content_type, headers=headers)


@operation("PUT", "/containers/<wap_id:str>/files/write", "writeContainerFile")
async def write_file(request: Request, rq: RequestUnmarshalResult, wap_id: str) -> HTTPResponse:
    path = rq.parameters.query["path"]
    return json(_state(request).write_file(wap_id, path, request.body or b"", _if_match(rq)))


@operation("DELETE", "/containers/<wap_id:str>/files", "deleteContainerFile")
async def delete_file(request: Request, rq: RequestUnmarshalResult, wap_id: str) -> HTTPResponse:
    path = rq.parameters.query["path"]
    return json(_state(request).delete_file(wap_id, path, _if_match(rq)))


# -- bulk health, env changes -------------------------------------------------
@operation("GET", "/containers/health", "getAllContainerHealth")
async def all_health(request: Request, _: RequestUnmarshalResult, __: str) -> HTTPResponse:
    return json(_state(request).all_health())


@operation("PATCH", "/containers/<wap_id:str>/env", "updateContainerEnv")
async def patch_env(request: Request, rq: RequestUnmarshalResult, wap_id: str) -> HTTPResponse:
    body: dict[str, Any] = rq.body or {}
    return json(_state(request).patch_env(wap_id, body.get("set"), body.get("unset")))


# -- logs ---------------------------------------------------------------------
@operation("GET", "/containers/<wap_id:str>/logs", "getContainerLogs")
async def logs(request: Request, rq: RequestUnmarshalResult, wap_id: str) -> HTTPResponse | None:
    state, query = _state(request), rq.parameters.query
    since = query.get("since")
    if isinstance(since, str):
        since = datetime.fromisoformat(since)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    timestamps = bool(query.get("timestamps", False))
    lines = state.logs(wap_id, tail=query.get("tail"), since=since)
    body = "".join(line.render(timestamps) + "\n" for line in lines)
    if not query.get("follow", False):
        return text(body)
    last_seq = state.last_seq(wap_id)
    response = await request.respond(content_type="text/plain; charset=utf-8")
    if body:
        await response.send(body)
    deadline = asyncio.get_running_loop().time() + state.options.follow_max_seconds
    while asyncio.get_running_loop().time() < deadline:
        gone = request.app.ctx.state is not state or wap_id not in state.containers
        if gone or request.transport.is_closing():  # reset, or the client went away
            break
        fresh = state.logs_after(wap_id, last_seq)
        if fresh:
            last_seq = fresh[-1].seq
            await response.send("".join(line.render(timestamps) + "\n" for line in fresh))
        if state.containers[wap_id].status == "stopped":
            break
        await asyncio.sleep(FOLLOW_POLL_SECONDS)
    await response.eof()
    return None


# -- the pipeline every contract request goes through -------------------------
def _authorised(request: Request) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    ctx = request.app.ctx
    return bool(sep) and (
        hmac.compare_digest(user.encode(), ctx.username.encode())
        & hmac.compare_digest(password.encode(), ctx.password.encode())
    )


def _unauthorised() -> HTTPResponse:
    body = {"error": "unauthorized", "message": "valid Basic credentials are required"}
    return json(body, status=401, headers={"WWW-Authenticate": 'Basic realm="wap"'})


async def _apply_fault(request: Request, fault: Fault) -> HTTPResponse | None:
    if fault.kind == "delay":
        await asyncio.sleep(fault.delaySeconds)
        return None
    if fault.kind == "close":
        # no answer at all: the client sees the connection dropped
        request.transport.abort()  # type: ignore[attr-defined]
        return HTTPResponse(status=499)
    if fault.kind == "garbage":
        return raw(GARBAGE, status=500, content_type="text/html")
    if fault.kind == "drip":
        return await _drip(request, max(fault.delaySeconds, 0.01))
    headers = {"WWW-Authenticate": 'Basic realm="wap"'} if fault.status == 401 else None
    return json(fault_body(fault), status=fault.status, headers=headers)


async def _drip(request: Request, interval: float) -> HTTPResponse:
    """Headers at once, then a space per ``interval`` (JSON whitespace: never a whole answer)."""
    response = await request.respond(status=200, content_type="application/json")
    loop = asyncio.get_running_loop()
    ends = loop.time() + DRIP_SECONDS
    try:
        while loop.time() < ends:
            await response.send(b" ")
            await asyncio.sleep(interval)
    except (ConnectionError, OSError, SanicException):
        pass  # the client gave up, as it should
    return response  # type: ignore[no-any-return]


def _endpoint(
    operation_id: str, handler: Handler
) -> Callable[..., Coroutine[Any, Any, HTTPResponse | None]]:
    async def endpoint(request: Request, wap_id: str = "") -> HTTPResponse | None:
        ctx = request.app.ctx
        query = dict(request.get_query_args(keep_blank_values=True))
        call = ctx.calls.record(
            request.method, request.path, query, operation_id, request.headers.get("x-request-id")
        )
        fault = ctx.faults.take(operation_id)
        response = await _apply_fault(request, fault) if fault else None
        if response is None:
            try:
                if not _authorised(request):
                    response = _unauthorised()
                else:
                    response = await handler(request, unmarshal(ctx.openapi, request), wap_id)
            except StubError as exc:
                response = json(exc.body(), status=exc.status)
        call.status = 200 if response is None else response.status
        if fault is not None and fault.kind == "close":
            call.status = None
        return response

    endpoint.__name__ = operation_id
    return endpoint


def create_stub_app(
    seed: dict[str, Any],
    *,
    username: str,
    password: str,
    name: str = "wap_stub",
    options: Options | None = None,
    contract: Path | None = None,
) -> Sanic[Any, Any]:
    """A WAP Core stub serving `contracts/wap.yaml` over the state described by `seed`.

    `options` are the defaults a seed's `"options"` key overrides (on reset too).
    Raises ValueError on a bad seed.
    """
    base = options or Options()
    first_state = state_from_seed(seed, options=base)  # a bad seed fails before Sanic(name)
    app: Sanic[Any, Any] = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    ctx = app.ctx
    ctx.username, ctx.password = username, password
    ctx.openapi = load_openapi(contract)
    ctx.operation_ids = {op_id for _, _, op_id, _ in _routes}
    ctx.calls, ctx.faults = CallLog(), FaultPlan()

    def reset(new_seed: dict[str, Any]) -> None:
        ctx.state = state_from_seed(new_seed, options=base)
        ctx.calls.clear()
        ctx.faults.clear()

    ctx.reset = reset
    ctx.state = first_state
    for method, uri, operation_id, handler in _routes:
        app.add_route(_endpoint(operation_id, handler), uri, methods=[method], name=operation_id)
    app.blueprint(control_blueprint())

    @app.exception(Exception)
    async def any_error(request: Request, exc: Exception) -> HTTPResponse:
        """Errors outside the operations (routing, bugs) still answer a WapError body."""
        status = exc.status_code if isinstance(exc, SanicException) else 500
        headers = exc.headers if isinstance(exc, SanicException) else None
        code = {404: "not_found", 405: "method_not_allowed"}.get(status, "invalid_request")
        code = "internal_error" if status >= 500 else code
        return json({"error": code, "message": str(exc)}, status=status, headers=headers)

    return app
