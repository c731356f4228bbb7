"""What observability adds to one request: CPU µs of each piece, no server, no network.

Times, with ``time.process_time`` over ``--n`` repetitions (``--runs`` times, the median
printed), the work the metrics, request ids and logs add to ``GET /v1/agents/{id}/health``:

- ``begin``: the request middleware (id from a valid ``X-Request-ID``, or a new one; the
  ``RequestContext``, set for the task and on ``request.ctx``);
- ``finish``: the response middleware (the ``X-Request-ID`` header, the request counter
  and histogram, the access log line). Three ways: the line written as ``serve`` writes
  it (JSON, to a file: ``/dev/null``), the line skipped (``LOG_LEVEL=WARNING``), and
  neither metrics nor line (``METRICS_ENABLED=false`` as well);
- ``pipeline``: naming the account and the container on the context;
- ``wap``: what ``WapClient._send`` and ``wap_wire`` add to one WAP call (its metric
  children, two clock reads, the histogram, the request's WAP time, the forwarded
  header), measured as the difference between building a request with and without a
  request id, plus the observation itself;
- ``ownership``: the cache-hit counter.

Sanic's own cost of calling two more middlewares is not in these figures (bench/run
measures whole requests). The total is what one health request adds, as ``serve`` runs it.

    .venv/bin/python bench/observability.py            # 5 runs x 100000
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sanic.compat import Header  # noqa: E402
from sanic.response import HTTPResponse  # noqa: E402

from service import logging_setup, metrics  # noqa: E402
from service.adapters import wap_client, wap_wire  # noqa: E402
from service.http.observability import ACCESS_LOG, Finish, begin  # noqa: E402
from service.metrics import OWNERSHIP_HIT  # noqa: E402
from service.request_context import CURRENT  # noqa: E402
from service.settings import Observability  # noqa: E402

CONTAINER = "a11ce000-0000-4000-8000-000000000001"


def fake_request(request_id: str | None) -> Any:
    """What the middlewares read of a Sanic request (a real ``Header`` multidict)."""
    headers = Header({"authorization": "Bearer x", "host": "127.0.0.1:8000"})
    if request_id is not None:
        headers["x-request-id"] = request_id
    return SimpleNamespace(
        headers=headers,
        ctx=SimpleNamespace(),
        method="GET",
        route=SimpleNamespace(name="armory_agents_1.getAgentHealth"),
    )


def per_call(work: Callable[[], object], n: int) -> float:
    """CPU µs per call of ``work``, minus the loop's own cost."""
    started = time.process_time()
    for _ in range(n):
        work()
    spent = time.process_time() - started
    started = time.process_time()
    for _ in range(n):
        pass
    return (spent - (time.process_time() - started)) / n * 1e6


def measures(n: int) -> dict[str, float]:
    devnull = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run
    logging_setup.configure(Observability(log_format="json"), devnull)
    with_log, without_metrics = (
        Finish("armory_agents_1", record_metrics=True),
        Finish("armory_agents_1", record_metrics=False),
    )
    response = HTTPResponse(b"{}", content_type="application/json")
    valid, fresh = fake_request("0af7651916cd43dd8448eb211c80319c"), fake_request(None)
    context = begin(valid)
    requests = wap_wire.Requests(
        "http://127.0.0.1:8081", username="u", password="p", timeout=httpx.Timeout(1)
    )

    def finish_json() -> None:
        response.headers.clear()
        with_log(valid, response)

    def finish_quiet() -> None:
        response.headers.clear()
        with_log(valid, response)

    def finish_bare() -> None:
        response.headers.clear()
        without_metrics(valid, response)

    def pipeline() -> None:
        found = CURRENT.get()
        if found is not None:
            found.account = "alice"
            found.container_id = CONTAINER

    def wap_observation() -> None:
        found = metrics.wap_call(wap_wire.operation_id("GET", "w1", "health"))
        started = time.perf_counter()
        seconds = time.perf_counter() - started
        found.ok.observe(seconds)
        wap_client._waited(seconds)

    def build_with_id() -> None:
        requests.build("GET", "w1", "health")

    def build_without_id() -> None:
        token = CURRENT.set(None)
        requests.build("GET", "w1", "health")
        CURRENT.reset(token)

    CURRENT.set(context)
    found: dict[str, float] = {
        "begin, a valid X-Request-ID": per_call(lambda: begin(valid), n),
        "begin, a new id": per_call(lambda: begin(fresh), n),
    }
    CURRENT.set(context)
    found["finish, JSON line to a file"] = per_call(finish_json, n)
    ACCESS_LOG.setLevel(logging.WARNING)
    found["finish, no line (LOG_LEVEL=WARNING)"] = per_call(finish_quiet, n)
    found["finish, no line, no metrics"] = per_call(finish_bare, n)
    ACCESS_LOG.setLevel(logging.NOTSET)
    found["pipeline: account and container"] = per_call(pipeline, n)
    found["wap: observation"] = per_call(wap_observation, n)
    found["wap: forwarded X-Request-ID"] = per_call(build_with_id, n) - per_call(
        build_without_id, n
    )
    found["ownership: hit counter"] = per_call(OWNERSHIP_HIT.inc, n)
    devnull.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="calls per measure and run")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    runs = [measures(args.n) for _ in range(args.runs)]
    names = list(runs[0])
    medians = {name: statistics.median(run[name] for run in runs) for name in names}
    width = max(map(len, names))
    for name in names:
        print(f"{name:<{width}}  {medians[name]:6.2f} µs")
    total = (
        medians["begin, a valid X-Request-ID"]
        + medians["finish, JSON line to a file"]
        + medians["pipeline: account and container"]
        + medians["wap: observation"]
        + medians["wap: forwarded X-Request-ID"]
        + medians["ownership: hit counter"]
    )
    quiet = (
        total
        - medians["finish, JSON line to a file"]
        + medians["finish, no line (LOG_LEVEL=WARNING)"]
    )
    print(f"{'one health request, as serve runs it':<{width}}  {total:6.2f} µs")
    print(f"{'the same with LOG_LEVEL=WARNING':<{width}}  {quiet:6.2f} µs")


if __name__ == "__main__":
    main()
