"""Request ids, the access log and the request metrics: two Sanic middlewares.

``begin`` runs first on every request, before any other middleware (CORS preflights
included) and before Sanic answers 404 or 405 itself. It makes the request's
``RequestContext`` (``service.request_context``): the request id (the client's valid
``X-Request-ID``, else a new one) and the time it started; the context is set for the
task that serves the request, so the WAP client forwards the id and counts its time, and
the pipeline names the caller and the container.

``finish`` runs on every answer, problems included, just before its headers are sent (a
stream's when it starts): it returns the id as ``X-Request-ID``, records the answer in
``armory_http_requests_total`` and ``armory_http_request_duration_seconds`` by route
(children bound once per route), and writes the access log line (``armory.access``: INFO,
WARNING for a 5xx). The line is made with ``Logger.makeRecord``, which skips the caller
lookup ``Logger.info`` does (the hot path: ``bench/observability.py`` measures both
middlewares' work).
"""

from __future__ import annotations

import logging
from time import perf_counter
from typing import Any

from sanic import Sanic
from sanic.request import Request
from sanic.response import BaseHTTPResponse

from service import metrics
from service.logging_setup import ACCESS_LOGGER
from service.request_context import (
    CURRENT,
    RequestContext,
    accepted_request_id,
    new_request_id,
)

App = Sanic[Any, Any]
REQUEST_ID = "X-Request-ID"
ACCESS_LOG = logging.getLogger(ACCESS_LOGGER)
_INFO, _WARNING = logging.INFO, logging.WARNING


def begin(request: Request) -> RequestContext:
    """The request's context, made and set for the task serving it."""
    given = request.headers.get("x-request-id")
    request_id = (given is not None and accepted_request_id(given)) or new_request_id()
    context = RequestContext(request_id, perf_counter())
    request.ctx.armory = context
    CURRENT.set(context)
    return context


class Finish:
    """What ``finish`` does to each answer; ``record_metrics=False`` records no metric."""

    def __init__(self, app_name: str, *, record_metrics: bool) -> None:
        self._prefix = app_name + "."
        self._metrics = record_metrics
        self._routes: dict[str | None, tuple[str | None, metrics.Operation]] = {}

    def _route(self, name: str | None) -> tuple[str | None, metrics.Operation]:
        found = self._routes.get(name)
        if found is None:
            label = name.removeprefix(self._prefix) if name else None
            found = self._routes[name] = (label, metrics.operation(label or metrics.NO_ROUTE))
        return found

    def __call__(self, request: Request, response: BaseHTTPResponse) -> None:
        context: RequestContext | None = getattr(request.ctx, "armory", None)
        if context is None:  # an answer Sanic made before the request middleware ran
            context = begin(request)
        elapsed = perf_counter() - context.started
        status = response.status
        response.headers[REQUEST_ID] = context.request_id
        route = request.route
        operation_id, operation = self._route(route.name if route is not None else None)
        if self._metrics:
            operation.observe(status, elapsed)
        level = _WARNING if status >= 500 else _INFO
        if ACCESS_LOG.isEnabledFor(level):
            fields = {
                "requestId": context.request_id,
                "method": request.method,
                "operationId": operation_id,
                "account": context.account,
                "containerId": context.container_id,
                "status": status,
                "durationMs": round(elapsed * 1000, 3),
                "wapMs": round(context.wap_seconds * 1000, 3),
            }
            ACCESS_LOG.handle(
                ACCESS_LOG.makeRecord(
                    ACCESS_LOG.name, level, "", 0, "request", (), None, extra=fields
                )
            )


def register(app: App, *, record_metrics: bool) -> None:
    """Both middlewares, ahead of any other (``priority``); plain functions, which Sanic
    calls without making a coroutine."""
    finish = Finish(app.name, record_metrics=record_metrics)

    def request_started(request: Request) -> None:
        begin(request)

    def request_answered(request: Request, response: BaseHTTPResponse) -> None:
        finish(request, response)

    app.register_middleware(request_started, "request", priority=1000)
    app.register_middleware(request_answered, "response", priority=1000)
