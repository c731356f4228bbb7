"""The benchmark runs at all: `bench/run` with SMOKE=1 (a few seconds, no thresholds).

It installs nothing (SETUP=0): without wrk, nginx, node or the installed copies of
bench-ref's fastify-ref and of bench/fanout-ref (`bench/run setup` makes them) the test is
skipped with the reason.
The figures of a smoke run mean nothing; what is asserted is that every scenario ran and
printed its figures, that no request failed and that every streamed byte arrived intact.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH_REF = Path(os.environ.get("BENCH_REF", REPO.parent / "shared" / "bench-ref"))
WORK = Path(os.environ.get("BENCH_WORK", "/tmp/bench-work"))
# nginx WAP, fastify-ref, the fan-out's Node reference, ours, SuperTokens stand-in
PORTS = (18081, 18090, 18095, 18100, 18567)


def _port_busy(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _why_not() -> str | None:
    for tool in ("wrk", "nginx", "node", "curl", "taskset", "sha256sum"):
        if shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
            return f"{tool} is not installed (`bench/run setup` installs wrk and nginx-light)"
    if not (BENCH_REF / "lib.sh").is_file():
        return f"bench-ref is not at {BENCH_REF} (set BENCH_REF)"
    for ref in ("fastify-ref", "fanout-ref"):
        if not (WORK / ref / "node_modules").is_dir():
            return f"{ref} is not installed in {WORK} (run `bench/run setup` once)"
    busy = [p for p in PORTS if _port_busy(p)]
    if busy:
        return f"127.0.0.1 ports {busy} are in use: is a benchmark running?"
    return None


def test_bench_smoke_run(tmp_path: Path) -> None:
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    out = tmp_path / "results"
    env = {**os.environ, "SMOKE": "1", "SETUP": "0", "OUT_DIR": str(out)}
    env["PATH"] = env.get("PATH", "") + ":/usr/sbin:/sbin"
    done = subprocess.run(
        [str(REPO / "bench" / "run")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"bench/run failed:\n{done.stdout}\n{done.stderr[-4000:]}"
    printed = done.stdout
    assert (out / "summary.txt").read_text() == printed

    # The hot path: a figure for every target, and not one failed request.
    for name in ("direct", "fastify", "fastify-rot", "ours", "ours-rot"):
        assert re.search(rf"^{re.escape(name)} +\d+ +[\d.]+ +[\d.]+ +[\d.]+ +0$", printed, re.M), (
            f"no error-free figures for {name}:\n{printed}"
        )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["hot_path"]["ours"]["rps"] > 0
    assert summary["supertokens_core_calls"] is not None

    # Streaming: both proxies, every download complete with the right SHA-256.
    for name in ("fastify (unlimited)", "ours (unlimited)"):
        row = summary["stream"][name]
        assert row["intact_min"] == row["streams"] == 2, f"{name}: {row}"
        assert row["rss_peak_mib"] > 0

    # Fan-out: the Node reference always; ours, or a clear reason why it cannot be measured yet.
    fanout = summary["fanout"]
    assert "Socket.io fan-out" in printed
    ref = fanout["fanout-ref"]
    assert ref["connected_min"] == ref["clients"] > 0 and ref["delivered_min"] == 1, ref
    assert re.search(r"^  fanout-ref +\d+/\d+ +100\.00% ", printed, re.M), printed
    if "ours" not in fanout:
        assert any(s.startswith("fanout ours:") for s in summary["skipped"]), summary["skipped"]
    else:
        ours = fanout["ours"]
        assert ours["connected_min"] == ours["clients"] == ref["clients"], ours
        assert ours["delivered_min"] == 1 and ours["triggers"] == ref["triggers"], ours
        assert "ours/fanout-ref" in summary["fanout_ratios"]
        assert "ours/fanout-ref: CPU/event" in printed
