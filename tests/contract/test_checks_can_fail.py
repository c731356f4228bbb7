"""Every check of the contract suite can fail: each runs against a deliberately broken app
and must report it.

The Schemathesis checks run through Schemathesis' engine with the suite's own
configuration and hooks (``tests/contract/engine.py``); the stateful workflows, the
cross-account matrix and the event contract use the very code of their tests.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sanic.request import Request
from sanic.response import HTTPResponse

from service import demo, errors
from service.http import pipeline, problems
from service.http.contract import Contract, ValidRequest
from service.http.render import json_response
from service.sessions import Caller
from tests.contract.engine import engine_config, run_engine
from tests.contract.matrix import CREDENTIALS, samples_by_operation, violations
from tests.contract.schemas import contract_schema
from tests.contract.stack import Stack
from tests.fakes.events import RecordingEventPublisher

# --- broken pieces --------------------------------------------------------------------


async def wrong_shape(call: Any) -> HTTPResponse:
    return json_response({"containerId": call.container_id, "status": "fine"})


def undocumented_status(real: Any) -> Any:
    async def handler(call: Any) -> HTTPResponse:
        response: HTTPResponse = await real(call)
        response.status = 201
        return response

    return handler


async def plain_text(call: Any) -> HTTPResponse:
    return HTTPResponse("cpu: 3%", content_type="text/plain")


async def crash(call: Any) -> HTTPResponse:
    raise RuntimeError("a bug")


async def refuse_everything(call: Any) -> HTTPResponse:
    raise errors.BadRequest("No.", code="invalid_request")


def without_etag(real: Any) -> Any:
    async def handler(call: Any) -> HTTPResponse:
        response: HTTPResponse = await real(call)
        response.headers.pop("etag", None)
        return response

    return handler


def delete_that_keeps_the_file(real: Any) -> Any:
    """Answers like a delete, but never deletes."""

    async def handler(call: Any) -> HTTPResponse:
        return json_response(
            {
                "containerId": call.container_id,
                "path": call.file_path,
                "action": "deleted",
                "hotReloaded": False,
                "reloadedFiles": [],
                "restartRequired": False,
            }
        )

    return handler


class LaxContract(Contract):
    """Validates nothing: what a handler gets is whatever was sent."""

    def validate(self, request: Request, operation: Any, path_params: Mapping[str, str]) -> Any:
        return ValidRequest(
            path=dict(path_params),
            query=dict(request.get_query_args(keep_blank_values=True)),
            header={},
            body=json.loads(request.body) if request.body else None,
        )


class _BlankDropping:
    """A request whose query drops blank values, like Sanic's ``request.args``."""

    def __init__(self, request: Request) -> None:
        self._request = request

    def get_query_args(self, keep_blank_values: bool = False) -> Any:
        return [(k, v) for k, v in self._request.get_query_args(keep_blank_values=True) if v]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)


class BlankDroppingContract(Contract):
    """The known pitfall: ``?tail=`` read as if ``tail`` were not sent at all."""

    def validate(self, request: Request, operation: Any, path_params: Mapping[str, str]) -> Any:
        return super().validate(_BlankDropping(request), operation, path_params)  # type: ignore[arg-type]


class StrictUtf8Contract(Contract):
    """The known pitfall: a body read as UTF-8 before anything checked it."""

    def validate(self, request: Request, operation: Any, path_params: Mapping[str, str]) -> Any:
        if request.body:
            request.body.decode("utf-8")
        return super().validate(request, operation, path_params)


def sessions_never_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request is alice's, whatever credentials it carries (or none)."""

    async def anyone_is_alice(self: Any, request: Request) -> Caller:
        return Caller("alice", "session", 4102444800.0)

    monkeypatch.setattr(pipeline.Pipeline, "caller", anyone_is_alice)


def wrap_handlers(
    monkeypatch: pytest.MonkeyPatch, wraps: Mapping[str, Callable[[Any], Any]]
) -> None:
    """Handlers of the operations in ``wraps`` replaced by ``wraps[op](real_handler)``."""
    real_handlers_of = pipeline.handlers_of

    def handlers_of(groups: Any) -> Any:
        found = real_handlers_of(groups)
        return {op: wraps[op](h) if op in wraps else h for op, h in found.items()}

    monkeypatch.setattr(pipeline, "handlers_of", handlers_of)


def _patched_from_sanic(change: Callable[[dict[str, str]], None]) -> Any:
    real = problems._from_sanic

    def from_sanic(exc: Any, request: Any = None) -> errors.ApiError:
        error = real(exc, request)
        change(error.headers)
        return error

    return from_sanic


# --- the Schemathesis checks ----------------------------------------------------------


@dataclass(frozen=True)
class Breakage:
    check: str
    why: str
    operations: tuple[str, ...]
    phases: tuple[str, ...] = ("examples", "coverage", "fuzzing")
    handlers: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    adapters: Callable[[], dict[str, Any]] = dict
    sessions_unchecked: bool = False
    from_sanic: Callable[[dict[str, str]], None] | None = None
    config: Mapping[str, Any] = field(default_factory=dict)  # more schemathesis.toml keys
    max_examples: int = 10
    bearer_only: bool = False  # test against openapi.yaml minus the cookie scheme


