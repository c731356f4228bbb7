"""Where our hot path spends its CPU: a py-spy profile (collapsed stacks) cut into parts.

bench/run (PROFILE=1) records the first of our servers during one extra health run with
`py-spy record --subprocesses --gil --rate 100 --format raw` into `profile-ours.txt`, runs
this script on that file with the CPU the service spent per request during the run, and
keeps what it prints as `profile.txt` (quoted in `summary.txt`). `--gil` keeps only samples
of the thread holding the GIL, so the shares are shares of Python CPU time. Each sample goes
to the first part its stack names, searched from the leaf up; what names none of them is the
serving stack itself (uvicorn, the Socket.io ASGI wrapper, Sanic's routing and request
objects, the event loop).

Usage: profile_top.py STACKS [--cpu-us-per-req US] [--top N]
  STACKS   py-spy's raw output: one line per stack, `frame;frame;...;leaf COUNT`
  US       CPU µs per request during the profiled run: also prints each part in µs/req
  N        how many of the costliest frames (own time) to list (default 12)
"""

from __future__ import annotations

import argparse
import collections
import sys

# (part, frame-name fragment): the first fragment found from the leaf up wins.
PARTS = [
    ("WAP call (WapClient: httpx over WAP_HTTP_TRANSPORT)", "WapClient."),
    ("request validation (compiled fast path, else openapi-core)", "Contract.validate"),
    ("session check (supertokens-python + PyJWT)", "SessionVerifier.verify"),
    ("ownership query (Pony, and the hop to its thread pool)", "PonyContainerRepository."),
    ("response JSON", "json_response"),
]
REST = "serving stack (uvicorn, Socket.io ASGI wrapper, Sanic, event loop)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", metavar="STACKS", help="py-spy record --format raw output")
    parser.add_argument(
        "--cpu-us-per-req", type=float, metavar="US", help="CPU us per request in the run"
    )
    parser.add_argument(
        "--top", type=int, default=12, metavar="N", help="also list the N costliest frames"
    )
    args = parser.parse_args()

    parts: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    with open(args.stacks) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            n = int(count)
            frames = stack.split(";")
            total += n
            own[frames[-1]] += n
            for frame in reversed(frames):
                part = next((p for p, fragment in PARTS if fragment in frame), None)
                if part is not None:
                    parts[part] += n
                    break
            else:
                parts[REST] += n
    if total == 0:
        print("the profile holds no samples")
        return 1

    us = args.cpu_us_per_req
    print(f"CPU profile of ours, {total} samples (py-spy --gil)")
    for part, n in parts.most_common():
        cost = f"  ~{us * n / total:6.0f} us/req" if us else ""
        print(f"  {100 * n / total:5.1f}%{cost}  {part}")
    print(f"costliest frames (own time): {', '.join(f for f, _ in own.most_common(args.top))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
