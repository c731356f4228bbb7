"""The composition root: ``create_app(settings, **adapters)`` builds the whole service.

Importing this module has no side effects. Adapters not passed in are built from
``settings``; each one is started in ``before_server_start`` and closed in
``after_server_stop``. Use cases are built once here, with their ports and limits,
and handed to the routes classes; ``pipeline.install`` routes every operation of
``openapi.yaml`` to its handler. ``serving`` serves the app (Sanic's own server) and
Socket.io beside it.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from sanic import Sanic

from service.adapters.audit_log import PonyAuditLog
from service.adapters.change_feeds import change_feed
from service.adapters.database import DatabaseTarget
from service.adapters.ownership_cache import CachedContainerRepository
from service.adapters.pony_repository import PonyContainerRepository
from service.adapters.supertokens import SuperTokensSessionVerifier
from service.adapters.wap_client import WapClient
from service.audit import AbstractAuditLog
from service.clock import AbstractClock, SystemClock
from service.events import AbstractEventPublisher
from service.health_memory import AbstractHealthMemory
from service.http import cors, docs, metrics_route, observability, pipeline, probes
from service.http.agent_routes import AgentRoutes
from service.http.audit_routes import AuditRoutes
from service.http.contract import Contract
from service.http.env_routes import EnvRoutes
from service.http.event_routes import EventRoutes
from service.http.file_routes import FileRoutes
from service.http.lifecycle_routes import LifecycleRoutes, VersionRoutes
from service.http.monitoring_routes import MonitoringRoutes
from service.realtime.server import build_realtime
from service.repository import AbstractContainerRepository
from service.sessions import AbstractSessionVerifier
from service.settings import Settings
from service.usecases import (
    agents,
    audit,
    catch_up,
    environment,
    files,
    lifecycle,
    monitoring,
    versions,
)
from service.usecases.ownership import Ownership
from service.usecases.streams import StreamBounds, StreamGate
from service.wap import AbstractWap

App = Sanic[Any, Any]
_names = itertools.count(1)


def routes(
    settings: Settings,
    repository: AbstractContainerRepository,
    wap: AbstractWap,
    events: AbstractEventPublisher,
    clock: AbstractClock,
    audit_log: AbstractAuditLog,
    streams: StreamGate,
    health_memory: AbstractHealthMemory,
) -> list[object]:
    """Every use case, built once with its ports and limits, inside its routes class.

    The state-changing ones are audited (``usecases.audit``): built with the trail's
    ownership check (``watched``), and wrapped by it. ``streams`` bounds the long-lived
    streams (logs followed, raw file reads); ``health_memory`` holds the last run state
    and health known of each container (lifecycle calls note into it, the listing reads it).
    """
    own = Ownership(repository)
    trail = audit.AuditTrail(audit_log, clock, audit.WitnessedOwnership(repository))
    watched = trail.ownership
    max_bytes = settings.max_file_bytes
    return [
        LifecycleRoutes(
            trail.audited(
                lifecycle.ChangeState(watched, wap, events, health_memory), audit.CHANGE_STATE
            )
        ),
        VersionRoutes(
            versions.ListVersions(own, repository),
            trail.audited(
                versions.UpdateVersion(
                    watched, repository, wap, events, stale_seconds=settings.update_stale_seconds
                ),
                audit.UPDATE_VERSION,
            ),
        ),
        FileRoutes(
            files.ListFiles(own, wap),
            files.ReadFile(own, wap, max_file_bytes=max_bytes, clock=clock),
            files.OpenFile(own, wap, streams),
            trail.audited(
                files.WriteFile(watched, wap, events, max_file_bytes=max_bytes), audit.WRITE_FILE
            ),
            trail.audited(files.DeleteFile(watched, wap, events), audit.DELETE_FILE),
        ),
        MonitoringRoutes(
            monitoring.SummariseHealth(repository, wap),
            monitoring.GetHealth(own, wap),
            monitoring.GetStats(own, wap),
            monitoring.ReadLogs(own, wap),
            monitoring.FollowLogs(own, wap, streams),
        ),
        EnvRoutes(
            environment.ReadEnv(own, wap),
            trail.audited(
                environment.PatchEnv(watched, wap, settings.protected_env_names), audit.PATCH_ENV
            ),
        ),
        EventRoutes(catch_up.CatchUp(own, events)),
        AuditRoutes(audit.ListAudit(own, audit_log)),
        AgentRoutes(agents.ListAgents(repository, health_memory)),
    ]


def configure(app: App, settings: Settings) -> None:
    """Sanic's own server and limits, from ``settings`` (the README's settings table)."""
    app.config.FALLBACK_ERROR_FORMAT = "json"
    limits = settings.server
    app.config.REQUEST_MAX_SIZE = settings.request_max_size
    app.config.REQUEST_MAX_HEADER_SIZE = limits.request_max_header_size
    app.config.REQUEST_TIMEOUT = limits.request_timeout
    app.config.RESPONSE_TIMEOUT = limits.response_timeout
    app.config.KEEP_ALIVE_TIMEOUT = limits.keep_alive_timeout
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = limits.graceful_shutdown_timeout
    app.config.ACCESS_LOG = False
    app.config.MOTD = False
    # The stdlib loop: with uvloop, streaming through the service held far more memory
    # (bench/README.md, "Streaming by event loop").
    app.config.USE_UVLOOP = False
    app.config.TOUCHUP = True


def create_app(
    settings: Settings,
    *,
    repository: AbstractContainerRepository | None = None,
    wap: AbstractWap | None = None,
    sessions: AbstractSessionVerifier | None = None,
    events: AbstractEventPublisher | None = None,
    clock: AbstractClock | None = None,
    audit_log: AbstractAuditLog | None = None,
    contract: Contract | None = None,
    name: str | None = None,
    health_monitor: bool = True,
) -> App:
    """Build the service. Every adapter can be injected; the rest come from ``settings``.

    The Socket.io server (``app.ctx.sio``, served by ``serving``) is always built;
    the event publisher on it only when ``events`` is not given. ``health_monitor=False``
    leaves WAP's health unpolled (tests that count WAP calls).
    """
    clock = clock or SystemClock()
    target = DatabaseTarget.from_url(settings.database_url)
    if repository is None:
        repository = PonyContainerRepository(target, threads=settings.db_threads)
        if settings.ownership_cache_seconds > 0:
            repository = CachedContainerRepository(
                repository,
                change_feed(target),
                max_age=settings.ownership_cache_seconds,
                clock=clock,
            )
    if audit_log is None:
        audit_log = PonyAuditLog(target, threads=settings.db_threads)
    if wap is None:
        wap = WapClient(settings)
    if sessions is None:
        sessions = SuperTokensSessionVerifier(settings, clock=clock)
    realtime = build_realtime(settings, sessions=sessions, repository=repository)
    if events is None:
        events = realtime.publisher()
    contract = contract or Contract.load()

    app = Sanic(name or f"armory_agents_{next(_names)}", configure_logging=False)
    configure(app, settings)
    app.ctx.contract = contract
    # What tests and tools reach from outside (a running app's publisher and repository).
    app.ctx.events = events
    app.ctx.repository = repository
    app.ctx.realtime = realtime
    app.ctx.sio = realtime.sio
    monitor = realtime.health_monitor(wap, repository, events) if health_monitor else None
    app.ctx.health_monitor = monitor

    readiness = probes.readiness(settings, repository, wap, realtime.redis, clock)
    observed = settings.observability
    observability.register(app, record_metrics=observed.metrics_enabled)  # ids, access log
    public = probes.register(app, contract, readiness)  # outside the pipeline: no session
    public += metrics_route.register(app, contract, observed)
    limits = settings.streams
    streams = StreamGate(StreamBounds(limits.per_account, limits.max_seconds, limits.idle_seconds))
    groups = routes(
        settings, repository, wap, events, clock, audit_log, streams, realtime.health_memory
    )
    pipeline.install(app, contract, sessions, groups, public=public)
    docs.register(app, contract)
    if settings.cors_origins:
        cors.register(app, settings.cors_origins, settings.cors_allow_headers)
    adapters = (repository, audit_log, sessions, wap, events)

    @app.before_server_start
    async def start_adapters(app: App) -> None:
        for adapter in adapters:
            await adapter.start()

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

    @app.before_server_stop
    async def end_streams(app: App) -> None:
        # Followed logs never end by themselves: end them now (each sends its `end`
        # event), or each would hold its connection for the whole grace period.
        streams.end_all()

    @app.after_server_stop
    async def stop_adapters(app: App) -> None:
        await readiness.close()
        await events.stop()
        await realtime.close()
        await wap.aclose()
        await sessions.stop()
        await audit_log.stop()
        await repository.stop()

    return app


def route_table(app: App) -> set[tuple[str, str]]:
    """(method, path) of every ``/v1`` route, probe and ``/metrics``, in Sanic's syntax."""
    found = set()
    for route in app.router.routes:
        path = "/" + route.path.lstrip("/")
        if path.startswith("/v1") or path in probes.PATHS or path == metrics_route.PATH:
            for method in route.methods:
                found.add((method, path))
    return found
