"""Socket.io fan-out: how long until every connected client has the event a request caused.

bench/run starts it on the load CPU, once per server and round: our service, and
bench/fanout-ref (the Node reference), driven the same way. It spreads --clients
python-socketio clients over --procs worker processes (each connects its share to
--socket-url with auth {"token": ...}, websocket transport), then --triggers times writes a
file through the API at --url (PUT /v1/agents/{id}/files/data/fanout-K.txt, JSON {"content"})
and waits until each client has heard `agent-file-changed` for that path. A client's latency
is the time from just before the PUT is sent until its handler runs (time.monotonic(), one
clock for every process of the machine), so it includes the write's own work (ours: its
round trip to WAP) and the client side's own queueing.

Prints one JSON object on stdout:
  {"name", "round" (--name, --round: labels), "clients", "connected", "connect_seconds",
   "server_cpu_ms_per_connect" and
   "server_cpu_ms_per_event" (CPU of --server-pid's process tree, read in clock ticks from
   /proc: per connect over the connect phase; per event summed over each write's window, from
   just before the PUT until every client had the event), "triggers",
   "delivered" (share of client x trigger pairs that got the event within --timeout),
   "p50_ms", "p99_ms", "max_ms" (over every client and trigger), "all_p50_ms", "all_max_ms"
   (per trigger, the time until the LAST client had it: median and worst),
   "write_ms" (median PUT round trip)}
or {"name", "round", "skipped": reason} when the server has no Socket.io or no file write yet.
One line per trigger goes to --out (JSON lines, appended).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from typing import Any

import httpx
import socketio

EVENT = "agent-file-changed"


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU of ``pid`` and its children (uvicorn's workers), 0 without a pid."""
    if pid is None:
        return 0.0
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --- worker: holds its clients, answers {"wait": path} with the arrival times ---------------------


async def worker(args: argparse.Namespace) -> None:
    arrivals: dict[str, list[float]] = defaultdict(list)
    clients: list[socketio.AsyncClient] = []
    errors: list[str] = []
    gate = asyncio.Semaphore(args.concurrency)

    def on_changed(data: Any) -> None:
        now = time.monotonic()
        if isinstance(data, dict):
            arrivals[str(data.get("path"))].append(now)

    async def connect_one() -> None:
        sio = socketio.AsyncClient(reconnection=False)
        sio.on(EVENT, on_changed)
        async with gate:
            try:
                await sio.connect(
                    args.url,
                    auth={"token": args.token},
                    transports=["websocket"],
                    wait_timeout=args.timeout * 6,
                )
                clients.append(sio)
            except Exception as exc:  # a refused connect says why in its message
                errors.append(f"{type(exc).__name__}: {exc}")

    await asyncio.gather(*(connect_one() for _ in range(args.clients)))
    ready = {"ready": len(clients), "failed": len(errors), "error": errors[0] if errors else None}
    print(json.dumps(ready), flush=True)

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        command = json.loads(line)
        if "wait" not in command:
            break
        path = command["wait"]
        deadline = time.monotonic() + command["timeout"]
        while len(arrivals[path]) < len(clients) and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        print(json.dumps({"path": path, "times": arrivals.pop(path, [])}), flush=True)
    await asyncio.wait_for(
        asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True), 30
    )


# --- coordinator ----------------------------------------------------------------------------------


def skipped(args: argparse.Namespace, reason: str) -> int:
    print(json.dumps({"name": args.name, "round": args.round, "skipped": reason}), flush=True)
    return 0


