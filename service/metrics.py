"""Prometheus metrics of this process (prometheus-client), and their exposition.

A process has one set of metrics, whatever apps it builds, so they are module-level
objects (prometheus-client's own model; creating one opens nothing and reaches nothing):
each instrumented place imports this module and records into it. Hot paths record
through children bound once per label value (``operation``, ``wap_call``, the
``*_HIT``-style constants): no label lookup and no string formatting per request.

| metric | labels | recorded by |
| --- | --- | --- |
| ``armory_http_requests_total`` | operation, status | every answer (``http.observability``) |
| ``armory_http_request_duration_seconds`` | operation | every answer, until its headers |
| ``armory_wap_request_duration_seconds`` | action, outcome | each WAP exchange (``wap_client``) |
| ``armory_wap_errors_total`` | action, code | each failed WAP call, by the error's code |
| ``armory_streams_open`` | | ``usecases.streams.StreamGate`` |
| ``armory_socketio_connected_sockets`` | | ``realtime.namespace`` |
| ``armory_events_emitted_total`` | event | ``realtime.publisher`` |
| ``armory_health_polls_total`` | outcome | ``realtime.health`` |
| ``armory_ownership_cache_lookups_total`` | result | ``adapters.ownership_cache`` |
| ``armory_db_queries_total`` | method | the Pony adapters (repository, audit log): one a session |

``operation`` is the route's name: the operationId for the API and the probes (``none``
for a request no route matched); ``action`` is WAP's operationId (``contracts/wap.yaml``).

More than one worker (``serve --workers N``): every worker answers ``/metrics`` on the
shared port, so each must report the sum of all. prometheus-client's multiprocess mode
does that: ``serving`` points ``PROMETHEUS_MULTIPROC_DIR`` at an empty directory before
the workers start (``prepare_multiprocess_dir``), each worker writes its values to files
there, and a scrape adds them up (``exposition``). That mode has no process collectors
(``process_*``, ``python_gc_*``): one process serves them, in single-process mode only.
Which mode a process is in is fixed when it first imports prometheus-client.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, MutableMapping
from pathlib import Path
from types import CodeType
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # what every Prometheus version reads
NO_ROUTE = "none"  # the ``operation`` of a request no route matched (404, 405)

# No ``*_created`` series: half the exposition, and nothing here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

_LATENCY = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

HTTP_REQUESTS = Counter(
    "armory_http_requests_total", "Answers, by operation and status.", ["operation", "status"]
)
HTTP_SECONDS = Histogram(
    "armory_http_request_duration_seconds",
    "Time from a request reaching the app to its answer's headers (a stream: its start).",
    ["operation"],
    buckets=_LATENCY,
)
WAP_SECONDS = Histogram(
    "armory_wap_request_duration_seconds",
    "WAP Core exchanges, until the answer's headers, by WAP operation and outcome "
    "(ok, error: WAP refused or failed, timeout, cancelled: the deadline or the client).",
    ["action", "outcome"],
    buckets=_LATENCY,
)
WAP_ERRORS = Counter(
    "armory_wap_errors_total",
    "Failed WAP Core calls, by WAP operation and error code (wap_timeout: timeouts).",
    ["action", "code"],
)
STREAMS_OPEN = Gauge(
    "armory_streams_open",
    "Open streams (followed logs, raw file reads).",
    multiprocess_mode="livesum",
)
SOCKETS_CONNECTED = Gauge(
    "armory_socketio_connected_sockets",
    "Authenticated Socket.io connections.",
    multiprocess_mode="livesum",
)
EVENTS_EMITTED = Counter("armory_events_emitted_total", "Socket.io events emitted.", ["event"])
HEALTH_POLLS = Counter(
    "armory_health_polls_total", "WAP health polls, by outcome (ok, failed, timeout).", ["outcome"]
)
OWNERSHIP_LOOKUPS = Counter(
    "armory_ownership_cache_lookups_total",
    "Ownership lookups, answered from memory (hit) or from the database (miss).",
    ["result"],
)
DB_QUERIES = Counter(
    "armory_db_queries_total",
    "Database round trips (one session each: a read is one query), by repository method.",
    ["method"],
)

OWNERSHIP_HIT = OWNERSHIP_LOOKUPS.labels("hit")
OWNERSHIP_MISS = OWNERSHIP_LOOKUPS.labels("miss")
HEALTH_POLL_OK = HEALTH_POLLS.labels("ok")
HEALTH_POLL_FAILED = HEALTH_POLLS.labels("failed")
HEALTH_POLL_TIMEOUT = HEALTH_POLLS.labels("timeout")


class _Children(dict[str, Any]):
    """label value → child of ``metric``, made on first use."""

    def __init__(self, metric: Any, *fixed: str) -> None:
        super().__init__()
        self._metric = metric
        self._fixed = fixed

    def __missing__(self, value: str) -> Any:
        child = self[value] = self._metric.labels(*self._fixed, value)
        return child


class Operation:
    """One route's children: its latency, and a counter per status (made on first use)."""

    __slots__ = ("name", "_seconds", "_statuses")

    def __init__(self, name: str) -> None:
        self.name = name
        self._seconds = HTTP_SECONDS.labels(name)
        self._statuses: dict[int, Any] = {}

    def observe(self, status: int, seconds: float) -> None:
        self._seconds.observe(seconds)
        counter = self._statuses.get(status)
        if counter is None:
            counter = self._statuses[status] = HTTP_REQUESTS.labels(self.name, str(status))
        counter.inc()


