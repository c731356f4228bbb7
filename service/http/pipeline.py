"""The request pipeline, and the types every handler uses.

One request goes through these steps, in this order, for every operation of
``openapi.yaml``:

1. **session**: the access token is taken from the request (``credentials``: a
   Bearer header wins over the ``sAccessToken`` cookie; a cookie on a state-changing
   request needs the ``rid`` header) and verified by the session port → ``Caller``;
2. **contract validation**: path, query, headers and body are checked against the
   operation and unmarshalled (``contract.Contract.validate``) → ``ValidRequest``;
3. **handler**: the operation's handler parses the ``Call``, calls one use case and
   serializes its answer;
4. **problem mapping**: any ``errors.ApiError`` raised on the way (and any other
   exception, as a 500) leaves as ``application/problem+json`` (``problems``).

Handlers live in the area modules (``*_routes.py``): each is a method of a routes
class built with its use cases, marked with ``@handles("<operationId>")``, so that
searching an operationId lands on its handler. ``install`` adds one Sanic route per
operation and refuses to start when an operation has no handler or a handler names
no operation. The operations ``openapi.yaml`` declares without a session (the health
probes, ``probes``, and ``/metrics``, ``metrics_route``) are routed outside the pipeline.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

from service.http import problems
from service.http.contract import Contract, Operation, ValidRequest
from service.http.credentials import presented_token
from service.request_context import CURRENT
from service.sessions import AbstractSessionVerifier, Caller

App = Sanic[Any, Any]
Handler = Callable[["Call"], Awaitable[HTTPResponse]]
_F = TypeVar("_F", bound=Callable[..., Awaitable[HTTPResponse]])
_OPERATION_ATTR = "_armory_operation_id"


@dataclass(frozen=True)
class Call:
    """One authenticated, contract-validated API call: what a handler parses."""

    request: Request
    caller: Caller
    operation: Operation
    valid: ValidRequest

    @property
    def container_id(self) -> str:
        return str(self.valid.path["containerId"])

    @property
    def file_path(self) -> str:
        """The ``{path}`` of a file operation, made absolute."""
        return "/" + str(self.valid.path["path"]).lstrip("/")

    @property
    def query(self) -> Any:
        return self.valid.query

    @property
    def body(self) -> Any:
        return self.valid.body

    def header(self, name: str) -> Any:
        """A header parameter of the operation, as the contract let it through."""
        return self.valid.header.get(name)

    def prefers(self, media_type: str, over: str) -> bool:
        """Whether ``Accept`` asks for ``media_type`` and not for ``over``."""
        accept = self.request.headers.get("accept", "")
        return media_type in accept and over not in accept


def handles(operation_id: str) -> Callable[[_F], _F]:
    """Mark a routes-class method as the handler of ``operation_id``."""

    def mark(method: _F) -> _F:
        setattr(method, _OPERATION_ATTR, operation_id)
        return method

    return mark


def handlers_of(groups: Iterable[object]) -> dict[str, Handler]:
    """operationId → bound handler, over the routes objects ``groups``."""
    found: dict[str, Handler] = {}
    for group in groups:
        for name in dir(type(group)):
            operation_id = getattr(getattr(type(group), name), _OPERATION_ATTR, None)
            if operation_id is None:
                continue
            if operation_id in found:
                raise RuntimeError(f"two handlers for {operation_id}")
            found[operation_id] = getattr(group, name)
    return found


class Pipeline:
    """Steps 1 to 3 for one operation; step 4 is ``problems.register`` on the app."""

    def __init__(self, contract: Contract, sessions: AbstractSessionVerifier) -> None:
        self._contract = contract
        self._sessions = sessions

    async def caller(self, request: Request) -> Caller:
        token = presented_token(
            authorization=request.headers.get("authorization"),
            cookies=request.cookies,
            method=request.method,
            headers=request.headers,
        )
        return await self._sessions.verify(token)

    def endpoint(self, operation: Operation, handler: Handler) -> Any:
        async def endpoint(request: Request, **path_params: str) -> HTTPResponse | None:
            caller = await self.caller(request)
            context = CURRENT.get()  # the access log's (``observability``)
            if context is not None:
                context.account = caller.account_id
            if "path" in path_params:
                # Sanic unquotes plain segments (`unquote=True`) but not a `<path:path>`
                # match: decode it once here, so `%2F`, spaces and non-ASCII names mean
                # what they say.
                path_params["path"] = unquote(path_params["path"])
            valid = self._contract.validate(request, operation, path_params)
            if context is not None:
                context.container_id = path_params.get("containerId")  # now a valid id
            response = await handler(Call(request, caller, operation, valid))
            # A stream was sent as it went (``request.respond``): returning it as well would
            # make Sanic log an error that the response "will not be sent".
            return None if request.responded else response

        endpoint.__name__ = operation.operation_id
        return endpoint


def public_operations(contract: Contract) -> set[str]:
    """The operations ``openapi.yaml`` declares without a session: ``security: []`` (the
    health probes), or naming only schemes of their own (``/metrics``' token)."""
    sessions = {name for requirement in contract.spec.get("security", []) for name in requirement}
    found = set()
    for operation_id, op in contract.operations.items():
        security = contract.spec["paths"][op.path][op.method.lower()].get("security")
        if security is not None and not any(sessions & set(req) for req in security):
            found.add(operation_id)
    return found


def install(
    app: App,
    contract: Contract,
    sessions: AbstractSessionVerifier,
    groups: Iterable[object],
    *,
    public: Iterable[str] = (),
) -> None:
    """One route per operation of the contract, through the pipeline; problem mapping.

    ``public`` names the operations already routed outside the pipeline (the probes and
    ``/metrics``: no session, nothing to validate); they must be exactly those the contract
    declares without a session, so that no operation loses its session check by mistake.
    """
    handlers = handlers_of(groups)
    outside = set(public)
    if outside != public_operations(contract):
        raise RuntimeError(
            f"operations routed without a session: {sorted(outside)}; openapi.yaml "
            f"declares these without a session: {sorted(public_operations(contract))}"
        )
    missing = sorted(set(contract.operations) - set(handlers) - outside)
    unknown = sorted(set(handlers) - (set(contract.operations) - outside))
    if missing or unknown:
        raise RuntimeError(
            f"operations without a handler: {missing}; handlers of no operation: {unknown}"
        )
    pipeline = Pipeline(contract, sessions)
    for operation_id, operation in contract.operations.items():
        if operation_id in outside:
            continue
        app.add_route(
            pipeline.endpoint(operation, handlers[operation_id]),
            operation.sanic_uri,
            methods=[operation.method],
            name=operation_id,
            unquote=True,
        )
    problems.register(app)
