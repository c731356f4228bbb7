"""``armory-agents serve`` as production runs it, seen from outside: with several workers
every scrape of ``/metrics`` reports the sum over all of them, and whatever the process
writes to standard error is one JSON object a line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.multiprocess import MultiProcessCollector

from tests.conftest import WAP_PASSWORD, WAP_USER
from tests.e2e.test_metrics import Scrape
from tests.e2e.test_serve_command import _free_port_pair

LIVENESS = {"operation": "getLiveness", "status": "200"}


def _served_by_each(metrics_dir: Path) -> dict[str, float]:
    """pid → the liveness answers that process counted (its own file in the directory)."""
    found = {}
    for path in metrics_dir.glob("counter_*.db"):
        for family in MultiProcessCollector.merge([str(path)]):
            for sample in family.samples:
                if sample.name == "armory_http_requests_total" and sample.labels == LIVENESS:
                    found[path.stem.rsplit("_", 1)[1]] = sample.value
    return found


def test_every_worker_reports_the_sum_over_all_and_every_line_is_json(
    demo_db: Any, st_core: Any, wap_stub: Any, redis_url: str, tmp_path: Path
) -> None:
    port = _free_port_pair()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{demo_db.sqlite_path}",
        "WAP_URL": wap_stub.url,
        "WAP_USERNAME": WAP_USER,
        "WAP_PASSWORD": WAP_PASSWORD,
        "SUPERTOKENS_CONNECTION_URI": st_core.url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"armory-metrics-test-{port}:",
        "TMPDIR": str(tmp_path),  # where serve makes the workers' metrics directory
    }
    for unset in ("LOG_FORMAT", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(unset, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    both_ready = threading.Event()

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if sum("Worker ready" in seen for seen in lines) >= 2:
                both_ready.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        assert both_ready.wait(60), "".join(lines)
        (metrics_dir,) = tmp_path.glob("armory-metrics-*")
        # Ten at once on a connection each, until both workers have answered some (they
        # share the listening socket: a busy one leaves the next connection to the other).
        sent = 0
        with ThreadPoolExecutor(10) as pool:
            for _ in range(40):
                answered = pool.map(lambda _: httpx.get(f"{base}/healthz").status_code, range(10))
                assert set(answered) == {200}
                sent += 10
                if len([n for n in _served_by_each(metrics_dir).values() if n]) >= 2:
                    break
        served = _served_by_each(metrics_dir)
        assert len([n for n in served.values() if n]) >= 2, (served, "".join(lines))
        assert sum(served.values()) == sent
        for _ in range(6):  # whichever worker answers the scrape, it reports the sum
            scraped = Scrape(httpx.get(f"{base}/metrics").text)
            assert scraped.value("armory_http_requests_total", **LIVENESS) == sent
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        reader.join(timeout=5)
        assert process.stderr is not None
        process.stderr.close()
    assert process.returncode == 0, "".join(lines)
    assert not metrics_dir.exists()  # removed when serve exits
    parsed = []
    for line in filter(str.strip, lines):
        try:
            parsed.append(json.loads(line))  # each is JSON, Sanic's too
        except json.JSONDecodeError:
            raise AssertionError(f"not JSON: {line!r}\n{''.join(lines)}") from None
    assert all({"time", "level", "logger", "message"} <= set(line) for line in parsed)
    assert any(line["logger"] == "armory.access" for line in parsed)
