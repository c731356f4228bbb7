"""Structured logs and request ids: one JSON line per request, an ``X-Request-ID`` on every
answer and on every WAP call it made, and no credential or secret in any line."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from service.settings import Observability, Settings
from tests.conftest import WAP_PASSWORD, WAP_USER, RunningService, running_service
from tests.fixtures.log_capture import captured_logs, raw_text
from tests.operations import ALICE_MAIN

AGENT = f"/v1/agents/{ALICE_MAIN}"
ACCESS = "armory.access"
NEW_ID = re.compile(r"[0-9a-f]{32}")
Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def logs() -> Iterator[Lines]:
    with captured_logs() as lines:
        yield lines


def _access_lines(lines: Lines, request_id: str) -> list[dict[str, Any]]:
    return [
        line for line in lines() if line["logger"] == ACCESS and line["requestId"] == request_id
    ]


def test_a_request_is_one_json_line_with_every_field(
    service: RunningService, alice: dict[str, str], wap_stub: Any, logs: Lines
) -> None:
    wap_stub.clear_calls()
    response = service.client.get(
        f"{AGENT}/health", headers={**alice, "X-Request-ID": "req-1.a:b_C"}
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-1.a:b_C"
    (line,) = _access_lines(logs, "req-1.a:b_C")
    assert line["message"] == "request"
    assert line["level"] == "INFO"
    assert line["operationId"] == "getAgentHealth"
    assert line["method"] == "GET"
    assert line["account"] == "alice"
    assert line["containerId"] == ALICE_MAIN
    assert line["status"] == 200
    assert 0 < line["wapMs"] <= line["durationMs"]
    assert datetime.fromisoformat(line["time"]).utcoffset() is not None  # RFC 3339, in UTC
    assert line["time"].endswith("Z")
    # WAP Core saw the same id, on the one call this request made.
    assert [call["requestId"] for call in wap_stub.calls()] == ["req-1.a:b_C"]


@pytest.mark.parametrize("given", ["has space", "x" * 129, "semi;colon", "", 'quote"d', "slash/ed"])
def test_an_invalid_request_id_is_replaced_and_never_echoed(
    service: RunningService, alice: dict[str, str], wap_stub: Any, logs: Lines, given: str
) -> None:
    wap_stub.clear_calls()
    response = service.client.get(f"{AGENT}/health", headers={**alice, "X-Request-ID": given})
    assert response.status_code == 200
    made = response.headers["x-request-id"]
    assert NEW_ID.fullmatch(made) and made != given
    assert [call["requestId"] for call in wap_stub.calls()] == [made]
    assert len(_access_lines(logs, made)) == 1
    if given:
        assert given not in raw_text(logs())


def test_the_longest_valid_request_id_is_kept(
    service: RunningService, alice: dict[str, str]
) -> None:
    longest = "A-z0._:" * 18 + "xy"  # 128 characters
    response = service.client.get(f"{AGENT}/health", headers={**alice, "X-Request-ID": longest})
    assert response.headers["x-request-id"] == longest


def test_every_answer_carries_a_request_id(
    service: RunningService, alice: dict[str, str], logs: Lines
) -> None:
    answers = {
        "problem 401": service.client.get(f"{AGENT}/health"),
        "problem 403": service.client.get(f"/v1/agents/{uuid.uuid4()}/health", headers=alice),
        "Sanic's 404": service.client.get("/no/such/route"),
        "Sanic's 405": service.client.post("/healthz"),
        "liveness": service.client.get("/healthz"),
        "readiness": service.client.get("/readyz"),
        "metrics": service.client.get("/metrics"),
        "docs": service.client.get("/openapi.json"),
    }
    with service.client.stream(
        "GET",
        f"{AGENT}/files/app/config/agent.yaml",
        headers={**alice, "Accept": "application/octet-stream"},
    ) as stream:
        answers["stream"] = stream
        stream.read()
    ids = {name: answer.headers.get("x-request-id") for name, answer in answers.items()}
    assert all(NEW_ID.fullmatch(found or "") for found in ids.values()), ids
    assert len(set(ids.values())) == len(ids)  # one per request
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses["Sanic's 404"] == 404 and statuses["Sanic's 405"] == 405
    logged = {line["requestId"]: line for line in logs() if line["logger"] == ACCESS}
    for name, request_id in ids.items():
        assert logged[request_id]["status"] == statuses[name], name
    assert logged[ids["Sanic's 404"]]["operationId"] is None
    assert logged[ids["liveness"]]["operationId"] == "getLiveness"
    assert logged[ids["problem 401"]]["account"] is None
    assert logged[ids["problem 403"]]["account"] == "alice"


def test_browsers_may_send_and_read_the_request_id(settings: Settings) -> None:
    origin = "https://app.example.com"
    with running_service(settings.replace(cors_origins=(origin,))) as service:
        preflight = service.client.options(
            f"{AGENT}/health",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "x-request-id",
            },
        )
        answer = service.client.get(f"{AGENT}/health", headers={"Origin": origin})
    assert "x-request-id" in preflight.headers["access-control-allow-headers"]
    assert NEW_ID.fullmatch(preflight.headers["x-request-id"])
    exposed = answer.headers["access-control-expose-headers"].lower().replace(" ", "").split(",")
    assert {"x-request-id", "retry-after"} <= set(exposed)


def test_no_credential_or_secret_value_reaches_the_logs(
    settings: Settings, token: Callable[..., str], wap_stub: Any
) -> None:
    metrics_token = f"metrics-{uuid.uuid4().hex}"
    bearer, cookie = token("alice"), token("alice", ttl_seconds=1800)
    expired, garbage = token("alice", ttl_seconds=-60), f"not-a-jwt-{uuid.uuid4().hex}"
    secret_value = f"sk-live-{uuid.uuid4().hex}"
    observed = Observability(metrics_token=metrics_token)
    with captured_logs() as lines, running_service(settings.replace(observability=observed)) as svc:
        headers = {"Authorization": f"Bearer {bearer}"}
        client = svc.client
        assert client.get(f"{AGENT}/health", headers=headers).status_code == 200
        masked = client.get(f"{AGENT}/env", headers=headers).json()["variables"]
        revealed = client.get(f"{AGENT}/env", params={"reveal": "true"}, headers=headers)
        assert revealed.status_code == 200
        patched = client.patch(
            f"{AGENT}/env",
            json={"OPENAI_API_KEY": secret_value},
            headers={**headers, "Content-Type": "application/merge-patch+json"},
        )
        assert patched.status_code == 200, patched.text
        again = client.get(f"{AGENT}/env", params={"reveal": "true"}, headers=headers).json()
        assert any(v["value"] == secret_value for v in again["variables"])
        with httpx.Client(base_url=svc.url, cookies={"sAccessToken": cookie}) as by_cookie:
            assert by_cookie.get(f"{AGENT}/health").status_code == 200
        for refused in (expired, garbage):
            answer = client.get(f"{AGENT}/health", headers={"Authorization": f"Bearer {refused}"})
            assert answer.status_code == 401
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        scraped = client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
        assert scraped.status_code == 200
        wap_stub.fault("close", "getContainerEnv", times=2)  # a WAP failure is logged too
        assert client.get(f"{AGENT}/env", headers=headers).status_code == 502
    written = lines()
    assert len([line for line in written if line["logger"] == ACCESS]) >= 11
    text = raw_text(written)
    hidden = {v["name"] for v in masked if v["masked"]}  # the values a reveal shows
    revealed_values = [v["value"] for v in revealed.json()["variables"] if v["name"] in hidden]
    assert revealed_values
    basic = base64.b64encode(f"{WAP_USER}:{WAP_PASSWORD}".encode()).decode()
    secrets = {
        "bearer token": bearer,
        "its signature": bearer.rsplit(".", 1)[1],
        "cookie token": cookie,
        "expired token": expired,
        "garbage token": garbage,
        "WAP password": WAP_PASSWORD,
        "WAP Basic credentials": basic,
        "metrics token": metrics_token,
        "patched env value": secret_value,
        **{f"revealed env value {i}": value for i, value in enumerate(revealed_values)},
    }
    leaked = [name for name, secret in secrets.items() if secret in text]
    assert leaked == []
