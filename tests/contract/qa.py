"""One-command QA run: Schemathesis' CLI over openapi.yaml, with ``schemathesis.toml``.

    python -m tests.contract.qa                          # the embedded stack, on free ports
    python -m tests.contract.qa --url URL --token TOKEN  # a running deployment
    python -m tests.contract.qa -- --max-examples 5      # anything after `--` goes to `st run`

Without ``--url`` it starts the WAP stub, the SuperTokens stand-in, a migrated and seeded
SQLite database and the service, all on ephemeral loopback ports, and tests as the demo
account alice. With ``--url`` it tests that deployment with ``--token`` (an access token),
targeting ``--containers`` (ids the token's account owns) and ``--foreign-container`` (one
it does not own). The JUnit report goes to ``reports/schemathesis-junit.xml`` (see
``schemathesis.toml``); the exit code is the CLI's: non-zero when Schemathesis found
anything.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / "schemathesis.toml"
SPEC = REPO_ROOT / "openapi.yaml"


def schemathesis_command(url: str, extra: Sequence[str]) -> list[str]:
    cli = Path(sys.executable).with_name("schemathesis")
    program = [str(cli)] if cli.exists() else [sys.executable, "-m", "schemathesis.cli"]
    return [*program, "--config-file", str(CONFIG), "run", str(SPEC), "--url", url, *extra]


def run_schemathesis(
    url: str,
    token: str,
    extra: Sequence[str] = (),
    *,
    containers: Sequence[str] = (),
    foreign_container: str | None = None,
) -> int:
    env = {**os.environ, "ARMORY_QA_TOKEN": token}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    if containers:
        env["ARMORY_QA_CONTAINERS"] = ",".join(containers)
    if foreign_container:
        env["ARMORY_QA_FOREIGN_CONTAINER"] = foreign_container
    command = schemathesis_command(url, extra)
    print("+", " ".join(command), flush=True)
    # The hooks module is imported from the working directory (the repository root).
    return subprocess.call(command, cwd=REPO_ROOT, env=env)


def run_local(extra: Sequence[str]) -> int:
    from tests.contract.stack import local_stack

    with tempfile.TemporaryDirectory(prefix="armory-qa-") as workdir:
        with local_stack(Path(workdir)) as stack:
            print(f"embedded stack: service {stack.url}, WAP stub {stack.wap.url}", flush=True)
            return run_schemathesis(stack.url, stack.token("alice", ttl_seconds=6 * 3600), extra)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.contract.qa",
        description="Run Schemathesis over openapi.yaml against the embedded stack or a URL.",
    )
    parser.add_argument("--url", help="base URL of a running service (default: start one)")
    parser.add_argument("--token", help="access token to test with (required with --url)")
    parser.add_argument(
        "--containers",
        default="",
        help="comma-separated container ids the token's account owns (with --url)",
    )
    parser.add_argument(
        "--foreign-container", help="a container id the token's account does not own (with --url)"
    )
    parser.add_argument("extra", nargs="*", help="after `--`: more `schemathesis run` options")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.url is None:
        return run_local(args.extra)
    if not args.token:
        build_parser().error("--token is required with --url")
    containers = [c.strip() for c in args.containers.split(",") if c.strip()]
    return run_schemathesis(
        args.url.rstrip("/"),
        args.token,
        args.extra,
        containers=containers,
        foreign_container=args.foreign_container,
    )


if __name__ == "__main__":
    sys.exit(main())
