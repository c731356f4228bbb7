"""Medians of a bench/run result directory: prints the summary, writes summary.json.

Usage: summarize.py OUT_DIR   (reads settings.json, results.jsonl, core-calls.json,
stream.jsonl, fanout-runs.jsonl, load-runs.jsonl and skipped.txt, whichever exist)
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

FANOUT_TARGET_MS = 250.0
FANOUT_REF = "fanout-ref"  # bench/fanout-ref, the Node reference of the fan-out
FANOUT_CPU_TARGET = 1.5  # ours' CPU per event at most this many times the reference's


def lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio_of(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def ratio(a: float | None, b: float | None) -> str:
    x = ratio_of(a, b)
    return f"x{x:.2f}" if x is not None else "-"


def hot_path(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    med: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(r["name"] for r in rows):
        runs = [r for r in rows if r["name"] == name]
        cpu = [r["server_cpu_ms"] * 1000 / r["requests"] for r in runs if r["requests"]]
        med[name] = {
            "rounds": len(runs),
            "rps": median([r["rps"] for r in runs]),
            "p50_ms": median([r["p50_ms"] for r in runs]),
            "p99_ms": median([r["p99_ms"] for r in runs]),
            "cpu_us_per_req": median(cpu),
            "errors": sum(r["http_errors"] + r["socket_errors"] for r in runs),
        }
    return med


def streams(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    # Growth is measured from the proxy's RSS before its FIRST streaming run: memory freed
    # after a run is not always given back, so "before" creeps up from one run to the next.
    idle: dict[str, int] = {}
    for r in rows:
        idle.setdefault(r["name"], r["rss_before_kib"])
    med: dict[str, dict[str, Any]] = {}
    for key in dict.fromkeys((r["name"], r["rate_per_client"]) for r in rows):
        runs = [r for r in rows if (r["name"], r["rate_per_client"]) == key]
        growth = [(r["rss_peak_kib"] - idle[key[0]]) / 1024 for r in runs]
        med[f"{key[0]} ({key[1]})"] = {
            "rounds": len(runs),
            "streams": runs[0]["streams"],
            "mib_each": runs[0]["mib_each"],
            "intact_min": min(r["intact"] for r in runs),
            "seconds": median([float(r["seconds"]) for r in runs]),
            "rss_idle_mib": idle[key[0]] / 1024,
            "rss_peak_mib": median([r["rss_peak_kib"] / 1024 for r in runs]),
            "growth_mib": median(growth),
            "growth_max_mib": max(growth),
        }
    return med


def fanouts(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per server, the medians of its fan-out runs; connected and delivered: the worst round."""
    med: dict[str, dict[str, Any]] = {}
    runs_of: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if "skipped" not in r:
            runs_of.setdefault(r["name"], []).append(r)
    for name, runs in runs_of.items():

        def m(key: str, runs: list[dict[str, Any]] = runs) -> float | None:
            return median([r[key] for r in runs if r.get(key) is not None])

        connected = min(r["connected"] for r in runs)
        delivered = min(r["delivered"] for r in runs)
        med[name] = {
            "rounds": len(runs),
            "clients": runs[0]["clients"],
            "triggers": runs[0]["triggers"],
            "connected_min": connected,
            "delivered_min": delivered,
            "all_delivered": connected == runs[0]["clients"] and delivered == 1,
            **{
                key: m(key)
                for key in (
                    "connect_seconds",
                    "server_cpu_ms_per_connect",
                    "server_cpu_ms_per_event",
                    "p50_ms",
                    "p99_ms",
                    "max_ms",
                    "all_p50_ms",
                    "all_max_ms",
                    "write_ms",
                )
            },
        }
    return med


def fmt(value: float | None, spec: str, width: int) -> str:
    return f"{value:{width}{spec}}" if value is not None else f"{'-':>{width}}"


