"""What WapClient tells about its calls: the WAP metrics by WAP operation and outcome, the
time the API request spent on WAP, and the request id it forwards (``X-Request-ID``).

WAP Core is a transport given to the client (no network): it answers, fails or stalls
as each test needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client import REGISTRY

from service import errors
from service.adapters import wap_wire
from service.adapters.wap_client import WapClient
from service.request_context import CURRENT, RequestContext
from service.settings import Timeouts
from tests.integration.test_wap_client import make_settings

WAP_CONTRACT = Path(__file__).resolve().parents[2] / "contracts" / "wap.yaml"
HEALTH = {
    "id": "w1",
    "status": "running",
    "health": "healthy",
    "uptimeSeconds": 1,
    "restartCount": 0,
    "lastCheckedAt": "2026-11-29T10:15:00Z",
}
Answer = Callable[[httpx.Request], Awaitable[httpx.Response]]


class Wap(httpx.AsyncBaseTransport):
    """Answers each request with ``answer(request)``; keeps what it was sent."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await self.answer(request)


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def counts(action: str) -> dict[str, float]:
    """The WAP metrics of one WAP operation: exchanges by outcome, failures by code."""
    seconds = "armory_wap_request_duration_seconds_count"
    found = {o: value(seconds, action=action, outcome=o) for o in ("ok", "error", "timeout")}
    found["cancelled"] = value(seconds, action=action, outcome="cancelled")
    for code in ("wap_timeout", "wap_unavailable", "wap_error"):
        found[code] = value("armory_wap_errors_total", action=action, code=code)
    return found


def changed(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


async def observed(answer: Answer, deadline: float = 5.0) -> tuple[dict[str, float], Wap]:
    """One ``get_container_health`` call against ``answer``: what changed in its metrics."""
    wap = Wap(answer)
    timeouts = Timeouts(connect=1, read=1, write=1, pool=1, deadline=deadline)
    before = counts("getContainerHealth")
    async with WapClient(make_settings(wap_timeouts=timeouts), transport=wap) as client:
        try:
            await client.get_container_health("w1")
        except errors.ApiError:
            pass
    return changed(before, counts("getContainerHealth")), wap


async def test_an_answered_call_is_ok() -> None:
    async def healthy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=HEALTH)

    assert (await observed(healthy))[0] == {"ok": 1}


async def test_a_wap_failure_is_an_error_with_its_code() -> None:
    async def failing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"error": "boom", "message": "boom"})

    assert (await observed(failing))[0] == {"error": 1, "wap_error": 1}


async def test_an_unreachable_wap_is_an_error_wap_unavailable() -> None:
    async def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    assert (await observed(refused))[0] == {"error": 1, "wap_unavailable": 1}


async def test_a_read_timeout_is_a_timeout() -> None:
    async def silent(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("nothing came", request=request)

    assert (await observed(silent))[0] == {"timeout": 1, "wap_timeout": 1}


async def test_a_passed_deadline_is_a_wap_timeout_of_its_operation() -> None:
    async def stalled(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        raise AssertionError("the deadline should have cut this")

    # The exchange was cut (cancelled); the call answered 504 wap_timeout.
    assert (await observed(stalled, deadline=0.05))[0] == {"cancelled": 1, "wap_timeout": 1}


async def test_the_request_id_is_forwarded_and_wap_time_added_to_the_request() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.02)
        return httpx.Response(200, json=HEALTH)

    context = RequestContext("req-42", 0.0)
    token = CURRENT.set(context)
    try:
        _, wap = await observed(slow)
        _, wap_again = await observed(slow)
    finally:
        CURRENT.reset(token)
    assert [r.headers["x-request-id"] for r in wap.sent + wap_again.sent] == ["req-42", "req-42"]
    assert context.wap_seconds >= 0.04
    _, outside = await observed(slow)  # no API request: no id
    assert "x-request-id" not in outside.sent[0].headers


def test_requests_carry_the_id_on_their_own_headers_only() -> None:
    requests = wap_wire.Requests(
        "http://wap.test", username="u", password="p", timeout=httpx.Timeout(1)
    )
    token = CURRENT.set(RequestContext("req-7", 0.0))
    try:
        built = [
            requests.build("GET", "w1", "health"),
            requests.build("PUT", "w1", "files/write", content=b"x", headers={"If-Match": "*"}),
        ]
    finally:
        CURRENT.reset(token)
    assert [r.headers["x-request-id"] for r in built] == ["req-7", "req-7"]
    assert "x-request-id" not in requests.headers  # the prepared headers stay as they were


def test_every_wap_operation_has_its_metrics_name() -> None:
    spec = yaml.safe_load(WAP_CONTRACT.read_text())
    declared = {
        op["operationId"]
        for item in spec["paths"].values()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }
    assert set(wap_wire.OPERATIONS.values()) == declared
    for (method, named, action), operation_id in wap_wire.OPERATIONS.items():
        path = "/containers/{wapId}/" + action if named else "/containers/" + action
        assert spec["paths"][path][method.lower()]["operationId"] == operation_id


@pytest.mark.parametrize(("method", "wap_id"), [("GET", None), ("OPTIONS", "w1")])
def test_an_unknown_exchange_is_named_by_method_and_action(method: str, wap_id: str | None) -> None:
    assert wap_wire.operation_id(method, wap_id, "nowhere") == f"{method} nowhere"
