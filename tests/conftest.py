"""Shared fixtures: real databases, real stand-ins, the service on an ephemeral port.

PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) tests skip with a reason
when those servers are unreachable, and fail instead when REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest

os.environ.setdefault("SUPERTOKENS_TLDEXTRACT_DISABLE_HTTP", "1")
os.environ.setdefault("SUPERTOKENS_ENV", "testing")

from service.adapters.database import DatabaseTarget  # noqa: E402

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
