"""``GET /metrics``: what it exports, who may read it, and that it counts what happens.

Metrics are process-wide (``service.metrics``), and tests share the process: each test
reads what changed across what it did, never an absolute value.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from service.settings import Observability, Settings
from tests.conftest import RunningService, running_service
from tests.fixtures.sockets import Listener
from tests.operations import ALICE_MAIN, ALICE_READONLY

AGENT = f"/v1/agents/{ALICE_MAIN}"
PROBLEM = "application/problem+json"


class Scrape:
    """One exposition, parsed: ``value("name", label=...)`` (0 when the series is absent)."""

    def __init__(self, text: str) -> None:
        self.samples: dict[str, list[tuple[dict[str, str], float]]] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                self.samples.setdefault(sample.name, []).append((sample.labels, sample.value))

    def value(self, name: str, **labels: str) -> float:
        return sum(
            value
            for found, value in self.samples.get(name, [])
            if all(found.get(k) == v for k, v in labels.items())
        )


def scrape(client: httpx.Client, **headers: str) -> Scrape:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    return Scrape(response.text)


def test_answers_are_counted_by_operation_and_status(
    service: RunningService, alice: dict[str, str]
) -> None:
    before = scrape(service.client)
    for _ in range(2):
        assert service.client.get(f"{AGENT}/health", headers=alice).status_code == 200
    assert service.client.get(f"{AGENT}/health").status_code == 401
    assert service.client.get("/no/such/route").status_code == 404
    after = scrape(service.client)

    def delta(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    requests = "armory_http_requests_total"
    assert delta(requests, operation="getAgentHealth", status="200") == 2
    assert delta(requests, operation="getAgentHealth", status="401") == 1
    assert delta(requests, operation="none", status="404") == 1
    assert delta(requests, operation="getMetrics", status="200") == 1  # the first scrape
    assert delta("armory_http_request_duration_seconds_count", operation="getAgentHealth") == 3
    buckets = "armory_http_request_duration_seconds_bucket"
    assert delta(buckets, operation="getAgentHealth", le="+Inf") == 3
    ok = {"action": "getContainerHealth", "outcome": "ok"}
    assert delta("armory_wap_request_duration_seconds_count", **ok) == 2
    assert delta("armory_wap_request_duration_seconds_sum", **ok) > 0
    # The process's own collectors, in single-process mode.
    assert after.value("process_cpu_seconds_total") > 0
    assert "python_gc_collections_total" in after.samples


def test_steady_state_requests_make_no_database_round_trip(
    service: RunningService, alice: dict[str, str]
) -> None:
    # A first lookup per (account, container) goes to the database, and is kept.
    for container in (ALICE_MAIN, ALICE_READONLY):
        answer = service.client.get(f"/v1/agents/{container}/health", headers=alice)
        assert answer.status_code == 200
    before = scrape(service.client)
    for _ in range(5):
        assert service.client.get(f"{AGENT}/health", headers=alice).status_code == 200
    steady = scrape(service.client)
    # A container it never looked up: one round trip (the counter does count).
    unknown = f"/v1/agents/{uuid.uuid4()}/health"
    assert service.client.get(unknown, headers=alice).status_code == 403
    after = scrape(service.client)
    queries, lookups = "armory_db_queries_total", "armory_ownership_cache_lookups_total"
    assert steady.value(queries) - before.value(queries) == 0
    assert steady.value(lookups, result="hit") - before.value(lookups, result="hit") == 5
    assert steady.value(lookups, result="miss") == before.value(lookups, result="miss")
    find_owned = {"method": "PonyContainerRepository.find_owned"}
    assert after.value(queries, **find_owned) - steady.value(queries, **find_owned) == 1
    assert after.value(lookups, result="miss") - steady.value(lookups, result="miss") == 1


def test_wap_failures_are_counted_by_wap_operation_and_code(
    service: RunningService, alice: dict[str, str], wap_stub: Any
) -> None:
    before = scrape(service.client)
    wap_stub.fault("status", "getContainerStats", status=500)
    assert service.client.get(f"{AGENT}/stats", headers=alice).status_code == 502
    after = scrape(service.client)
    stats = {"action": "getContainerStats"}
    errors = "armory_wap_errors_total"
    assert (
        after.value(errors, code="wap_error", **stats)
        - before.value(errors, code="wap_error", **stats)
        == 1
    )
    seconds = "armory_wap_request_duration_seconds_count"
    assert (
        after.value(seconds, outcome="error", **stats)
        - before.value(seconds, outcome="error", **stats)
        == 1
    )
    assert after.value(seconds, outcome="ok", **stats) == before.value(
        seconds, outcome="ok", **stats
    )


def test_events_emitted_are_counted_by_type(service: RunningService, alice: dict[str, str]) -> None:
    before = scrape(service.client)
    written = service.client.put(
        f"{AGENT}/files/app/data/metrics.txt", json={"content": "x"}, headers=alice
    )
    assert written.status_code == 200, written.text
    after = scrape(service.client)
    name = "armory_events_emitted_total"
    changed = {"event": "agent-file-changed"}
    assert after.value(name, **changed) - before.value(name, **changed) == 1


async def test_connected_sockets_are_counted_while_they_stay(
    service: RunningService, token: Callable[..., str]
) -> None:
    gauge = "armory_socketio_connected_sockets"

    def now() -> float:
        return scrape(service.client).value(gauge)

    before = await asyncio.to_thread(now)
    async with Listener.connect(service.sio_url, token=token("alice")):
        assert await asyncio.to_thread(now) == before + 1
    deadline = time.monotonic() + 5
    while await asyncio.to_thread(now) != before and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await asyncio.to_thread(now) == before


def test_health_polls_are_counted(settings: Settings) -> None:
    with running_service(settings, health_monitor=True) as service:
        first = scrape(service.client).value("armory_health_polls_total", outcome="ok")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            polls = scrape(service.client).value("armory_health_polls_total", outcome="ok")
            if polls > first:
                break
            time.sleep(0.1)
    assert polls > first


def test_with_a_metrics_token_only_its_bearer_may_scrape(settings: Settings) -> None:
    secret = f"scrape-{uuid.uuid4().hex}"
    guarded = settings.replace(observability=Observability(metrics_token=secret))
    with running_service(guarded) as svc:
        refused = {
            "none": svc.client.get("/metrics"),
            "wrong": svc.client.get("/metrics", headers={"Authorization": "Bearer nope"}),
            "longer": svc.client.get("/metrics", headers={"Authorization": f"Bearer {secret}x"}),
            "basic": svc.client.get("/metrics", headers={"Authorization": f"Basic {secret}"}),
        }
        allowed = [
            scrape(svc.client, Authorization=f"Bearer {secret}"),
            scrape(svc.client, Authorization=f"bearer {secret}"),
        ]
    for name, answer in refused.items():
        assert answer.status_code == 401, name
        assert answer.headers["content-type"].startswith(PROBLEM)
        assert answer.json()["code"] == "unauthorised"
        assert answer.headers["www-authenticate"] == 'Bearer realm="metrics"'
        assert secret not in answer.text
    for found in allowed:
        assert found.value("armory_http_requests_total", operation="getMetrics") > 0


def test_turned_off_metrics_answer_404_and_record_no_request(
    settings: Settings, alice: dict[str, str]
) -> None:
    from prometheus_client import REGISTRY

    def counted() -> float:
        found = REGISTRY.get_sample_value(
            "armory_http_requests_total", {"operation": "getAgentHealth", "status": "200"}
        )
        return found or 0.0

    with running_service(
        settings.replace(observability=Observability(metrics_enabled=False))
    ) as service:
        before = counted()
        assert service.client.get(f"{AGENT}/health", headers=alice).status_code == 200
        off = service.client.get("/metrics")
    assert counted() == before
    assert off.status_code == 404
    assert off.headers["content-type"].startswith(PROBLEM)
    assert off.json()["code"] == "not_found"
