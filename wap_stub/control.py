"""Test and QA controls outside the contract: recorded calls, injected faults, `/_stub/*`.

GET    /_stub/calls    -> [{method, path, query, operationId, time, status, requestId}]
DELETE /_stub/calls    -> clear the recording
POST   /_stub/reset    seed JSON -> restore state, clear calls and faults
GET    /_stub/state    -> the current state in seed format
POST   /_stub/faults   {operationId?, kind, status?, delaySeconds?, times?, error?, message?}
GET    /_stub/faults   -> the pending faults
DELETE /_stub/faults   -> clear them
POST   /_stub/log      {id, line} -> append a log line
POST   /_stub/health   {id, health: healthy|unhealthy|starting|null} -> force health
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from sanic import Blueprint, HTTPResponse, Request, json

from wap_stub.errors import StubError
from wap_stub.seed import snapshot
from wap_stub.state import iso, utc_now

# drip: a 200 whose body never ends, one space every delaySeconds (a WAP whose every read
# arrives before the read timeout, yet the answer never completes), for at most DRIP_SECONDS.
FAULT_KINDS = ("status", "delay", "close", "garbage", "drip")
DRIP_SECONDS = 120.0


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    operationId: str
    time: str
    status: int | None = None  # None: no answer was sent (a `close` fault, or still running)
    requestId: str | None = None  # the X-Request-ID header the call came with


class CallLog:
    def __init__(self) -> None:
        self.calls: list[Call] = []

    def record(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        operation_id: str,
        request_id: str | None = None,
    ) -> Call:
        call = Call(method, path, query, operation_id, iso(utc_now()), requestId=request_id)
        self.calls.append(call)
        return call

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(call) for call in self.calls]

    def clear(self) -> None:
        self.calls.clear()


@dataclass
class Fault:
    kind: str
    operationId: str | None = None
    status: int = 500
    delaySeconds: float = 0.0
    times: int = 1
    error: str | None = None
    message: str | None = None

    def matches(self, operation_id: str) -> bool:
        return self.operationId is None or self.operationId == operation_id


def parse_fault(body: Any, operation_ids: set[str]) -> Fault:
    """A Fault from its JSON body; ValueError with a readable message otherwise."""
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    unknown = set(body) - set(Fault.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown fault fields: {sorted(unknown)}")
    try:
        fault = Fault(**body)
    except TypeError as exc:
        raise ValueError(str(exc)) from exc
    if fault.kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {FAULT_KINDS}")
    if fault.operationId is not None and fault.operationId not in operation_ids:
        raise ValueError(f"unknown operationId {fault.operationId!r}")
    if not isinstance(fault.status, int) or not 100 <= fault.status <= 599:
        raise ValueError("status must be an HTTP status code")
    if not isinstance(fault.delaySeconds, int | float) or fault.delaySeconds < 0:
        raise ValueError("delaySeconds must be a non-negative number")
    if not isinstance(fault.times, int) or fault.times < 1:
        raise ValueError("times must be a positive integer")
    return fault


class FaultPlan:
    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def take(self, operation_id: str) -> Fault | None:
        """The first pending fault for this operation, used up once."""
        for fault in self.faults:
            if fault.matches(operation_id):
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(fault) for fault in self.faults]

    def clear(self) -> None:
        self.faults.clear()


_DEFAULT_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    404: "not_found",
    409: "conflict",
    412: "precondition_failed",
    422: "unknown_tag",
}


def fault_body(fault: Fault) -> dict[str, str]:
    code = fault.error or _DEFAULT_CODES.get(fault.status)
    code = code or ("internal_error" if fault.status >= 500 else "injected_fault")
    return {"error": code, "message": fault.message or f"injected fault ({fault.status})"}


def _bad(message: str) -> HTTPResponse:
    return json({"error": "invalid_request", "message": message}, status=400)


def _recording(name: str) -> Callable[[Request], Awaitable[HTTPResponse]]:
    """GET and DELETE of the app's ``ctx.<name>`` (a CallLog or FaultPlan): list or clear it."""

    async def endpoint(request: Request) -> HTTPResponse:
        recorded: CallLog | FaultPlan = getattr(request.app.ctx, name)
        if request.method == "DELETE":
            recorded.clear()
            return json({"cleared": True})
        return json(recorded.as_json())

    return endpoint


async def _body(request: Request) -> Any:
    try:
        return request.json
    except Exception as exc:  # Sanic raises BadRequest on malformed JSON
        raise ValueError(f"the body is not JSON: {exc}") from exc


def control_blueprint() -> Blueprint:
    bp = Blueprint("wap_stub_control", url_prefix="/_stub")
    for name in ("calls", "faults"):
        bp.add_route(_recording(name), f"/{name}", methods=["GET", "DELETE"], name=name)

    @bp.post("/reset")
    async def reset(request: Request) -> HTTPResponse:
        try:
            request.app.ctx.reset(await _body(request) or {})
        except ValueError as exc:
            return _bad(str(exc))
        return json({"reset": True})

    @bp.get("/state")
    async def dump_state(request: Request) -> HTTPResponse:
        return json(snapshot(request.app.ctx.state))

    @bp.post("/faults")
    async def add_fault(request: Request) -> HTTPResponse:
        try:
            fault = parse_fault(await _body(request), request.app.ctx.operation_ids)
        except ValueError as exc:
            return _bad(str(exc))
        request.app.ctx.faults.add(fault)
        return json(asdict(fault), status=201)

    @bp.post("/log")
    async def append_log(request: Request) -> HTTPResponse:
        try:
            body = await _body(request)
            line = request.app.ctx.state.log(str(body["id"]), str(body["line"]))
        except (ValueError, TypeError, KeyError) as exc:
            return _bad(f"expected {{id, line}}: {exc}")
        except StubError as exc:
            return json(exc.body(), status=exc.status)
        return json({"seq": line.seq, "at": iso(line.at)}, status=201)

    @bp.post("/health")
    async def force_health(request: Request) -> HTTPResponse:
        try:
            body = await _body(request)
            request.app.ctx.state.set_health(str(body["id"]), body.get("health"))
        except (ValueError, TypeError, KeyError) as exc:
            return _bad(f"expected {{id, health}}: {exc}")
        except StubError as exc:
            return json(exc.body(), status=exc.status)
        return json({"id": body["id"], "health": body.get("health")})

    return bp
