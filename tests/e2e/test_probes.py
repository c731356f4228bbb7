"""The health probes against the running service and the WAP stub: ``/healthz`` answers
while the process serves, touching nothing; ``/readyz`` answers 200 only while the
database, WAP Core and (when configured) Redis answer, names what does not, and keeps
its answer for ``READY_CACHE_SECONDS`` so that probes never load WAP."""

from __future__ import annotations

import contextlib
import copy
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from service.http import probes
from service.http.app import create_app
from service.http.contract import Contract
from service.settings import ReadinessLimits, Settings
from tests.conftest import RunningService, running_service
from tests.fakes.sessions import FakeSessionVerifier
from tests.fixtures.contract import assert_contract
from tests.fixtures.ports import free_port

PROBLEM = "application/problem+json"
ORIGIN = "https://app.example"


def _not_ready(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert_contract(response)
    body: dict[str, Any] = response.json()
    assert body["code"] == "not_ready" and body["instance"] == "/readyz"
    return body


def _uncached(settings: Settings, check_timeout: float = 1.0) -> Settings:
    return settings.replace(readiness=ReadinessLimits(check_timeout, cache_seconds=0))


def test_the_probes_are_where_the_contract_puts_them_without_security() -> None:
    contract = Contract.load()
    found = {contract.operations[op].path for op in (probes.LIVENESS, probes.READINESS)}
    assert found == set(probes.PATHS)


def test_healthz_answers_ok_without_credentials_and_calls_nothing(
    service: RunningService, wap_stub: Any
) -> None:
    wap_stub.clear_calls()
    response = service.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert_contract(response)
    assert wap_stub.calls() == []


def test_readyz_is_ready_when_the_database_and_wap_answer(
    service: RunningService, wap_stub: Any
) -> None:
    wap_stub.clear_calls()
    response = service.client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "wap": "ok", "redis": "not configured"},
    }
    assert response.headers["cache-control"] == "no-store"
    assert_contract(response)
    assert [c["operationId"] for c in wap_stub.calls()] == ["getAllContainerHealth"]


def test_readyz_names_wap_when_it_is_unreachable_while_healthz_stays_ok(
    settings: Settings,
) -> None:
    closed = settings.replace(wap_url=f"http://127.0.0.1:{free_port()}")
    with running_service(closed) as service:
        body = _not_ready(service.client.get("/readyz"))
        assert body["checks"] == {"database": "ok", "wap": "failed", "redis": "not configured"}
        assert "wap" in body["detail"] and "database" not in body["detail"]
        assert service.client.get("/healthz").status_code == 200


def test_readyz_names_wap_when_it_refuses_our_credentials(settings: Settings) -> None:
    with running_service(settings.replace(wap_password="not-the-password")) as service:
        assert _not_ready(service.client.get("/readyz"))["checks"]["wap"] == "failed"


@contextmanager
def _locked(path: Any) -> Iterator[None]:
    """Another process's exclusive lock on the SQLite file: no read gets through."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def test_readyz_names_the_database_when_it_does_not_answer_and_recovers(
    settings: Settings, demo_db: Any
) -> None:
    # Rollback journaling, where an exclusive lock keeps readers out (the migrations put
    # the file in write-ahead-log mode, where readers pass it).
    with contextlib.closing(sqlite3.connect(demo_db.sqlite_path)) as conn:
        assert conn.execute("PRAGMA journal_mode = DELETE").fetchone() == ("delete",)
    with running_service(_uncached(settings, check_timeout=0.3)) as service:
        assert service.client.get("/readyz").status_code == 200
        with _locked(demo_db.sqlite_path):
            body = _not_ready(service.client.get("/readyz"))
            assert body["checks"] == {
                "database": "timeout",
                "wap": "ok",
                "redis": "not configured",
            }
            assert "database" in body["detail"]
        deadline = time.monotonic() + 10
        while (response := service.client.get("/readyz")).status_code != 200:
            assert time.monotonic() < deadline, response.text
            time.sleep(0.05)


def test_two_probes_within_the_cache_window_make_one_wap_call(
    settings: Settings, wap_stub: Any
) -> None:
    window = settings.replace(readiness=ReadinessLimits(check_timeout=1.0, cache_seconds=1.0))
    with running_service(window) as service:
        wap_stub.clear_calls()
        first = service.client.get("/readyz")
        second = service.client.get("/readyz")
        assert first.status_code == second.status_code == 200
        assert len(wap_stub.calls("getAllContainerHealth")) == 1
        time.sleep(1.1)
        assert service.client.get("/readyz").status_code == 200
        assert len(wap_stub.calls("getAllContainerHealth")) == 2


def test_readyz_names_redis_when_it_is_configured_but_unreachable(settings: Settings) -> None:
    nowhere = settings.replace(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with running_service(_uncached(nowhere)) as service:
        body = _not_ready(service.client.get("/readyz"))
        assert body["checks"]["redis"] in ("failed", "timeout")
        assert (body["checks"]["database"], body["checks"]["wap"]) == ("ok", "ok")
        assert "redis" in body["detail"]


@pytest.mark.redis
def test_readyz_checks_redis_when_it_is_configured(settings: Settings, redis_url: str) -> None:
    with running_service(settings.replace(redis_url=redis_url)) as service:
        response = service.client.get("/readyz")
        assert response.status_code == 200, response.text
        assert response.json()["checks"] == {"database": "ok", "wap": "ok", "redis": "ok"}


def test_the_probes_answer_a_listed_origin_as_every_answer_does(settings: Settings) -> None:
    with running_service(settings.replace(cors_origins=(ORIGIN,))) as service:
        for path in probes.PATHS:
            response = service.client.get(path, headers={"Origin": ORIGIN})
            assert response.status_code == 200, (path, response.text)
            assert response.headers["access-control-allow-origin"] == ORIGIN


@pytest.mark.parametrize("security", [None, [{"bearerAuth": []}]])
def test_the_service_refuses_to_start_when_a_probe_would_skip_a_session_the_contract_asks(
    settings: Settings, security: Any
) -> None:
    spec = copy.deepcopy(dict(Contract.load().spec))
    healthz = spec["paths"]["/healthz"]["get"]
    if security is None:
        del healthz["security"]  # the document's default: a session
    else:
        healthz["security"] = security
    with pytest.raises(RuntimeError, match="routed without a session"):
        create_app(settings, sessions=FakeSessionVerifier({}), contract=Contract(spec))
