"""Shared fixtures: real databases, real stand-ins, the service on an ephemeral port.

PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) tests skip with a reason
when those servers are unreachable, and fail instead when REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

os.environ.setdefault("SUPERTOKENS_TLDEXTRACT_DISABLE_HTTP", "1")
os.environ.setdefault("SUPERTOKENS_ENV", "testing")

from service.adapters.database import DatabaseTarget  # noqa: E402
from service.settings import Settings  # noqa: E402

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture
def sqlite_target(tmp_path: object) -> DatabaseTarget:
    return DatabaseTarget.from_url(f"sqlite:///{tmp_path}/armory.db")


@pytest.fixture
def postgres_target() -> Iterator[DatabaseTarget]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    need_service("PostgreSQL", "127.0.0.1", 5432)
    import psycopg2

    name = f"armory_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(PG_ADMIN_URL)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield DatabaseTarget.from_url(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_target(request: pytest.FixtureRequest) -> DatabaseTarget:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_target" if request.param == "sqlite" else "postgres_target"
    target: DatabaseTarget = request.getfixturevalue(fixture)
    return target


@pytest.fixture
def redis_url() -> str:
    need_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


# --- the real stand-ins and the service --------------------------------------------------

WAP_USER, WAP_PASSWORD = "armory-test", "wap-test-password"


@pytest.fixture(scope="session")
def st_key(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from supertokens_stub.keys import load_or_create_key

    return load_or_create_key(tmp_path_factory.mktemp("st") / "key.pem")


@pytest.fixture(scope="session")
def st_core(st_key: Any) -> Iterator[Any]:
    """The SuperTokens core stand-in, real HTTP on an ephemeral port."""
    from supertokens_stub.server import StubCore

    with StubCore(st_key) as core:
        yield core


@pytest.fixture
def token(st_key: Any) -> Callable[..., str]:
    """``token("alice")``: a valid access token; ``ttl_seconds`` < 0 makes it expired."""
    from supertokens_stub.tokens import mint_access_token

    def mint(account: str, ttl_seconds: int = 3600) -> str:
        return mint_access_token(st_key, account, ttl_seconds=ttl_seconds)

    return mint


@pytest.fixture(scope="session")
def wap_stub_server() -> Iterator[Any]:
    """One WAP stub process for the session; ``wap_stub`` resets it for each test."""
    from service import demo
    from tests.fixtures.wap_stub import start_wap_stub

    with start_wap_stub(demo.wap_seed(), WAP_USER, WAP_PASSWORD) as stub:
        yield stub


@pytest.fixture
def wap_stub(wap_stub_server: Any) -> Any:
    from service import demo

    wap_stub_server.reset(demo.wap_seed())
    return wap_stub_server


@pytest.fixture
def demo_db(sqlite_target: DatabaseTarget) -> DatabaseTarget:
    """A migrated SQLite database holding the demo accounts, containers and catalogue."""
    from service import demo
    from service.adapters.migrations import migrate
    from service.adapters.seeding import seed

    migrate(sqlite_target)
    seed(sqlite_target, demo.PROJECTS, demo.CONTAINERS, demo.CATALOGUE)
    return sqlite_target


@pytest.fixture
def settings(demo_db: DatabaseTarget, st_core: Any, wap_stub: Any) -> Settings:
    assert demo_db.sqlite_path is not None
    return Settings.from_env(
        {
            "DATABASE_URL": f"sqlite:///{demo_db.sqlite_path}",
            "WAP_URL": wap_stub.url,
            "WAP_USERNAME": WAP_USER,
            "WAP_PASSWORD": WAP_PASSWORD,
            "SUPERTOKENS_CONNECTION_URI": st_core.url,
            "WAP_READ_TIMEOUT": "2",
            "HEALTH_POLL_SECONDS": "0.2",
        }
    )


@dataclass
class RunningService:
    url: str  # the API
    sio_url: str  # Socket.io, served beside it
    app: Any
    client: httpx.Client

    def as_(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@contextmanager
def running_service(settings: Settings, **adapters: Any) -> Iterator[RunningService]:
    """The whole service (real adapters unless given) served on ephemeral ports."""
    from service.adapters.supertokens import reset_sdk
    from service.http.app import create_app
    from tests.fixtures.service import serve

    reset_sdk()
    adapters.setdefault("health_monitor", False)  # tests that want it turn it on
    app = create_app(settings, **adapters)
    try:
        with (
            serve(app, settings) as served,
            httpx.Client(base_url=served.url, timeout=10) as client,
        ):
            yield RunningService(served.url, served.sio_url, app, client)
    finally:
        reset_sdk()


@pytest.fixture
def service(settings: Settings) -> Iterator[RunningService]:
    with running_service(settings) as running:
        yield running


@pytest.fixture
def alice(token: Callable[..., str]) -> dict[str, str]:
    """Headers authenticating as the demo account alice."""
    return {"Authorization": f"Bearer {token('alice')}"}


@pytest.fixture
def recorded(settings: Settings) -> Iterator[RunningService]:
    """The service with a recording event publisher, as ``.events``."""
    from tests.fakes.events import RecordingEventPublisher

    events = RecordingEventPublisher()
    with running_service(settings, events=events) as running:
        running.events = events  # type: ignore[attr-defined]
        yield running
