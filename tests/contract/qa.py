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

Either way, it leaves the target containers as it found them: what the run changed
(environment variables, run state, version, files under the writable roots) is put back
through the API at the end (``tests.contract.restore``; ``--keep-changes`` skips it).
The embedded stack's WAP stub then gets back the state it was seeded with (what the API
cannot undo: a version update starts a container that may not be stopped), and the exit
code is non-zero if anything still differs; against a URL what could not be put back is
listed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
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


def run_and_restore(
    url: str,
    token: str,
    extra: Sequence[str] = (),
    *,
    containers: Sequence[str] = (),
    foreign_container: str | None = None,
    restore: bool = True,
    beyond_the_api: Callable[[], None] | None = None,
) -> int:
    """``run_schemathesis``, then what it changed on ``containers`` put back (module doc).

    ``beyond_the_api`` puts back, after the API has, what the API cannot (the embedded
    stack's WAP stub: a container without the ``restart`` capability that a version update
    started); with it, anything left differing fails the run, without it it is reported.
    """
    import httpx

    from tests.contract.hooks import ALICE_CONTAINERS
    from tests.contract.restore import Restorer

    if not restore:
        return run_schemathesis(
            url, token, extra, containers=containers, foreign_container=foreign_container
        )
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        restorer = Restorer(client, tuple(containers) or ALICE_CONTAINERS)
        before = restorer.capture()
        code = run_schemathesis(
            url, token, extra, containers=containers, foreign_container=foreign_container
        )
        restorer.restore(before)
        if beyond_the_api is not None:
            beyond_the_api()
        left = restorer.differences(before)
    for line in restorer.log:
        print(f"put back: {line}")
    if left:
        print("could not put back what the run changed:", *left, sep="\n  ", flush=True)
        return (code or 1) if beyond_the_api is not None else code
    print("left the target containers as it found them", flush=True)
    return code


def run_local(extra: Sequence[str], *, restore: bool = True) -> int:
    from tests.contract.stack import local_stack

    with tempfile.TemporaryDirectory(prefix="armory-qa-") as workdir:
        with local_stack(Path(workdir)) as stack:
            print(f"embedded stack: service {stack.url}, WAP stub {stack.wap.url}", flush=True)
            token = stack.token("alice", ttl_seconds=6 * 3600)
            seeded = stack.wap.state()
            return run_and_restore(
                stack.url,
                token,
                extra,
                restore=restore,
                beyond_the_api=lambda: stack.wap.reset(seeded),
            )


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
    parser.add_argument(
        "--keep-changes",
        action="store_true",
        help="leave what the run changed on the target containers (default: put it back)",
    )
    parser.add_argument("extra", nargs="*", help="after `--`: more `schemathesis run` options")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.url is None:
        return run_local(args.extra, restore=not args.keep_changes)
    if not args.token:
        build_parser().error("--token is required with --url")
    containers = [c.strip() for c in args.containers.split(",") if c.strip()]
    return run_and_restore(
        args.url.rstrip("/"),
        args.token,
        args.extra,
        containers=containers,
        foreign_container=args.foreign_container,
        restore=not args.keep_changes,
    )


if __name__ == "__main__":
    sys.exit(main())
