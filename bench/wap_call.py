"""What one WAP call costs: CPU µs per ``WapClient.get_container_health`` call, no Sanic.

A standalone loop on the stdlib asyncio loop: it builds a ``WapClient`` from ``Settings``
pointing at a fake WAP Core, then times ``--calls`` calls with ``time.process_time`` (the
CPU of this whole process, so the event loop's share is in it) one at a time
(concurrency 1) and in ``asyncio.gather`` batches (concurrency 32), ``--runs`` times,
interleaved, and prints each figure and its median.

The fake WAP: ``wap_stub`` (seeded with ``service.demo.wap_seed()``) started on an
ephemeral port, pinned to the other CPU, and stopped at exit. bench-ref's nginx cannot
serve: its health body is not the contract's ``ContainerHealth`` (it lacks ``id``,
``health``, ``failingStreak``), so ``container_health`` refuses it. ``--wap-url`` points
at a WAP already running instead (bench/nginx.conf's nginx answers ids ``armory-*``).

Where the time goes: ``--profile FILE`` runs py-spy (``.venv/bin/pip install py-spy``;
needs ptrace, root here) on this process while it makes its calls, writes its
collapsed stacks to FILE and prints the shares below; ``--shares FILE`` prints them for an
existing py-spy ``--format raw`` file. Each sample goes to the first frame from the leaf
up that is not in the standard library (so ``json`` counts for the parser that called it,
and a socket write for the transport that made it): httpx; the transport (aiohttp, yarl,
multidict and ``aiohttp_transport.py``, or httpcore/anyio/h11); our parsing
(``wap_answers``); our adapter (``wap_client``, ``wap_wire``, ``wap_errors``); and the
event loop (nothing of the above: asyncio's own scheduling). Samples waiting in
``select`` are counted apart: py-spy cannot tell that wait from work.

    .venv/bin/python bench/wap_call.py                       # 5 runs x 3000 calls, c=1 and 32
    .venv/bin/python bench/wap_call.py --wap-url http://127.0.0.1:18081   # bench/run's nginx
    .venv/bin/python bench/wap_call.py --profile /tmp/wap-call.txt --runs 1 --calls 20000
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service import demo  # noqa: E402
from service.adapters.wap_client import WapClient  # noqa: E402
from service.settings import WAP_HTTP_TRANSPORTS, Settings, WapHttpTransport  # noqa: E402

USER, PASSWORD = "bench", "bench-password"
# (part, path fragments of a frame's file): the first non-stdlib frame from the leaf decides.
PARTS = [
    ("httpx (request, URL, headers, auth, response)", ("/httpx/",)),
    (
        "transport (aiohttp_transport.py, aiohttp, yarl, multidict)",
        ("/aiohttp/", "/yarl/", "/multidict/", "/propcache/", "aiohttp_transport.py"),
    ),
    ("transport (httpcore, anyio, h11)", ("/httpcore/", "/anyio/", "/h11/", "/sniffio/")),
    ("transport (asyncio_transport.py, httptools)", ("asyncio_transport.py", "/httptools/")),
    ("parsing (wap_answers, json)", ("wap_answers.py",)),
    ("adapter (wap_client, wap_wire, wap_errors)", ("wap_client.py", "wap_wire.py", "wap_errors")),
]
LOOP = "event loop (asyncio's own scheduling)"
_WAIT = "EpollSelector.select"
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
_STDLIB = os.path.dirname(os.__file__)


# -- the fake WAP --------------------------------------------------------------------------------


@contextmanager
def wap_stub(cpu: int | None) -> Iterator[str]:
    """``python -m wap_stub`` on an ephemeral port, seeded with the demo; yields its URL."""
    with tempfile.TemporaryDirectory(prefix="wap-call-") as tmp:
        seed = Path(tmp, "seed.json")
        seed.write_text(json.dumps(demo.wap_seed()))
        command = [sys.executable, "-m", "wap_stub", "--port", "0"]
        command += ["--username", USER, "--password", PASSWORD, "--seed", str(seed)]
        stub = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        try:
            if cpu is not None:
                os.sched_setaffinity(stub.pid, {cpu})
            assert stub.stdout is not None
            for line in stub.stdout:
                if line.startswith("wap-stub listening on "):
                    break
            else:
                raise SystemExit("wap_stub exited before it listened")
            # Whatever it prints later must not fill the pipe and stall it.
            threading.Thread(target=stub.stdout.read, daemon=True).start()
            yield line.split()[-1]
        finally:
            stub.terminate()
            stub.wait(10)


# -- the loop ------------------------------------------------------------------------------------


async def measure(
    url: str,
    wap_ids: list[str],
    transport: WapHttpTransport,
    calls: int,
    runs: int,
    levels: list[int],
    warmup: int,
) -> dict[int, list[float]]:
    settings = Settings(
        database_url="sqlite:///:memory:",
        wap_url=url,
        wap_username=USER,
        wap_password=PASSWORD,
        supertokens_connection_uri="http://127.0.0.1:9",
        wap_http_transport=transport,
    )
    results: dict[int, list[float]] = {c: [] for c in levels}
    async with WapClient(settings) as wap:
        for wap_id in wap_ids:  # each answers, and is parsed as the contract's
            health = await wap.get_container_health(wap_id)
            if health.id != wap_id:
                raise SystemExit(f"asked for {wap_id!r}, WAP answered {health}")
        ids = itertools.cycle(wap_ids)

        async def batch(size: int) -> None:
            if size == 1:
                await wap.get_container_health(next(ids))
            else:
                await asyncio.gather(*(wap.get_container_health(next(ids)) for _ in range(size)))

        async def timed(concurrency: int, n: int) -> tuple[float, float]:
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(n // concurrency):
                await batch(concurrency)
            done = n // concurrency * concurrency
            return (
                (time.process_time() - cpu) / done * 1e6,
                (time.perf_counter() - wall) / done * 1e6,
            )

        for c in levels:  # open every connection the batches need, warm every cache
            await timed(c, max(warmup, c))
        for run in range(runs):
            order = levels[run % len(levels) :] + levels[: run % len(levels)]
            for c in order:
                cpu_us, wall_us = await timed(c, calls)
                results[c].append(cpu_us)
                line = f"run {run + 1} c={c:<3} {cpu_us:8.1f} µs CPU/call"
                print(f"{line}  {wall_us:8.1f} µs wall/call", flush=True)
    return results


# -- the profile ---------------------------------------------------------------------------------


def part_of(stack: list[str]) -> str:
    for frame in reversed(stack):
        match = _FRAME.match(frame)
        if match is None:
            continue
        file = match["file"]
        if file.startswith(_STDLIB) and "site-packages" not in file or file.startswith("<"):
            continue
        for part, fragments in PARTS:
            if any(fragment in file for fragment in fragments):
                return part
        return LOOP  # the first non-stdlib frame is this script: asyncio's own work
    return LOOP


def shares(path: str, top: int) -> None:
    """Print the parts' shares and the costliest frames of a py-spy raw profile.

    py-spy (``--nonblocking``) does not see a thread waiting in ``epoll_wait`` as idle,
    so those samples (most of a run at concurrency 1) are counted apart, and the shares
    are of the rest: the CPU the calls themselves cost.
    """
    parts: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    waiting = 0
    for line in Path(path).read_text().splitlines():
        stack_text, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        stack = stack_text.split(";")
        leaf = _FRAME.match(stack[-1])
        if leaf is not None and leaf["func"] == _WAIT:
            waiting += int(count)
            continue
        parts[part_of(stack)] += int(count)
        own[stack[-1] if leaf is None else f"{leaf['func']} ({_short(leaf['file'])})"] += int(count)
    total = sum(parts.values()) or 1
    print(f"\nshares of {total} samples ({path}), {waiting} more waiting in {_WAIT}:")
    for part, n in parts.most_common():
        print(f"  {100 * n / total:5.1f} %  {part}")
    print(f"top {top} frames by own time:")
    for frame, n in own.most_common(top):
        print(f"  {100 * n / total:5.1f} %  {frame}")


def _short(file: str) -> str:
    for marker in ("site-packages/", "/main/", _STDLIB + "/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


@contextmanager
def profiled(out: str | None) -> Iterator[None]:
    if out is None:
        yield
        return
    spy_bin = Path(sys.executable).with_name("py-spy")
    command = [
        str(spy_bin) if spy_bin.exists() else "py-spy",
        "record",
        "--pid",
        str(os.getpid()),
        "--rate",
        "500",
        "--full-filenames",
    ]
    spy = subprocess.Popen([*command, "--format", "raw", "--output", out, "--nonblocking"])
    time.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls per measurement")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--concurrency", default="1,32", help="comma-separated (default 1,32)")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--transport", choices=WAP_HTTP_TRANSPORTS, default="http1")
    parser.add_argument("--wap-url", help="a WAP already running (default: start wap_stub)")
    parser.add_argument(
        "--wap-id",
        help="comma-separated ids, called in turn (default: the demo's containers on the "
        "stub, armory-0000 with --wap-url)",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin to CPU 0 / stub to 1")
    parser.add_argument("--profile", metavar="FILE", help="py-spy the measured calls into FILE")
    parser.add_argument("--shares", metavar="FILE", help="only print the shares of a profile")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    if args.shares:
        shares(args.shares, args.top)
        return 0
    levels = [int(c) for c in args.concurrency.split(",")]
    pin = not args.no_pin and len(os.sched_getaffinity(0)) >= 2
    if pin:
        os.sched_setaffinity(0, {0})

    transport = cast(WapHttpTransport, args.transport)

    def run(url: str, wap_ids: list[str]) -> dict[int, list[float]]:
        with profiled(args.profile):
            return asyncio.run(
                measure(url, wap_ids, transport, args.calls, args.runs, levels, args.warmup)
            )

    given = args.wap_id.split(",") if args.wap_id else None
    if args.wap_url:
        results = run(args.wap_url, given or ["armory-0000"])
    else:
        with wap_stub(1 if pin else None) as url:
            results = run(url, given or [c["wap_container_id"] for c in demo.CONTAINERS])
    print(f"\nmedians of {args.runs} runs x {args.calls} calls ({args.transport}):")
    for c, figures in results.items():
        print(f"  c={c:<3} {statistics.median(figures):8.1f} µs CPU/call")
    if args.profile:
        shares(args.profile, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
