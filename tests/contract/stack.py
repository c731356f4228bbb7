"""The embedded stack on ephemeral ports: the WAP stub, the SuperTokens stand-in, a migrated
and seeded SQLite database, and the service. Used by the contract tests and by
``python -m tests.contract.qa``.

    with stand_ins(workdir) as si, serve(si, workdir / "main") as stack:
        stack.url, stack.token("alice"), stack.wap.calls()
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("SUPERTOKENS_TLDEXTRACT_DISABLE_HTTP", "1")
os.environ.setdefault("SUPERTOKENS_ENV", "testing")

WAP_USER, WAP_PASSWORD = "armory-test", "wap-test-password"
# The stub ends a followed log after this long, so a stray `follow=true` cannot hang a run.
FOLLOW_MAX_SECONDS = 2.0


def demo_database(workdir: Path) -> Path:
    """A migrated SQLite file holding the demo accounts, containers and catalogue."""
    from service import demo
    from service.adapters.database import DatabaseTarget
    from service.adapters.migrations import migrate
    from service.adapters.seeding import seed

    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "armory.db"
    target = DatabaseTarget.from_url(f"sqlite:///{path}")
    migrate(target)
    seed(target, demo.PROJECTS, demo.CONTAINERS, demo.CATALOGUE)
    return path


@dataclass
class StandIns:
    """The WAP stub and the SuperTokens core stand-in, and the key tokens are signed with."""

    key: Any  # supertokens_stub.keys.StubKey
    core: Any  # supertokens_stub.server.StubCore
    wap: Any  # tests.fixtures.wap_stub.WapStub

    def token(self, account: str, ttl_seconds: int = 3600) -> str:
        from supertokens_stub.tokens import mint_access_token

        return mint_access_token(self.key, account, ttl_seconds=ttl_seconds)

    def settings(self, db_path: Path, **extra: str) -> Any:
        from service.settings import Settings

        return Settings.from_env(
            {
                "DATABASE_URL": f"sqlite:///{db_path}",
                "WAP_URL": self.wap.url,
                "WAP_USERNAME": WAP_USER,
                "WAP_PASSWORD": WAP_PASSWORD,
                "SUPERTOKENS_CONNECTION_URI": self.core.url,
                # Generous: on a loaded 2-core machine a 1 s limit risks turning a slow stub
                # answer into a 504 that not_a_server_error would report.
                "WAP_READ_TIMEOUT": "5",
                **extra,
            }
        )


@functools.cache
def suite_key() -> Any:
    """The signing key of this process' SuperTokens stand-ins, made on first use.

    Schemathesis builds its coverage cases (auth included) while pytest collects, before
    any fixture runs: tokens minted then must verify against the stand-in started later.
    """
    from supertokens_stub.keys import StubKey

    return StubKey.generate()


def mint(account: str, ttl_seconds: int = 3600) -> str:
    """An access token for ``account`` signed with ``suite_key()``."""
    from supertokens_stub.tokens import mint_access_token

    return mint_access_token(suite_key(), account, ttl_seconds=ttl_seconds)


@contextmanager
def stand_ins(workdir: Path, key: Any = None) -> Iterator[StandIns]:
    """Start both stand-ins; tokens are signed with ``key`` (default ``suite_key()``)."""
    from service import demo
    from supertokens_stub.server import StubCore
    from tests.fixtures.wap_stub import start_wap_stub

    workdir.mkdir(parents=True, exist_ok=True)
    key = key or suite_key()
    with ExitStack() as stack:
        core = stack.enter_context(StubCore(key))
        wap = stack.enter_context(
            start_wap_stub(
                demo.wap_seed(), WAP_USER, WAP_PASSWORD, follow_max_seconds=FOLLOW_MAX_SECONDS
            )
        )
        yield StandIns(key, core, wap)


@dataclass
class Stack:
    """A served app on the stand-ins: its URL, its app, and everything of ``StandIns``."""

    url: str
    app: Any
    stand_ins: StandIns

    @property
    def wap(self) -> Any:
        return self.stand_ins.wap

    def token(self, account: str, ttl_seconds: int = 3600) -> str:
        return self.stand_ins.token(account, ttl_seconds)


@contextmanager
def serve(
    si: StandIns, workdir: Path, env: Mapping[str, str] | None = None, **adapters: Any
) -> Iterator[Stack]:
    """Serve ``create_app`` on a fresh demo database; ``adapters`` go to ``create_app``
    (``repository_factory=f`` passes ``repository=f(database_url)``), ``env`` adds settings
    (``{"HEALTH_POLL_SECONDS": "0.1"}``).

    The health monitor is off unless asked for: it polls WAP, and the contract tests
    count WAP's calls.
    """
    from tests.conftest import running_service

    settings = si.settings(demo_database(workdir), **dict(env or {}))
    factory = adapters.pop("repository_factory", None)
    if factory is not None:  # a repository that needs the database: factory(database_url)
        adapters["repository"] = factory(settings.database_url)
    adapters.setdefault("health_monitor", False)
    with running_service(settings, **adapters) as running:
        yield Stack(running.url, running.app, si)


@contextmanager
def local_stack(workdir: Path, **adapters: Any) -> Iterator[Stack]:
    """Stand-ins and the service, all on loopback."""
    with stand_ins(workdir) as si, serve(si, workdir / "service", **adapters) as stack:
        yield stack