async def coordinator(args: argparse.Namespace) -> int:
    headers = {"Authorization": f"Bearer {args.token}"}
    http = httpx.AsyncClient(base_url=args.url, headers=headers, timeout=30)

    async def write(k: int) -> httpx.Response:
        return await http.put(
            f"/v1/agents/{args.container}/files/data/fanout-{k}.txt", json={"content": "x"}
        )

    async with http:
        probe = await http.get(
            f"{args.socket_url}/socket.io/", params={"EIO": "4", "transport": "polling"}
        )
        if probe.status_code != 200:
            return skipped(
                args,
                f"GET {args.socket_url}/socket.io/ answered {probe.status_code}: "
                "no Socket.io server there",
            )
        first = await write(-1)
        if not first.is_success:
            return skipped(
                args,
                f"PUT /v1/agents/:id/files/:path answered {first.status_code}: no file write to "
                f"trigger events with yet ({first.text[:200]})"
            )

        shares = [
            args.clients // args.procs + (i < args.clients % args.procs) for i in range(args.procs)
        ]
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--worker",
                "--url",
                args.socket_url,
                "--token",
                args.token,
                "--clients",
                str(share),
                "--concurrency",
                str(args.concurrency),
                "--timeout",
                str(args.timeout),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            for share in shares
            if share > 0
        ]

        async def ask(proc: Any, command: dict[str, Any]) -> dict[str, Any]:
            proc.stdin.write((json.dumps(command) + "\n").encode())
            await proc.stdin.drain()
            line = await proc.stdout.readline()
            if not line:
                raise RuntimeError(f"a fan-out worker exited (code {await proc.wait()})")
            return dict(json.loads(line))

        try:
            t0, cpu0 = time.monotonic(), cpu_seconds(args.server_pid)
            ready = await asyncio.wait_for(
                asyncio.gather(*(p.stdout.readline() for p in procs)), args.connect_timeout
            )
            states = [json.loads(line) for line in ready]
            connect_seconds = time.monotonic() - t0
            connect_cpu = cpu_seconds(args.server_pid) - cpu0
            connected = sum(s["ready"] for s in states)
            errors = [s["error"] for s in states if s["error"]]
            print(
                f"connected {connected}/{args.clients} in {connect_seconds:.1f}s", file=sys.stderr
            )
            if errors:
                print(f"connect errors, e.g. {errors[0]}", file=sys.stderr)
            if connected == 0:
                raise RuntimeError(f"no client could connect: {errors[0] if errors else '?'}")

            latencies: list[float] = []
            last: list[float | None] = []
            writes: list[float] = []
            received_total = 0
            event_cpu = 0.0
            with open(args.out, "a") as out:
                # k < 0: warm-up writes, not counted (the reference's JIT, our caches)
                for k in range(-args.warmup, args.triggers):
                    path = f"/data/fanout-{k}.txt"
                    cpu0 = cpu_seconds(args.server_pid)
                    sent = time.monotonic()
                    answer = await write(k)
                    write_ms = (time.monotonic() - sent) * 1000
                    answer.raise_for_status()
                    replies = await asyncio.gather(
                        *(ask(p, {"wait": path, "timeout": args.timeout}) for p in procs)
                    )
                    lat = [(t - sent) * 1000 for r in replies for t in r["times"]]
                    if k < 0:
                        continue
                    event_cpu += cpu_seconds(args.server_pid) - cpu0
                    latencies += lat
                    received_total += len(lat)
                    writes.append(write_ms)
                    last.append(max(lat) if len(lat) == connected else None)
                    row = {
                        "name": args.name,
                        "round": args.round,
                        "trigger": k,
                        "connected": connected,
                        "received": len(lat),
                        "write_ms": round(write_ms, 2),
                        "p50_ms": round(percentile(lat, 50), 2) if lat else None,
                        "p99_ms": round(percentile(lat, 99), 2) if lat else None,
                        "all_ms": round(last[-1], 2) if last[-1] is not None else None,
                    }
                    out.write(json.dumps(row) + "\n")
                    print(json.dumps(row), file=sys.stderr)
                    await asyncio.sleep(args.gap)
        finally:
            for p in procs:
                if p.returncode is None and p.stdin is not None:
                    p.stdin.write(b'{"quit": true}\n')
                    p.stdin.close()
            for p in procs:
                try:
                    await asyncio.wait_for(p.wait(), 40)
                except TimeoutError:
                    p.kill()

    complete = [v for v in last if v is not None]
    summary = {
        "name": args.name,
        "round": args.round,
        "clients": args.clients,
        "connected": connected,
        "connect_seconds": round(connect_seconds, 2),
        "server_cpu_ms_per_connect": round(connect_cpu * 1000 / connected, 2)
        if args.server_pid
        else None,
        "server_cpu_ms_per_event": round(event_cpu * 1000 / args.triggers, 2)
        if args.server_pid
        else None,
        "triggers": args.triggers,
        "warmup": args.warmup,
        "delivered": round(received_total / (connected * args.triggers), 4),
        "p50_ms": round(percentile(latencies, 50), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 2) if latencies else None,
        "max_ms": round(max(latencies), 2) if latencies else None,
        "all_p50_ms": round(statistics.median(complete), 2) if complete else None,
        "all_max_ms": round(max(complete), 2) if len(complete) == len(last) else None,
        "write_ms": round(statistics.median(writes), 2),
    }
    print(json.dumps(summary), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the server's base URL (its HTTP API)")
    parser.add_argument("--socket-url", help="where its Socket.io server is (default: --url)")
    parser.add_argument("--name", default="ours", help="label of the results")
    parser.add_argument("--round", type=int, default=1, help="label of the results")
    parser.add_argument("--token", required=True)
    parser.add_argument("--container", help="the container whose file is written")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--triggers", type=int, default=20)
    parser.add_argument(
        "--warmup",
        type=int,
        help="writes before the counted ones, not counted (default: enough for about 10,000 "
        "deliveries, 3 to 50: Node's JIT needs some thousands before its figure settles)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=20, help="connects in flight per process"
    )
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for an event")
    parser.add_argument("--connect-timeout", type=float, default=300.0)
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between triggers")
    parser.add_argument("--out", default="/dev/null")
    parser.add_argument(
        "--server-pid", type=int, help="the server's PID: its CPU per connect/event"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.socket_url = (args.socket_url or args.url).rstrip("/")
    if args.warmup is None:
        args.warmup = min(50, max(3, -(-10_000 // max(1, args.clients))))
    try:
        from uvloop import run
    except ImportError:
        from asyncio import run
    if args.worker:
        run(worker(args))
        return 0
    if not args.container:
        parser.error("--container is required")
    return int(run(coordinator(args)))


if __name__ == "__main__":
    sys.exit(main())
