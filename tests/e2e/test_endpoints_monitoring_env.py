"""Health (one and all), stats, logs and environment, end to end; and WAP failures."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx
import pytest

from tests.conftest import running_service
from tests.fixtures.contract import assert_contract
from tests.operations import ALICE_BARE, ALICE_MAIN, ALICE_READONLY, BOB_MAIN, SAMPLES, request_args

AGENT = f"/v1/agents/{ALICE_MAIN}"


def test_health_of_one_agent(service: Any, alice: Any) -> None:
    body = assert_contract(service.client.get(f"{AGENT}/health", headers=alice)).json()
    assert body["containerId"] == ALICE_MAIN and body["status"] == "running"
    assert body["health"] in ("healthy", "starting")


def test_the_summary_holds_only_the_callers_containers_by_their_armory_ids(
    service: Any, alice: Any, wap_stub: Any
) -> None:
    wap_stub.clear_calls()
    response = assert_contract(service.client.get("/v1/agents/health", headers=alice))
    body = response.json()
    assert {c["containerId"] for c in body["containers"]} == {
        ALICE_MAIN,
        ALICE_READONLY,
        ALICE_BARE,
    }
    assert body["total"] == 3 and sum(body["counts"].values()) == 3
    assert body["counts"]["none"] == 1  # the stopped sandbox
    assert "wap-" not in response.text and "bob" not in response.text
    assert len(wap_stub.calls("getAllContainerHealth")) == 1


def test_a_container_wap_does_not_report_counts_as_unknown(
    service: Any, alice: Any, wap_stub: Any
) -> None:
    from service import demo

    seed = demo.wap_seed()
    seed["containers"] = [c for c in seed["containers"] if c["id"] != "wap-alice-sandbox"]
    wap_stub.reset(seed)
    body = assert_contract(service.client.get("/v1/agents/health", headers=alice)).json()
    unknown = [c for c in body["containers"] if c["health"] == "unknown"]
    assert [c["containerId"] for c in unknown] == [ALICE_BARE]
    assert unknown[0]["resources"] is None and body["counts"]["unknown"] == 1


def test_stats(service: Any, alice: Any) -> None:
    body = assert_contract(service.client.get(f"{AGENT}/stats", headers=alice)).json()
    assert body["containerId"] == ALICE_MAIN and body["memoryLimitBytes"] > 0


def test_logs_honour_tail_and_timestamps(service: Any, alice: Any, wap_stub: Any) -> None:
    for i in range(5):
        wap_stub.log("wap-alice-researcher", f"line {i}")
    response = service.client.get(f"{AGENT}/logs", params={"tail": 2}, headers=alice)
    assert assert_contract(response).json()["lines"] == ["line 3", "line 4"]
    stamped = service.client.get(
        f"{AGENT}/logs", params={"tail": 1, "timestamps": "true"}, headers=alice
    ).json()["lines"]
    assert stamped[0].endswith(" line 4") and stamped[0][:4].isdigit()
    assert wap_stub.calls("getContainerLogs")[0]["query"]["tail"] == "2"


def test_following_logs_streams_server_sent_events(service: Any, alice: Any, wap_stub: Any) -> None:
    def later() -> None:
        time.sleep(0.5)
        wap_stub.log("wap-alice-researcher", "fresh line")
        time.sleep(0.3)
        httpx.post(f"{service.url}{AGENT}/stop", headers=alice)

    threading.Thread(target=later, daemon=True).start()
    events = []
    with service.client.stream(
        "GET", f"{AGENT}/logs", params={"tail": 1, "follow": "true"}, headers=alice
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(line[6:])
    assert "fresh line" in events


def test_env_masks_secrets_unless_revealed(service: Any, alice: Any) -> None:
    body = assert_contract(service.client.get(f"{AGENT}/env", headers=alice)).json()
    variables = {v["name"]: v for v in body["variables"]}
    assert [v["name"] for v in body["variables"]] == sorted(variables)
    assert variables["OPENAI_API_KEY"] == {
        "name": "OPENAI_API_KEY",
        "value": "********",
        "masked": True,
    }
    assert variables["LOG_LEVEL"]["value"] == "info" and not variables["LOG_LEVEL"]["masked"]
    revealed = service.client.get(f"{AGENT}/env", params={"reveal": "true"}, headers=alice).json()
    secret = next(v for v in revealed["variables"] if v["name"] == "OPENAI_API_KEY")
    assert secret["value"] == "sk-demo-not-a-real-key" and secret["masked"] is False


def test_env_patch_sets_and_unsets_and_needs_a_restart(service: Any, alice: Any) -> None:
    response = service.client.patch(
        f"{AGENT}/env",
        json={"LOG_LEVEL": "debug", "AGENT_NAME": None, "DB_PASSWORD": "hunter2"},
        headers={**alice, "Content-Type": "application/merge-patch+json"},
    )
    body = assert_contract(response).json()
    assert body["changed"] == ["AGENT_NAME", "DB_PASSWORD", "LOG_LEVEL"]
    assert body["restartRequired"] is True
    variables = {v["name"]: v["value"] for v in body["variables"]}
    assert variables["LOG_LEVEL"] == "debug" and "AGENT_NAME" not in variables
    assert variables["DB_PASSWORD"] == "********"
    again = service.client.get(f"{AGENT}/env", params={"reveal": "true"}, headers=alice).json()
    assert {v["name"]: v["value"] for v in again["variables"]}["DB_PASSWORD"] == "hunter2"


def test_protected_and_malformed_names_are_refused_before_wap(
    service: Any, alice: Any, wap_stub: Any
) -> None:
    wap_stub.clear_calls()
    protected = service.client.patch(f"{AGENT}/env", json={"PATH": "/tmp"}, headers=alice)
    assert assert_contract(protected).status_code == 422
    assert protected.json()["code"] == "protected_variable"
    malformed = service.client.patch(f"{AGENT}/env", json={"1BAD": "x"}, headers=alice)
    assert assert_contract(malformed).status_code == 422
    empty = service.client.patch(f"{AGENT}/env", json={}, headers=alice)
    assert empty.status_code == 422
    assert wap_stub.calls() == []


# --- WAP failures, for every operation that calls WAP ----------------------------------------

# Answered without WAP.
LOCAL = ("listAgents", "listAgentVersions", "listAgentEvents", "listAgentAudit")
CALLS_WAP = [s for s in SAMPLES if s.operation_id not in LOCAL]


def assert_answers(running: Any, token: Any, sample: Any, status: int, code: str) -> None:
    """Bob's call of ``sample`` to ``running`` answers the contract's ``status`` and ``code``."""
    response = running.client.request(**request_args(sample, BOB_MAIN, token("bob")))
    assert assert_contract(response).status_code == status
    assert response.json()["code"] == code


@pytest.mark.parametrize("sample", CALLS_WAP, ids=lambda s: s.operation_id)
def test_a_wap_5xx_is_a_502(service: Any, token: Any, wap_stub: Any, sample: Any) -> None:
    wap_stub.fault("status", None, status=503, times=5)
    assert_answers(service, token, sample, 502, "wap_error")


@pytest.fixture
def impatient(settings: Any) -> Any:
    from service.settings import Timeouts

    with running_service(settings.replace(wap_timeouts=Timeouts(read=0.3))) as running:
        yield running


@pytest.mark.parametrize("sample", CALLS_WAP, ids=lambda s: s.operation_id)
def test_a_wap_timeout_is_a_504(impatient: Any, token: Any, wap_stub: Any, sample: Any) -> None:
    wap_stub.fault("delay", None, delay_seconds=0.8, times=5)
    assert_answers(impatient, token, sample, 504, "wap_timeout")


def test_garbage_from_wap_is_a_502(service: Any, alice: Any, wap_stub: Any) -> None:
    wap_stub.fault("garbage", "getContainerHealth")
    response = service.client.get(f"{AGENT}/health", headers=alice)
    assert assert_contract(response).status_code == 502


@pytest.mark.parametrize("sample", CALLS_WAP, ids=lambda s: s.operation_id)
def test_an_unreachable_wap_is_a_502(settings: Any, token: Any, sample: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    with running_service(settings.replace(wap_url=f"http://127.0.0.1:{closed_port}")) as running:
        assert_answers(running, token, sample, 502, "wap_unavailable")