def main() -> int:
    out = Path(sys.argv[1])
    settings = json.loads((out / "settings.json").read_text())
    hot = hot_path(lines(out / "results.jsonl"))
    stream = streams(lines(out / "stream.jsonl"))
    fanout = fanouts(lines(out / "fanout-runs.jsonl"))
    fanout_ratios = {
        f"{name}/{FANOUT_REF}": {
            "cpu_per_event": ratio_of(m["server_cpu_ms_per_event"], ref["server_cpu_ms_per_event"]),
            "p99": ratio_of(m["p99_ms"], ref["p99_ms"]),
        }
        for name, m in fanout.items()
        if name != FANOUT_REF and (ref := fanout.get(FANOUT_REF))
    }
    load = lines(out / "load-runs.jsonl")
    core = lines(out / "core-calls.json")
    skipped = (
        [s for s in (out / "skipped.txt").read_text().splitlines() if s]
        if (out / "skipped.txt").exists()
        else []
    )
    p: list[str] = []

    p.append(f"Armory Agent Control API benchmark, {settings['date']} (git {settings['git']})")
    p.append(
        f"rounds={settings['rounds']} secs={settings['secs']} conns={settings['conns']} "
        f"workers={settings['workers']} variants='{settings['variants']}' pin={settings['pin']} "
        f"(proxies on CPU {settings['proxy_cpus']}, load on CPU {settings['load_cpus']}) "
        f"db={settings['database']} redis={settings['redis']}"
    )
    p.append(
        f"python {settings['python']}, node {settings['node']}, nginx {settings['nginx']}, "
        f"wrk {settings['wrk']}, {settings['nproc']} CPUs"
    )
    if settings.get("smoke"):
        p.append("SMOKE RUN: 1 short round; the figures below mean nothing.")

    if hot:
        rounds = max(m["rounds"] for m in hot.values())
        p.append("")
        p.append(f"Hot path: GET .../health (medians of {rounds} interleaved rounds)")
        w = max(16, *(len(n) for n in hot))
        p.append(
            f"{'':{w}} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU us/req':>10} {'errors':>7}"
        )
        for name, m in hot.items():
            p.append(
                f"{name:{w}} {fmt(m['rps'], '.0f', 9)} {fmt(m['p50_ms'], '.3f', 8)} "
                f"{fmt(m['p99_ms'], '.3f', 8)} {fmt(m['cpu_us_per_req'], '.1f', 10)} "
                f"{m['errors']:7d}"
            )
            if m["errors"]:
                p.append(f"  WARNING: {name} had {m['errors']} errors; its figures are not valid")
        p.append("")
        pairs = [(a, "fastify") for a in hot if a.startswith("ours") and not a.endswith("-rot")]
        pairs += [(a, "fastify-rot") for a in hot if a.startswith("ours") and a.endswith("-rot")]
        pairs += [(a, "direct") for a in hot if a != "direct"]
        w = max(28, *(len(a) + len(b) + 1 for a, b in pairs))
        for a, b in pairs:
            if a in hot and b in hot:
                x, y = hot[a], hot[b]
                p.append(
                    f"{a + '/' + b:{w}} req/s {ratio(x['rps'], y['rps']):>7}   "
                    f"p99 {ratio(x['p99_ms'], y['p99_ms']):>7}   "
                    f"CPU/req {ratio(x['cpu_us_per_req'], y['cpu_us_per_req']):>7}"
                )
        if core:
            calls = core[0]["supertokens_core_calls"]
            p.append(f"SuperTokens core calls during the measured rounds: {calls}")
            queries = core[0].get("our_database_queries")
            if queries is not None:
                served = sum(
                    r["requests"]
                    for r in lines(out / "results.jsonl")
                    if r.get("name") in ("ours", "ours-rot")
                )
                per = f" ({queries / served:.4f} per request)" if served else ""
                p.append(
                    "Database round trips of ours (ours, ours-rot) during the measured rounds: "
                    f"{queries} for {served} requests{per}"
                )

    if stream:
        p.append("")
        p.append("Streaming: concurrent reads of one file (medians over rounds; MiB of RSS)")
        w = max(28, *(len(n) for n in stream))
        p.append(
            f"{'':{w}} {'intact':>7} {'seconds':>8} {'RSS idle':>10} {'peak':>7} "
            f"{'growth':>7} {'worst':>7}"
        )
        for name, m in stream.items():
            p.append(
                f"{name:{w}} {m['intact_min']:>3}/{m['streams']:<3} {fmt(m['seconds'], '.2f', 8)} "
                f"{fmt(m['rss_idle_mib'], '.1f', 10)} {fmt(m['rss_peak_mib'], '.1f', 7)} "
                f"{fmt(m['growth_mib'], '.1f', 7)} {fmt(m['growth_max_mib'], '.1f', 7)}"
            )
        p.append(
            "(intact: the fewest complete downloads with the right SHA-256 in any round; "
            "growth: peak - idle, the RSS before the proxy's first streaming run)"
        )

    if fanout:
        first = next(iter(fanout.values()))
        rounds = max(m["rounds"] for m in fanout.values())
        p.append("")
        p.append(
            f"Socket.io fan-out: {first['clients']} clients, {first['triggers']} writes per run "
            f"(medians of {rounds} interleaved rounds; ms)"
        )
        w = max(14, *(len(n) for n in fanout))
        p.append(
            f"  {'':{w}} {'connected':>9} {'delivered':>9} {'CPU/event':>9} {'CPU/conn':>8} "
            f"{'p50':>7} {'p99':>7} {'max':>7} {'last':>7} {'worst':>7} {'write':>6} {'conn s':>6}"
        )
        for name, m in fanout.items():
            p.append(
                f"  {name:{w}} {m['connected_min']:>4}/{m['clients']:<4} "
                f"{m['delivered_min']:>9.2%} {fmt(m['server_cpu_ms_per_event'], '.2f', 9)} "
                f"{fmt(m['server_cpu_ms_per_connect'], '.2f', 8)} {fmt(m['p50_ms'], '.1f', 7)} "
                f"{fmt(m['p99_ms'], '.1f', 7)} {fmt(m['max_ms'], '.1f', 7)} "
                f"{fmt(m['all_p50_ms'], '.1f', 7)} {fmt(m['all_max_ms'], '.1f', 7)} "
                f"{fmt(m['write_ms'], '.1f', 6)} {fmt(m['connect_seconds'], '.1f', 6)}"
            )
        for pair, figures in fanout_ratios.items():
            cpu, p99 = (f"x{v:.2f}" if v is not None else "-" for v in figures.values())
            p.append(f"  {pair}: CPU/event {cpu}   p99 {p99}")
        p.append(
            "  (connected, delivered: the worst round; CPU: the server's process tree, per write + "
            "its fan-out and per connect; p50/p99/max: per client from just before the write; "
            "last/worst: per write, until the last client had it, median/worst; write: the PUT)"
        )

    for r in load:
        p.append("")
        p.append(
            f"Nothing lost under load: {r['clients']} clients, {r['sockets']} sockets, "
            f"{r['operations']} operations (`armory-agents dev`: SQLite, the WAP stub)"
        )
        p.append(
            f"  {r['requests']} requests in {r['seconds']} s ({r['requests_per_second']}/s), "
            f"statuses {r['statuses']}, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
            f"max {r['max_ms']} ms"
        )
        p.append(
            f"  {r['acknowledged_writes']} writes, {r['env_variables']} variables, "
            f"{r['completed_updates']} updates acknowledged; {r['retries_412']} retries after "
            f"412; {r['events_received']} events received; violations: {r['violations']}"
        )
        p.extend(f"    {v}" for v in r["first_violations"])

    profile = (out / "profile.txt").read_text() if (out / "profile.txt").exists() else ""
    if profile:
        p.append("")
        p.append(profile.rstrip())

    targets: list[str] = []
    if "ours" in hot and "fastify" in hot:
        o, f = hot["ours"], hot["fastify"]
        for label, key, better in (
            ("req/s >= fastify", "rps", 1),
            ("CPU us/req <= fastify", "cpu_us_per_req", -1),
            ("p99 <= fastify", "p99_ms", -1),
        ):
            if o[key] is not None and f[key] is not None:
                met = (o[key] - f[key]) * better >= 0
                targets.append(
                    f"hot path {label}: {'met' if met else 'NOT met'} ({ratio(o[key], f[key])})"
                )
    for name, m in stream.items():
        if name.startswith("ours"):
            ok = m["growth_max_mib"] < m["mib_each"] and m["intact_min"] == m["streams"]
            targets.append(
                f"stream {name}: peak growth < {m['mib_each']} MiB and bytes intact: "
                f"{'met' if ok else 'NOT met'} (worst growth {m['growth_max_mib']:.1f} MiB)"
            )
    for name, m in fanout.items():
        if name == FANOUT_REF:
            continue
        cpu_x = fanout_ratios.get(f"{name}/{FANOUT_REF}", {}).get("cpu_per_event")
        if cpu_x is not None:
            ok = cpu_x <= FANOUT_CPU_TARGET and m["all_delivered"]
            targets.append(
                f"fan-out {name} CPU/event <= {FANOUT_CPU_TARGET}x {FANOUT_REF}'s, every event "
                f"delivered: {'met' if ok else 'NOT met'} (x{cpu_x:.2f}, delivered "
                f"{m['delivered_min']:.2%} to {m['connected_min']}/{m['clients']})"
            )
        if m["p99_ms"] is not None:
            ok = m["p99_ms"] <= FANOUT_TARGET_MS and m["all_delivered"]
            targets.append(
                f"fan-out {name} p99 <= {FANOUT_TARGET_MS:.0f} ms, all delivered: "
                f"{'met' if ok else 'NOT met'} ({m['p99_ms']:.1f} ms)"
            )
    for r in load:
        five = sum(n for status, n in r["statuses"].items() if status.startswith("5"))
        targets.append(
            f"load: no 5xx, nothing lost, every event once at its owner's sockets only: "
            f"{'met' if not r['violations'] else 'NOT met'} ({five} x 5xx, "
            f"{r['violations']} violations)"
        )
    if targets:
        p.append("")
        p.append("Targets of issues 6 and 11 (informative, no thresholds enforced):")
        p.extend(f"  {t}" for t in targets)
    if skipped:
        p.append("")
        p.append("Skipped:")
        p.extend(f"  {s}" for s in skipped)

    print("\n".join(p))
    summary = {
        "settings": settings,
        "hot_path": hot,
        "supertokens_core_calls": core[0]["supertokens_core_calls"] if core else None,
        "stream": stream,
        "fanout": fanout,
        "fanout_ratios": fanout_ratios,
        "load": load,
        "profile": profile or None,
        "targets": targets,
        "skipped": skipped,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