BREAKAGES = [
    Breakage("response_schema_conformance", "a body of the wrong shape", ("getAgentHealth",),
             ("examples", "fuzzing"), {"getAgentHealth": lambda real: wrong_shape}),
    Breakage("status_code_conformance", "an undocumented status", ("getAgentStats",),
             ("examples", "fuzzing"), {"getAgentStats": undocumented_status}),
    Breakage("content_type_conformance", "an undocumented media type", ("getAgentStats",),
             ("examples", "fuzzing"), {"getAgentStats": lambda real: plain_text}),
    Breakage("response_headers_conformance", "a file read without its ETag", ("readAgentFile",),
             ("examples",), {"readAgentFile": without_etag}),
    Breakage("not_a_server_error", "a handler that crashes", ("getAgentStats",),
             ("examples", "fuzzing"), {"getAgentStats": lambda real: crash}),
    Breakage("positive_data_acceptance", "valid requests refused", ("getAgentStats",),
             ("examples", "fuzzing"), {"getAgentStats": lambda real: refuse_everything}),
    Breakage("negative_data_rejection", "no request validation", ("getAgentEnv",),
             adapters=lambda: {"contract": LaxContract.load()}),
    Breakage("negative_data_rejection", "blank query values dropped", ("getAgentLogs",),
             ("coverage",), adapters=lambda: {"contract": BlankDroppingContract.load()}),
    # Schemathesis sends a non-UTF-8 JSON body now and then (negative fuzzing, a few in a
    # hundred): many examples, and a fixed seed, make this one reliable.
    Breakage("not_a_server_error", "bodies read as UTF-8 unchecked", ("writeAgentFile",),
             ("fuzzing",), adapters=lambda: {"contract": StrictUtf8Contract.load()},
             config={"seed": 1, "generation": {"mode": "negative"}}, max_examples=200),
    Breakage("unsupported_method", "a 405 without Allow", ("getAgentStats",), ("coverage",),
             from_sanic=lambda headers: headers.pop("Allow", None)),
    Breakage("allow_header_conformance", "Allow naming a method the path lacks",
             ("getAgentStats",), ("coverage",),
             from_sanic=lambda headers: headers.update(Allow=headers.get("Allow", "") + ", PUT")),
    Breakage("ignored_auth", "sessions never checked", ("getAgentStats",),
             ("examples", "coverage"), sessions_unchecked=True),
    # openapi.yaml declares no required header: `Authorization` has an alternative (the
    # session cookie), so Schemathesis sends no "missing Authorization" case and this check
    # has nothing to look at (ignored_auth covers missing credentials). Without the cookie
    # scheme the header is required, and the check is live:
    Breakage("missing_required_header", "sessions never checked", ("getAgentStats",),
             ("coverage",), sessions_unchecked=True, bearer_only=True),
]  # fmt: skip


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: f"{b.check}: {b.why}")
def test_the_check_reports_a_broken_app(
    served: Any, monkeypatch: pytest.MonkeyPatch, breakage: Breakage
) -> None:
    wrap_handlers(monkeypatch, breakage.handlers)
    if breakage.sessions_unchecked:
        sessions_never_checked(monkeypatch)
    if breakage.from_sanic is not None:
        monkeypatch.setattr(problems, "_from_sanic", _patched_from_sanic(breakage.from_sanic))
    spec = None
    if breakage.bearer_only:
        spec = copy.deepcopy(dict(Contract.load().spec))
        spec["security"] = [{"bearerAuth": []}]
        del spec["components"]["securitySchemes"]["cookieAuth"]
    with served(**breakage.adapters()) as stack:
        schema = contract_schema(
            stack.url,
            lambda: stack.token("alice"),
            overrides=engine_config(
                phases=breakage.phases, max_examples=breakage.max_examples, extra=breakage.config
            ),
            spec=spec,
        )
        report = run_engine(schema.include(operation_id=list(breakage.operations)))
    assert breakage.check in report.failed_checks, (
        f"{breakage.check} did not report {breakage.why}: {dict(report.failures)} {report.errors}"
    )


def test_every_schemathesis_check_is_shown_able_to_fail() -> None:
    from schemathesis.config._checks import _BUILTIN_CHECK_NAMES

    shown = {b.check for b in BREAKAGES} | {"use_after_free"}
    # Not applicable to this API, each replaced by a test of ours:
    # * ensure_resource_availability follows a POST that creates a sub-resource (201 or
    #   Location); no operation here creates one (a file is written with PUT, and its
    #   read-after-write is the stateful workflow's ReadWrittenFile link);
    # * object_level_authorization needs Schemathesis to hold several identities (a Web
    #   Fuzzing Commons auth file); the cross-account matrix is that check, for every
    #   operation and five kinds of credentials;
    # * max_response_time is off unless a limit is configured (performance is measured by
    #   the benchmark in bench/, never by a timed test).
    not_applicable = {"ensure_resource_availability", "object_level_authorization"}
    assert _BUILTIN_CHECK_NAMES - {"max_response_time"} == shown | not_applicable