class WapCall:
    """One WAP operation's children: latency by outcome, errors by code."""

    __slots__ = ("action", "ok", "error", "timeout", "cancelled", "_errors")

    def __init__(self, action: str) -> None:
        self.action = action
        self.ok = WAP_SECONDS.labels(action, "ok")
        self.error = WAP_SECONDS.labels(action, "error")
        self.timeout = WAP_SECONDS.labels(action, "timeout")
        self.cancelled = WAP_SECONDS.labels(action, "cancelled")
        self._errors = _Children(WAP_ERRORS, action)

    def failed(self, code: str) -> None:
        self._errors[code].inc()


class _Cache(dict[str, Any]):
    def __init__(self, make: Any) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, key: str) -> Any:
        made = self[key] = self._make(key)
        return made


_operations: MutableMapping[str, Operation] = _Cache(Operation)
_wap_calls: MutableMapping[str, WapCall] = _Cache(WapCall)
_events: MutableMapping[str, Any] = _Children(EVENTS_EMITTED)
_db_methods: MutableMapping[str, Any] = _Children(DB_QUERIES)
_db_by_code: dict[CodeType, Any] = {}


def operation(name: str) -> Operation:
    return _operations[name]


def wap_call(action: str) -> WapCall:
    return _wap_calls[action]


def event_emitted(name: str) -> None:
    _events[name].inc()


def db_queries(work: Callable[..., object]) -> Any:
    """The counter child of the adapter method that defined ``work`` (a function made
    inside it: ``PonyContainerRepository.find_owned``), bound once per function."""
    child = _db_by_code.get(work.__code__)
    if child is None:
        method = work.__qualname__.split(".<locals>", 1)[0]
        child = _db_by_code[work.__code__] = _db_methods[method]
    return child


# -- exposition and multiprocess mode -----------------------------------------------------


def multiprocess_mode() -> bool:
    """Whether this process writes its values to ``PROMETHEUS_MULTIPROC_DIR``."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


def exposition() -> bytes:
    """Every metric in Prometheus' text format (``CONTENT_TYPE``): this process's, or in
    multiprocess mode the sum over every worker's files."""
    if not multiprocess_mode():
        return generate_latest(REGISTRY)
    registry = CollectorRegistry(auto_describe=True)
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def prepare_multiprocess_dir(env: MutableMapping[str, str] = os.environ) -> Path:
    """Before the workers start (the serving process): the directory they will share.

    The operator's ``PROMETHEUS_MULTIPROC_DIR`` is emptied (values left by earlier runs
    would be added up), except for this process's own files; without one, a new
    temporary directory is made, named in ``env`` (which the workers inherit) and
    removed when this process exits.
    """
    given = env.get(MULTIPROC_DIR)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        own = f"_{os.getpid()}.db"
        for leftover in path.glob("*.db"):
            if not leftover.name.endswith(own):
                leftover.unlink(missing_ok=True)
        return path
    path = Path(tempfile.mkdtemp(prefix="armory-metrics-"))
    env[MULTIPROC_DIR] = str(path)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def worker_stopped() -> None:
    """A worker that stops leaves the live gauges (its open streams and sockets)."""
    if multiprocess_mode():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
