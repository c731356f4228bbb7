"""The composition root: ``create_app(settings, **adapters)`` builds the whole service.

Importing this module has no side effects. Adapters not passed in are built from
``settings``; each one is started in ``before_server_start`` and closed in
``after_server_stop``. The Sanic app is wrapped with Socket.io by ``asgi_app``.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

from service.events import AbstractEventPublisher
from service.http import docs, problems
from service.http.contract import Contract, Operation, ValidRequest
from service.repository import AbstractContainerRepository
from service.sessions import AbstractSessionVerifier, Caller
from service.settings import Settings
from service.wap import AbstractWap

App = Sanic[Any, Any]
_names = itertools.count(1)


@dataclass(frozen=True)
class Services:
    """What handlers may use; built once per app."""

    settings: Settings
    repository: AbstractContainerRepository
    wap: AbstractWap
    sessions: AbstractSessionVerifier
    events: AbstractEventPublisher


@dataclass(frozen=True)
class Call:
    """One authenticated, contract-validated API call."""

    request: Request
    caller: Caller
    operation: Operation
    valid: ValidRequest
    services: Services

    @property
    def container_id(self) -> str:
        return str(self.valid.path["containerId"])


Handler = Callable[[Call], Awaitable[HTTPResponse]]


def _endpoint(
    operation: Operation, handler: Handler, services: Services, contract: Contract
) -> Any:
    async def endpoint(request: Request, **path_params: str) -> HTTPResponse:
        caller = await services.sessions.verify(
            authorization=request.headers.get("authorization"),
            cookies=request.cookies,
            method=request.method,
            headers=request.headers,
        )
        if "path" in path_params:
            # Sanic unquotes plain segments (`unquote=True`) but not a `<path:path>` match:
            # decode it once here, so `%2F`, spaces and non-ASCII names mean what they say.
            path_params["path"] = unquote(path_params["path"])
        valid = contract.validate(request, operation, path_params)
        return await handler(Call(request, caller, operation, valid, services))

    endpoint.__name__ = operation.operation_id
    return endpoint


def create_app(
    settings: Settings,
    *,
    repository: AbstractContainerRepository | None = None,
    wap: AbstractWap | None = None,
    sessions: AbstractSessionVerifier | None = None,
    events: AbstractEventPublisher | None = None,
    contract: Contract | None = None,
    name: str | None = None,
    health_monitor: bool = True,
    redis_prefix: str | None = None,
) -> App:
    """Build the service. Every adapter can be injected; the rest come from ``settings``.

    The Socket.io server (``app.ctx.sio``, served by ``asgi.asgi_app``) is always built;
    the event publisher on it only when ``events`` is not given. ``health_monitor=False``
    leaves WAP's health unpolled (tests that count WAP calls). ``redis_prefix`` (default
    ``settings.redis_prefix``) starts every Redis key and the Socket.io channel.
    """
    from service.http.routes import HANDLERS
    from service.realtime import build_realtime

    if repository is None:
        from service.adapters.database import DatabaseTarget
        from service.adapters.pony_repository import PonyContainerRepository

        repository = PonyContainerRepository(
            DatabaseTarget.from_url(settings.database_url), threads=settings.db_threads
        )
    if wap is None:
        from service.adapters.wap_client import WapClient

        wap = WapClient(settings)
    if sessions is None:
        from service.adapters.supertokens import SuperTokensSessionVerifier

        sessions = SuperTokensSessionVerifier(settings)
    realtime = build_realtime(
        settings,
        sessions=sessions,
        repository=repository,
        prefix=redis_prefix or settings.redis_prefix,
    )
    if events is None:
        events = realtime.publisher()
    contract = contract or Contract.load()
    services = Services(settings, repository, wap, sessions, events)

    app = Sanic(name or f"armory_agents_{next(_names)}", configure_logging=False)
    app.config.REQUEST_MAX_SIZE = settings.max_file_bytes * 2 + 64 * 1024  # base64 + JSON
    app.config.FALLBACK_ERROR_FORMAT = "json"
    # TouchUp rewrites Sanic's own HTTP/1 server, which ASGI serving never uses, and it
    # cannot run twice in one process (several apps in one test run).
    app.config.TOUCHUP = False
    app.ctx.services = services
    app.ctx.contract = contract
    app.ctx.realtime = realtime
    app.ctx.sio = realtime.sio
    monitor = realtime.health_monitor(wap, repository, events) if health_monitor else None
    app.ctx.health_monitor = monitor

    missing = set(contract.operations) - set(HANDLERS)
    if missing:
        raise RuntimeError(f"operations without a handler: {sorted(missing)}")
    for op_id, operation in contract.operations.items():
        app.add_route(
            _endpoint(operation, HANDLERS[op_id], services, contract),
            operation.sanic_uri,
            methods=[operation.method],
            name=op_id,
            unquote=True,
        )
    docs.register(app, contract)
    problems.register(app)
    if settings.cors_origins:
        problems.register_cors(app, settings.cors_origins)

    @app.before_server_start
    async def start_adapters(app: App) -> None:
        await services.repository.start()
        await services.sessions.start()
        await services.wap.start()
        await services.events.start()

    @app.after_server_start
    async def start_realtime(app: App) -> None:
        # The loop that serves the app: code on another thread (tests) publishes through it.
        app.ctx.loop = asyncio.get_running_loop()
        if monitor is not None:
            await monitor.start()

    @app.before_server_stop
    async def stop_health_monitor(app: App) -> None:
        if monitor is not None:
            await monitor.stop()

    @app.after_server_stop
    async def stop_adapters(app: App) -> None:
        await services.events.stop()
        await realtime.close()
        await services.wap.aclose()
        await services.sessions.stop()
        await services.repository.stop()

    return app


def route_table(app: App) -> set[tuple[str, str]]:
    """(method, path) of every ``/v1`` route, paths in Sanic's syntax."""
    found = set()
    for route in app.router.routes:
        path = "/" + route.path.lstrip("/")
        if path.startswith("/v1"):
            for method in route.methods:
                found.add((method, path))
    return found


__all__ = ["Call", "Handler", "Services", "create_app", "route_table"]