# --- the stateful workflows -----------------------------------------------------------


def test_use_after_free_reports_a_delete_that_keeps_the_file(
    served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.contract import test_stateful

    wrap_handlers(monkeypatch, {"deleteAgentFile": delete_that_keeps_the_file})

    class BrokenDeleteWorkflows(test_stateful.AliceWorkflows):
        check_model = False  # let Schemathesis' own check be the one that fails

    with served() as stack, pytest.raises((Exception, BaseExceptionGroup)) as failed:
        BrokenDeleteWorkflows.base_url = stack.url
        BrokenDeleteWorkflows.completed = 0
        test_stateful.run_scenarios(BrokenDeleteWorkflows, 30)
    reported = _failure_text(failed.value)
    assert "was previously deleted" in reported, reported


def _failure_text(exc: BaseException) -> str:
    parts = [f"{type(exc).__name__}: {exc}"]
    for inner in getattr(exc, "exceptions", ()):
        parts.append(_failure_text(inner))
    if exc.__cause__ is not None:
        parts.append(_failure_text(exc.__cause__))
    return "\n".join(parts)


# --- the cross-account matrix ---------------------------------------------------------


class OwnerBlindRepository:
    """A repository whose ``find_owned`` drops the account from its query: it finds any
    container by id and reports whoever asks as its owner."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def find_owned(self, account_id: str, container_id: str) -> Any:
        for project in demo.PROJECTS:
            found = await self._inner.find_owned(project["account_id"], container_id)
            if found is not None:
                return dataclasses.replace(found, account_id=account_id)
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _matrix(stack: Stack) -> list[str]:
    found = []
    with httpx.Client(base_url=stack.url, timeout=10) as client:
        for sample in samples_by_operation().values():
            for credential in CREDENTIALS:
                for problem in violations(client, stack.wap, stack.token, sample, credential):
                    found.append(f"{sample.operation_id} / {credential.name}: {problem}")
    return found


def test_the_matrix_reports_a_repository_that_ignores_the_account(served: Any) -> None:
    from service.adapters.database import DatabaseTarget
    from service.adapters.pony_repository import PonyContainerRepository

    def owner_blind(stack_db: Any) -> Any:
        return OwnerBlindRepository(PonyContainerRepository(DatabaseTarget.from_url(stack_db)))

    with served(repository_factory=owner_blind) as stack:
        found = _matrix(stack)
    assert any("another account: expected 403 container_forbidden, got 200" in f for f in found)
    assert any("WAP got" in f or "got 200" in f for f in found), found
    assert any("recorded in alice's audit trail" in f for f in found), found


class ListingBlindRepository(OwnerBlindRepository):
    """A repository whose listing drops the account from its query: everyone's containers."""

    async def page_owned(self, account_id: str, *, after: str | None, limit: int) -> Any:
        found = []
        for project in demo.PROJECTS:
            found += await self._inner.page_owned(project["account_id"], after=after, limit=limit)
        return sorted(found, key=lambda c: c.id)[:limit]

    async def find_owned(self, account_id: str, container_id: str) -> Any:
        return await self._inner.find_owned(account_id, container_id)


def test_the_matrix_reports_a_listing_that_ignores_the_account(served: Any) -> None:
    from service.adapters.database import DatabaseTarget
    from service.adapters.pony_repository import PonyContainerRepository

    def listing_blind(stack_db: Any) -> Any:
        return ListingBlindRepository(PonyContainerRepository(DatabaseTarget.from_url(stack_db)))

    sample = samples_by_operation()["listAgents"]
    [another_account] = [c for c in CREDENTIALS if c.name == "another account"]
    with served(repository_factory=listing_blind) as stack:
        with httpx.Client(base_url=stack.url, timeout=10) as client:
            found = violations(client, stack.wap, stack.token, sample, another_account)
    assert any("listAgents lists containers bob does not own" in f for f in found), found
    assert any("alice's containers appear in bob's listAgents" in f for f in found), found


def test_the_matrix_reports_sessions_that_are_never_checked(
    served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions_never_checked(monkeypatch)
    with served() as stack:
        found = _matrix(stack)
    for credential in ("no token", "garbage", "expired", "wrongly signed"):
        assert any(f" / {credential}: expected 401" in f for f in found), credential


# --- the event contract ---------------------------------------------------------------


class SnakeCasePublisher(RecordingEventPublisher):
    """Emits ``container_id`` where the contract says ``containerId``."""

    async def publish(self, event: Any) -> Any:
        payload = dict(await super().publish(event))
        payload["container_id"] = payload.pop("containerId")
        self.published[-1] = (event, payload)
        return payload


def test_the_event_contract_reports_a_payload_of_the_wrong_shape(served: Any) -> None:
    from tests.contract.test_events_contract import invalid_payloads, record_events

    events = record_events(served, SnakeCasePublisher())
    assert events.published
    assert len(invalid_payloads(events)) == len(events.published)
