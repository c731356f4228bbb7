"""Fixtures for our side of the benchmark (bench/run calls it before starting the service).

Writes into DIR:
  armory.db         (SQLite, unless --database-url names another database) migrated and seeded:
                    one project and N containers owned by alice, WAP ids armory-0000..,
                    capabilities file.read + file.write, files readable and writable under /data
  st-key.pem        the SuperTokens stand-in's signing key (kept between runs)
  token-alice.txt   an access token for alice, signed with that key, valid 24 h
  ids-alice.txt     the N container ids, one a line (bench-ref's load.lua rotates over them)

Usage: prepare.py DIR [--containers 1000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

from service.adapters.database import DatabaseTarget
from service.adapters.migrations import migrate
from service.adapters.seeding import seed
from supertokens_stub.keys import load_or_create_key
from supertokens_stub.tokens import mint_access_token

ACCOUNT = "alice"
PROJECT_ID = "be5c0000-0000-4000-8000-000000000000"
ACCESS = {"writablePaths": ["/data"], "readOnlyPaths": ["/logs"]}
CAPABILITIES = ["file.read", "file.write"]


def container_id(i: int) -> str:
    return str(uuid.UUID(f"be5c0000-0000-4000-8001-{i:012d}"))


def containers(n: int) -> list[dict[str, object]]:
    return [
        {
            "id": container_id(i),
            "account_id": ACCOUNT,
            "project_id": PROJECT_ID,
            "wap_container_id": f"armory-{i:04d}",
            "image": "armory/agent-runtime",
            "tag": "1.4.0",
            "status": "running",
            "agent_capabilities": CAPABILITIES,
            "access_parameters": ACCESS,
            "instructions_dir": None,
            "supports_hot_reload": False,
        }
        for i in range(n)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--containers", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    out: Path = args.dir
    out.mkdir(parents=True, exist_ok=True)

    url = args.database_url or f"sqlite:///{(out / 'armory.db').resolve()}"
    target = DatabaseTarget.from_url(url)
    if target.sqlite_path is not None:  # rebuilt each run: the same rows every time
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target.sqlite_path}{suffix}").unlink(missing_ok=True)
    migrate(target)
    project = {"id": PROJECT_ID, "account_id": ACCOUNT, "name": "Benchmark"}
    rows = containers(args.containers)
    added = seed(target, [project], rows)

    key = load_or_create_key(out / "st-key.pem")
    (out / f"token-{ACCOUNT}.txt").write_text(
        mint_access_token(key, ACCOUNT, ttl_seconds=24 * 3600) + "\n"
    )
    (out / f"ids-{ACCOUNT}.txt").write_text("".join(f"{c['id']}\n" for c in rows))
    print(f"prepared {out}: {len(rows)} containers for {ACCOUNT} ({added} rows added), {url}")
    print(f"DATABASE_URL={url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
