"""`wap-stub`: serve the WAP Core stub.

    wap-stub --host 127.0.0.1 --port 8081 --username U --password P --seed seed.json

Prints `wap-stub listening on http://HOST:PORT` (the real port, also with `--port 0`)
once it accepts connections.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any

from sanic import Sanic

from wap_stub.app import create_stub_app
from wap_stub.state import Options


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    defaults = Options()
    parser = argparse.ArgumentParser(prog="wap-stub", description="A stateful WAP Core stub.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 = an ephemeral port")
    parser.add_argument("--username", default=os.environ.get("WAP_USERNAME"))
    parser.add_argument("--password", default=os.environ.get("WAP_PASSWORD"))
    parser.add_argument("--seed", help="seed JSON file (default: empty registry, no containers)")
    parser.add_argument("--starting-seconds", type=float, default=defaults.starting_seconds)
    parser.add_argument("--update-seconds", type=float, default=defaults.update_seconds)
    parser.add_argument("--follow-max-seconds", type=float, default=defaults.follow_max_seconds)
    args = parser.parse_args(argv)
    if not args.username or not args.password:
        parser.error("--username and --password (or WAP_USERNAME / WAP_PASSWORD) are required")
    return args


def build(args: argparse.Namespace, name: str = "wap_stub") -> Sanic[Any, Any]:
    seed: dict[str, Any] = {}
    if args.seed:
        with open(args.seed, encoding="utf-8") as handle:
            seed = json.load(handle)
    options = Options(
        starting_seconds=args.starting_seconds,
        update_seconds=args.update_seconds,
        follow_max_seconds=args.follow_max_seconds,
    )
    return create_stub_app(
        seed, username=args.username, password=args.password, name=name, options=options
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        app = build(args)
    except (OSError, ValueError) as exc:
        sys.exit(f"wap-stub: {exc}")
    # Bind ourselves so that --port 0 can report the port the kernel picked.
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host

    @app.after_server_start
    async def announce(*_: Any) -> None:
        print(f"wap-stub listening on http://{shown}:{port}", flush=True)

    app.run(sock=sock, single_process=True, motd=False, access_log=False)


if __name__ == "__main__":
    main()
