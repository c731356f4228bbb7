"""Health probes for load balancers and orchestrators: ``GET /healthz`` and ``GET /readyz``.

They are called often and without credentials, so they are plain Sanic routes outside
``/v1`` and outside ``pipeline``: the pipeline's first step is always a session (every
API operation is authenticated, and stays so), and the probes take no parameters for the
contract to validate. ``pipeline.install`` is given their operationIds (``public``) and
refuses to start unless ``openapi.yaml`` declares exactly those ``security: []``. Their
answers get what every answer gets: ``render.API_HEADERS`` (``no-store``), CORS, and
problem+json for errors.

- ``/healthz`` (liveness) touches nothing: it answers 200 while the process serves, so an
  outage of the database or WAP Core never gets the instance restarted.
- ``/readyz`` (readiness) asks ``Readiness`` whether the database, WAP Core and, with
  ``REDIS_URL``, Redis answer: each is checked through its port (``ping``), all at once,
  each within ``READY_CHECK_TIMEOUT``. The answer is kept ``READY_CACHE_SECONDS`` and
  probes arriving together share one check, so probing never loads WAP Core or the
  database. A part that outlives its timeout is not asked again until it has answered: a
  database that hangs holds one pool thread, not one per probe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

from service import errors
from service.clock import AbstractClock
from service.http.contract import Contract
from service.http.render import json_response
from service.repository import AbstractContainerRepository
from service.settings import Settings
from service.wap import AbstractWap

App = Sanic[Any, Any]
Check = Callable[[], Awaitable[object]]
log = logging.getLogger("armory.probes")

LIVENESS, READINESS = "getLiveness", "getReadiness"  # their operationIds in openapi.yaml
PATHS = ("/healthz", "/readyz")  # where openapi.yaml puts them (``register`` reads it)
# What each part of a readiness report says (openapi.yaml's ReadinessCheck).
OK, NOT_CONFIGURED, FAILED, TIMEOUT = "ok", "not configured", "failed", "timeout"
_FINE = frozenset({OK, NOT_CONFIGURED})


@dataclass(frozen=True)
class Report:
    """Each part's result, in the order the parts were given."""

    checks: Mapping[str, str]

    @property
    def failing(self) -> list[str]:
        return [name for name, result in self.checks.items() if result not in _FINE]

    @property
    def ready(self) -> bool:
        return not self.failing

    @property
    def detail(self) -> str:
        named = ", ".join(f"{name} ({self.checks[name]})" for name in self.failing)
        return f"Not ready: {named}."


class Readiness:
    """Whether this instance can serve: every part of ``checks`` (a name → a call that
    returns when the part answers, or ``None`` for a part not configured) checked at
    once, each within ``timeout`` seconds. A report is kept ``cache_seconds`` (by
    ``clock``). A part's call runs as a task of its own, shielded, until it ends: callers
    arriving while it runs wait for that one call (a probe that hangs up cancels none),
    and one that outlived its timeout is waited for again rather than started twice.
    Event loop only; ``close()`` cancels what is still running.
    """

    def __init__(
        self,
        checks: Mapping[str, Check | None],
        *,
        timeout: float,
        cache_seconds: float,
        clock: AbstractClock,
    ) -> None:
        self._checks = dict(checks)
        self._timeout = timeout
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._kept: tuple[float, Report] | None = None  # when it was made, and the report
        self._running: dict[str, asyncio.Task[object]] = {}  # a part's call, until it ends
        self._last: dict[str, str] = {}  # each part's previous result (logged on change)

    async def report(self) -> Report:
        kept = self._kept
        if kept is not None and 0 <= self._clock.now() - kept[0] < self._cache_seconds:
            return kept[1]
        names = list(self._checks)
        results = await asyncio.gather(*(self._check(name) for name in names))
        report = Report(dict(zip(names, results, strict=True)))
        self._kept = (self._clock.now(), report)
        return report

    async def close(self) -> None:
        pending = list(self._running.values())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _check(self, name: str) -> str:
        check = self._checks[name]
        if check is None:
            return NOT_CONFIGURED
        task = self._running.get(name)
        if task is None or task.done():
            task = asyncio.create_task(_called(check))
            task.add_done_callback(_retrieve)
            self._running[name] = task
        problem: BaseException | None = None
        try:
            await asyncio.wait_for(asyncio.shield(task), self._timeout)
            result = OK
        except TimeoutError as exc:
            result, problem = TIMEOUT, exc
        except Exception as exc:
            result, problem = FAILED, exc
        if self._last.get(name, OK) != result:
            if problem is None:
                log.warning("readiness: %s answers again", name)
            else:
                log.warning("readiness: %s %s: %r", name, result, problem)
        self._last[name] = result
        return result


async def _called(check: Check) -> object:
    return await check()


def _retrieve(task: asyncio.Task[object]) -> None:
    # A part that failed after its timeout had passed: nobody awaits it any more.
    if not task.cancelled():
        task.exception()


def readiness(
    settings: Settings,
    repository: AbstractContainerRepository,
    wap: AbstractWap,
    redis: Redis | None,
    clock: AbstractClock,
) -> Readiness:
    """The instance's readiness: its database, WAP Core, and its Redis client if it has one."""

    async def ping_redis() -> None:
        assert redis is not None
        await redis.ping()

    limits = settings.readiness
    return Readiness(
        {
            "database": repository.ping,
            "wap": wap.ping,
            "redis": None if redis is None else ping_redis,
        },
        timeout=limits.check_timeout,
        cache_seconds=limits.cache_seconds,
        clock=clock,
    )


def register(app: App, contract: Contract, readiness: Readiness) -> tuple[str, ...]:
    """Route both probes where ``contract`` puts them; return their operationIds."""

    async def liveness_probe(request: Request) -> HTTPResponse:
        return json_response({"status": "ok"})

    async def readiness_probe(request: Request) -> HTTPResponse:
        report = await readiness.report()
        checks = dict(report.checks)
        if not report.ready:
            raise errors.NotReady(report.detail, extra={"checks": checks})
        return json_response({"status": "ready", "checks": checks})

    for operation_id, handler in ((LIVENESS, liveness_probe), (READINESS, readiness_probe)):
        operation = contract.operations[operation_id]
        app.add_route(handler, operation.sanic_uri, methods=[operation.method], name=operation_id)
    return (LIVENESS, READINESS)
