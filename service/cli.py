"""``armory-agents``: dev, serve, migrate, seed-demo, token ACCOUNT."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from service.settings import Settings, SettingsError

DEFAULT_KEY_FILE = Path("var/supertokens-stub-key.pem")  # `dev` makes it in its folder
# The checkout the service runs from (an editable install): where the README runs `dev`.
CHECKOUT = Path(__file__).resolve().parents[1]


class KeyFileMissing(LookupError):
    """No dev signing key where ``token`` looks; the message names the files."""


def dev_key_places(cwd: Path) -> list[Path]:
    """Where ``token`` looks for the key ``dev`` made, in order: ``var/`` of the working
    folder and of each folder above it, then of the checkout the service runs from."""
    places = [folder / DEFAULT_KEY_FILE for folder in (cwd, *cwd.parents)]
    checkout = CHECKOUT / DEFAULT_KEY_FILE
    return places if checkout in places else [*places, checkout]


def find_dev_key(given: str | None, cwd: Path | None = None) -> Path:
    """The key file ``token`` signs with: ``given`` (which must exist), else the first of
    ``dev_key_places``; ``KeyFileMissing`` rather than a new key nobody verifies."""
    if given is not None:
        path = Path(given).resolve()
        if not path.is_file():
            raise KeyFileMissing(f"no key file at {path}")
        return path
    places = dev_key_places((cwd or Path.cwd()).resolve())
    for place in places:
        if place.is_file():
            return place
    raise KeyFileMissing(
        f"no dev signing key at {places[0]}, in the var/ folders above it, or at {places[-1]}: "
        "run `armory-agents dev` first (it makes the key), from the folder you then run "
        "`token` in or below it, or pass --key-file FILE"
    )


def _database_target(url: str | None = None):  # type: ignore[no-untyped-def]
    from service.adapters.database import DatabaseTarget

    return DatabaseTarget.from_url(url or Settings.from_env(dev=True).database_url)


def cmd_migrate(args: argparse.Namespace) -> int:
    from service.adapters.migrations import migrate, schema_version

    target = _database_target()
    applied = migrate(target, to=args.to)
    for m in applied:
        print(f"applied {m.version:04d}_{m.name}")
    print(f"schema version {schema_version(target)}")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from service import demo
    from service.adapters.migrations import migrate
    from service.adapters.seeding import seed

    target = _database_target()
    migrate(target)
    added = seed(target, demo.PROJECTS, demo.CONTAINERS, demo.CATALOGUE)
    print(f"demo data: {added} rows added")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from supertokens_stub.keys import load_or_create_key
    from supertokens_stub.tokens import mint_access_token

    try:
        key_file = find_dev_key(args.key_file)
    except KeyFileMissing as exc:
        print(f"armory-agents token: {exc}", file=sys.stderr)
        return 1
    key = load_or_create_key(key_file)
    print(mint_access_token(key, args.account, ttl_seconds=args.ttl))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from service import logging_setup
    from service.http import serving

    settings = Settings.from_env()  # fail loudly before starting workers
    logging_setup.configure(settings.observability)  # JSON lines unless LOG_FORMAT=text
    serving.run(settings, host=args.host, port=args.port, workers=args.workers)
    return 0


def _wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float = 30.0) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
            continue
        if needle in line:
            return line
    raise RuntimeError(f"{proc.args!r} did not print {needle!r} in {timeout}s")


def cmd_dev(args: argparse.Namespace) -> int:
    """The embedded stack: migrations, demo data, both stand-ins, the service."""
    from service import demo, logging_setup
    from service.http import serving
    from supertokens_stub.keys import load_or_create_key
    from supertokens_stub.server import StubCore
    from supertokens_stub.tokens import mint_access_token

    os.environ.setdefault("SUPERTOKENS_TLDEXTRACT_DISABLE_HTTP", "1")
    settings = Settings.from_env(dev=True)
    logging_setup.configure(settings.observability)  # lines for people unless LOG_FORMAT=json
    cmd_seed_demo(args)

    key = load_or_create_key(Path(args.key_file))
    core = StubCore(key, port=int(settings.supertokens_connection_uri.rsplit(":", 1)[1]))
    core.start()
    seed_file = Path(tempfile.mkstemp(prefix="wap-seed-", suffix=".json")[1])
    seed_file.write_text(json.dumps(demo.wap_seed()))
    wap_port = settings.wap_url.rsplit(":", 1)[1]
    wap = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wap_stub",
            "--port",
            wap_port,
            "--seed",
            str(seed_file),
            "--username",
            settings.wap_username,
            "--password",
            settings.wap_password,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for_line(wap, "listening")
        base = f"http://{args.host}:{args.port}"
        sio_port = serving.socketio_port(settings, args.port)
        print(f"\nArmory Agent Control API (dev) on {base}")
        print(f"  API docs:      {base}/docs")
        print(f"  Socket.io:     http://{args.host}:{sio_port} (path /socket.io/)")
        print(f"  WAP stub:      {settings.wap_url}")
        print(f"  SuperTokens:   {core.url} (stand-in)")
        print(f"  database:      {settings.database_url}")
        print(f"  signing key:   {Path(args.key_file).resolve()} (`armory-agents token` uses it)")
        origins = ", ".join(settings.cors_origins) or "none"
        print(f"  CORS origins:  {origins} (CORS_ORIGINS)")
        for account in ("alice", "bob"):
            token = mint_access_token(key, account, ttl_seconds=24 * 3600)
            ids = [c["id"] for c in demo.CONTAINERS if c["account_id"] == account]
            print(f"\n  {account}'s token (24 h): {token}")
            print(f"  {account}'s containers: {', '.join(ids)}")
        first = demo.CONTAINERS[0]["id"]
        print(
            "\n  try: curl -H 'Authorization: Bearer <alice's token>' "
            f"{base}/v1/agents/{first}/health"
        )
        print("\nCtrl-C stops everything.\n", flush=True)
        serving.run(settings, host=args.host, port=args.port, workers=1)
    finally:
        wap.send_signal(signal.SIGINT)
        try:
            wap.wait(timeout=5)
        except subprocess.TimeoutExpired:
            wap.kill()
        core.stop()
        seed_file.unlink(missing_ok=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="armory-agents", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser(
        "dev", help="run the embedded stack (SQLite, WAP stub, SuperTokens stand-in)"
    )
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--key-file", default=str(DEFAULT_KEY_FILE))
    dev.set_defaults(func=cmd_dev)
    serve = sub.add_parser("serve", help="serve the API (settings from the environment)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)
    mig = sub.add_parser("migrate", help="apply pending database migrations")
    mig.add_argument("--to", type=int, default=None, help="stop at this version")
    mig.set_defaults(func=cmd_migrate)
    sd = sub.add_parser("seed-demo", help="migrate, then add the demo accounts and containers")
    sd.set_defaults(func=cmd_seed_demo)
    tok = sub.add_parser("token", help="print an access token from the SuperTokens stand-in's key")
    tok.add_argument("account")
    tok.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    tok.add_argument(
        "--key-file",
        default=None,
        help=f"the key `dev` made (default: {DEFAULT_KEY_FILE} here, in a folder above, or in "
        "the checkout)",
    )
    tok.set_defaults(func=cmd_token)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SettingsError as exc:
        print(f"armory-agents: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
