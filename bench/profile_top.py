"""Where our hot path spends its CPU: a py-spy profile (collapsed stacks) cut into parts.

bench/run (PROFILE=1) records `py-spy record --gil --format raw` of the service during one
extra health run: only samples of the thread holding the GIL, so the shares are shares of
Python CPU time. Each sample goes to the first part its stack names, searched from the leaf
up; what names none of them is the serving stack itself (uvicorn, the Socket.io ASGI
wrapper, Sanic's routing and request objects, the event loop).

Usage: profile_top.py PROFILE.txt [--cpu-us-per-req US]   (US turns shares into µs per request)
"""

from __future__ import annotations

import argparse
import collections
import sys

# (part, frame-name fragment): the first fragment found from the leaf up wins.
PARTS = [
    ("WAP call (WapClient: httpx + httpcore)", "WapClient."),
    ("request validation (openapi-core)", "Contract.validate"),
    ("session check (supertokens-python + PyJWT)", "SessionVerifier.verify"),
    ("ownership query (Pony + SQLite, its thread pool)", "PonyContainerRepository."),
    ("response JSON", "json_response"),
]
REST = "serving stack (uvicorn, Socket.io ASGI wrapper, Sanic, event loop)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile")
    parser.add_argument("--cpu-us-per-req", type=float, default=None)
    parser.add_argument("--top", type=int, default=12, help="also list the N costliest frames")
    args = parser.parse_args()

    parts: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    with open(args.profile) as f:
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
