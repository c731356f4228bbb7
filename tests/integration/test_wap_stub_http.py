"""The WAP stub over real HTTP (a subprocess on an ephemeral port), checked against its contract.

Every answer the `client`/`anonymous` fixtures receive goes through openapi-core's response
validation against contracts/wap.yaml, and one test produces every answer the contract declares.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from copy import deepcopy
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
import yaml

from tests.fixtures.wap_stub import (
    REPO_ROOT,
    WapStub,
    start_wap_stub,
    validate_wap_request,
    validate_wap_response,
)
from wap_stub.__main__ import main, parse_args

USER, PASSWORD = "wap-user", "wap-pass"
IMAGE = "armory/agent-runtime"
SYSTEM_MD = "/app/instructions/system.md"
OCTETS = {"Content-Type": "application/octet-stream"}
SEED: dict[str, Any] = {
    "registry": {IMAGE: ["1.4.2", "1.5.0"]},
    "containers": [
        {
            "id": "wap-hot",
            "image": IMAGE,
            "tag": "1.4.2",
            "status": "running",
            "instructionsDir": "/app/instructions",
            "supportsHotReload": True,
            "files": {SYSTEM_MD: "You are helpful.\n", "/app/bin/blob": {"base64": "/wA="}},
            "env": {"LOG_LEVEL": "info"},
        },
        {
            "id": "wap-cold",
            "image": IMAGE,
            "tag": "1.4.2",
            "status": "stopped",
            "instructionsDir": "/app/instructions",
            "supportsHotReload": False,
        },
    ],
}


def seed_with(**options: float) -> dict[str, Any]:
    seed = deepcopy(SEED)
    seed["options"] = options
    return seed


def _validate(response: httpx.Response) -> None:
    if response.request.url.path.startswith("/_stub") or "follow=true" in str(response.url):
        return
    response.read()
    validate_wap_response(response)


@pytest.fixture(scope="module")
def stub() -> Iterator[WapStub]:
    with start_wap_stub(SEED, USER, PASSWORD) as running:
        yield running


@pytest.fixture
def wap(stub: WapStub) -> WapStub:
    stub.reset(SEED)
    return stub


@pytest.fixture
def client(wap: WapStub) -> Iterator[httpx.Client]:
    """Valid credentials; every answer is validated against contracts/wap.yaml."""
    hooks = {"response": [_validate]}
    with httpx.Client(base_url=wap.url, auth=wap.auth, timeout=10, event_hooks=hooks) as c:
        yield c


@pytest.fixture
def anonymous(wap: WapStub) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=wap.url, timeout=10, event_hooks={"response": [_validate]}) as c:
        yield c


@pytest.fixture
def unchecked(wap: WapStub) -> Iterator[httpx.Client]:
    """No contract validation: for answers injected faults make deliberately wrong."""
    with httpx.Client(base_url=wap.url, auth=wap.auth, timeout=10) as c:
        yield c


def log_lines(client: httpx.Client, wap_id: str = "wap-hot", **params: Any) -> list[str]:
    response = client.get(f"/containers/{wap_id}/logs", params=params)
    assert response.status_code == 200
    return response.text.splitlines()


# -- auth and request validation ---------------------------------------------
def test_a_request_without_credentials_gets_401_and_a_basic_challenge(
    anonymous: httpx.Client,
) -> None:
    response = anonymous.post("/containers/wap-hot/stop")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="wap"'
    assert response.json()["error"] == "unauthorized"


@pytest.mark.parametrize(
    "authorization",
    ["Basic d2FwLXVzZXI6d3Jvbmc=", "Basic bm9ib2R5OndhcC1wYXNz", "Basic !!!", "Bearer abc"],
    ids=["wrong password", "wrong user", "not base64", "not basic"],
)
def test_wrong_credentials_are_refused_and_change_nothing(
    anonymous: httpx.Client, authorization: str
) -> None:
    response = anonymous.post("/containers/wap-hot/stop", headers={"Authorization": authorization})
    assert response.status_code == 401
    health = anonymous.get("/containers/wap-hot/health", auth=(USER, PASSWORD))
    assert health.json()["status"] == "running"


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "mentions"),
    [
        ("GET", "/containers/wap-hot/logs?tail=0", {}, "tail"),
        ("GET", "/containers/wap-hot/logs?tail=many", {}, "tail"),
        ("GET", "/containers/wap-hot/logs?since=yesterday", {}, "since"),
        ("GET", "/containers/wap-hot/logs?follow=perhaps", {}, "follow"),
        ("GET", "/containers/wap-hot/files", {}, "path"),
        ("GET", "/containers/wap-hot/files/read?path=app/x", {}, "path"),
        ("POST", "/containers/wap-hot/update-image", {"json": {"image": IMAGE}}, "tag"),
        ("POST", "/containers/wap-hot/update-image", {"content": b"{"}, "body"),
        ("PATCH", "/containers/wap-hot/env", {"json": {"set": {"1X": "y"}}}, "1X"),
        ("PATCH", "/containers/wap-hot/env", {"json": {"drop": ["A"]}}, "drop"),
        ("PATCH", "/containers/wap-hot/env", {"json": {"set": {"A": 1}}}, "string"),
        ("PUT", f"/containers/wap-hot/files/write?path={SYSTEM_MD}", {"content": b"x"}, "mimetype"),
    ],
)
def test_a_request_that_breaks_the_contract_gets_400_invalid_request_naming_the_problem(
    client: httpx.Client, method: str, url: str, kwargs: dict[str, Any], mentions: str
) -> None:
    if "content" in kwargs and "files" not in url:
        kwargs = {**kwargs, "headers": {"Content-Type": "application/json"}}
    response = client.request(method, url, **kwargs)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert mentions in response.json()["message"]


def test_an_unknown_route_answers_a_json_404(unchecked: httpx.Client) -> None:
    response = unchecked.get("/containers")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


# -- lifecycle ----------------------------------------------------------------
def test_stop_start_and_restart_change_what_health_and_logs_report(client: httpx.Client) -> None:
    stopped = client.post("/containers/wap-hot/stop")
    assert (stopped.status_code, stopped.json()["status"]) == (200, "stopped")
    health = client.get("/containers/wap-hot/health").json()
    assert (health["status"], health["health"], health["startedAt"]) == ("stopped", "none", None)
    assert client.get("/containers/wap-hot/stats").json()["cpuPercent"] == 0
    assert log_lines(client)[-1] == "[wap] container stopped"
    assert client.post("/containers/wap-hot/stop").status_code == 409

    started = client.post("/containers/wap-hot/start")
    assert (started.status_code, started.json()["status"]) == (200, "running")
    assert client.get("/containers/wap-hot/health").json()["health"] == "healthy"
    assert "[wap] container started" in log_lines(client)
    assert client.post("/containers/wap-hot/start").json()["error"] == "conflict"

    before = client.get("/containers/wap-hot/health").json()["startedAt"]
    time.sleep(0.01)
    assert client.post("/containers/wap-hot/restart").json()["status"] == "running"
    assert client.get("/containers/wap-hot/health").json()["startedAt"] > before
    assert "[wap] container restarted" in log_lines(client)


def test_a_started_container_is_starting_for_the_configured_time_then_healthy(
    wap: WapStub, client: httpx.Client
) -> None:
    wap.reset(seed_with(startingSeconds=0.4))
    client.post("/containers/wap-cold/start")
    assert client.get("/containers/wap-cold/health").json()["health"] == "starting"
    time.sleep(0.45)
    assert client.get("/containers/wap-cold/health").json()["health"] == "healthy"


def test_bulk_health_reports_every_container_with_resources(client: httpx.Client) -> None:
    containers = client.get("/containers/health").json()["containers"]
    assert [(c["id"], c["status"], c["health"]) for c in containers] == [
        ("wap-hot", "running", "healthy"),
        ("wap-cold", "stopped", "none"),
    ]
    assert containers[0]["resources"]["cpuPercent"] > 0
    assert containers[1]["resources"] == {
        "cpuPercent": 0,
        "memoryBytes": 0,
        "memoryLimitBytes": 536870912,
    }


def test_an_image_update_changes_the_tag_and_logs_it(client: httpx.Client) -> None:
    response = client.post(
        "/containers/wap-hot/update-image", json={"image": IMAGE, "tag": "1.5.0"}
    )
    assert response.json() == {
        "id": "wap-hot",
        "image": IMAGE,
        "previousTag": "1.4.2",
        "tag": "1.5.0",
        "status": "completed",
    }
    assert "image updated from 1.4.2 to 1.5.0" in log_lines(client)[-3]


def test_an_image_update_to_an_unknown_tag_is_422_and_changes_nothing(
    wap: WapStub, client: httpx.Client
) -> None:
    response = client.post("/containers/wap-hot/update-image", json={"image": IMAGE, "tag": "9"})
    assert (response.status_code, response.json()["error"]) == (422, "unknown_tag")
    assert wap.state()["containers"][0]["tag"] == "1.4.2"


def test_a_second_image_update_while_one_runs_is_409(wap: WapStub, client: httpx.Client) -> None:
    wap.reset(seed_with(updateSeconds=0.5))
    body = {"image": IMAGE, "tag": "1.5.0"}
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(client.post, "/containers/wap-hot/update-image", json=body)
        time.sleep(0.2)
        health = client.get("/containers/wap-hot/health").json()
        second = client.post("/containers/wap-hot/update-image", json=body)
        assert first.result().status_code == 200
    assert (health["status"], health["health"]) == ("restarting", "starting")
    assert (second.status_code, second.json()["error"]) == (409, "update_in_progress")


# -- files --------------------------------------------------------------------
def test_reading_a_text_file_gives_bytes_etag_last_modified_and_length(
    client: httpx.Client,
) -> None:
    response = client.get("/containers/wap-hot/files/read", params={"path": SYSTEM_MD})
    content = b"You are helpful.\n"
    assert response.content == content
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == str(len(content))
    assert response.headers["etag"] == '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
    assert parsedate_to_datetime(response.headers["last-modified"]).tzinfo is not None


def test_reading_a_binary_file_answers_octet_stream(client: httpx.Client) -> None:
    response = client.get("/containers/wap-hot/files/read", params={"path": "/app/bin/blob"})
    assert (response.content, response.headers["content-type"]) == (
        b"\xff\x00",
        "application/octet-stream",
    )


def test_a_written_file_is_listed_and_read_back(client: httpx.Client) -> None:
    path = "/app/data/new.bin"
    written = client.put("/containers/wap-hot/files/write", params={"path": path},
                         content=b"\x01\x02\x03", headers=OCTETS)  # fmt: skip
    assert written.json() | {"modifiedAt": None} == {
        "path": path,
        "created": True,
        "size": 3,
        "etag": '"' + hashlib.sha256(b"\x01\x02\x03").hexdigest()[:32] + '"',
        "modifiedAt": None,
        "hotReloaded": False,
        "reloadedFiles": [],
        "restartRequired": False,
    }
    read = client.get("/containers/wap-hot/files/read", params={"path": path})
    assert (read.content, read.headers["etag"]) == (b"\x01\x02\x03", written.json()["etag"])
    entries = client.get("/containers/wap-hot/files", params={"path": "/app/data"}).json()
    assert [(e["name"], e["type"], e["size"]) for e in entries["entries"]] == [
        ("new.bin", "file", 3)
    ]


def test_an_empty_body_writes_an_empty_file(client: httpx.Client) -> None:
    written = client.put("/containers/wap-hot/files/write", params={"path": "/app/empty.txt"},
                         headers=OCTETS)  # fmt: skip
    assert (written.status_code, written.json()["size"]) == (200, 0)


def test_a_write_under_instructions_dir_is_hot_reloaded_or_requires_a_restart(
    client: httpx.Client,
) -> None:
    params = {"path": SYSTEM_MD}
    hot = client.put("/containers/wap-hot/files/write", params=params, content=b"x",
                     headers=OCTETS).json()  # fmt: skip
    cold = client.put("/containers/wap-cold/files/write", params=params, content=b"x",
                      headers=OCTETS).json()  # fmt: skip
    assert (hot["hotReloaded"], hot["reloadedFiles"], hot["restartRequired"]) == (
        True,
        [SYSTEM_MD],
        False,
    )
    assert (cold["hotReloaded"], cold["reloadedFiles"], cold["restartRequired"]) == (
        False,
        [],
        True,
    )


def test_if_match_guards_writes_and_deletes(client: httpx.Client) -> None:
    read = client.get("/containers/wap-hot/files/read", params={"path": SYSTEM_MD})
    stale = '"00000000000000000000000000000000"'
    params = {"path": SYSTEM_MD}
    refused = client.put("/containers/wap-hot/files/write", params=params, content=b"x",
                         headers={**OCTETS, "If-Match": stale})  # fmt: skip
    assert (refused.status_code, refused.json()["error"]) == (412, "precondition_failed")
    assert client.delete("/containers/wap-hot/files", params=params,
                         headers={"If-Match": stale}).status_code == 412  # fmt: skip
    missing = client.put("/containers/wap-hot/files/write", params={"path": "/app/nope"},
                         content=b"x", headers={**OCTETS, "If-Match": "*"})  # fmt: skip
    assert missing.status_code == 412
    deleted = client.delete("/containers/wap-hot/files", params=params,
                            headers={"If-Match": read.headers["etag"]})  # fmt: skip
    assert deleted.json() == {
        "path": SYSTEM_MD,
        "deleted": True,
        "hotReloaded": True,
        "reloadedFiles": [SYSTEM_MD],
        "restartRequired": False,
    }
    assert client.get("/containers/wap-hot/files/read", params=params).status_code == 404
    assert client.delete("/containers/wap-hot/files", params=params).status_code == 404


@pytest.mark.parametrize(
    ("method", "url", "path", "code"),
    [
        ("GET", "/files", SYSTEM_MD, "not_a_directory"),
        ("GET", "/files/read", "/app/instructions", "is_a_directory"),
        ("DELETE", "/files", "/app", "is_a_directory"),
        ("GET", "/files/read", "/app/../etc/passwd", "invalid_path"),
    ],
)
def test_file_operations_on_the_wrong_kind_of_path_are_400(
    client: httpx.Client, method: str, url: str, path: str, code: str
) -> None:
    response = client.request(method, f"/containers/wap-hot{url}", params={"path": path})
    assert (response.status_code, response.json()["error"]) == (400, code)


def test_listing_a_missing_directory_is_404(client: httpx.Client) -> None:
    response = client.get("/containers/wap-hot/files", params={"path": "/nowhere"})
    assert (response.status_code, response.json()["error"]) == (404, "not_found")


# -- env ----------------------------------------------------------------------
def test_env_patches_change_what_env_reports(client: httpx.Client) -> None:
    patched = client.patch(
        "/containers/wap-hot/env", json={"set": {"A": "1"}, "unset": ["LOG_LEVEL"]}
    )
    assert patched.json() == {"id": "wap-hot", "variables": {"A": "1"}, "restartRequired": True}
    assert client.get("/containers/wap-hot/env").json() == {
        "id": "wap-hot",
        "variables": {"A": "1"},
    }
    again = client.patch("/containers/wap-hot/env", json={"set": {"A": "1"}})
    assert again.json()["restartRequired"] is False


# -- logs ---------------------------------------------------------------------
def test_logs_honour_tail_since_and_timestamps(wap: WapStub, client: httpx.Client) -> None:
    wap.log("wap-hot", "marker one")
    cut = client.get("/containers/wap-hot/logs", params={"timestamps": "true", "tail": 1})
    stamp, text = cut.text.rstrip("\n").split(" ", 1)
    assert text == "marker one"
    wap.log("wap-hot", "marker two")
    assert log_lines(client, since=stamp) == ["marker one", "marker two"]
    assert log_lines(client, tail=1) == ["marker two"]
    assert len(log_lines(client)) > 2


async def test_following_logs_streams_new_lines_and_ends_when_the_container_stops(
    wap: WapStub,
) -> None:
    async with httpx.AsyncClient(base_url=wap.url, auth=wap.auth, timeout=10) as client:
        params = {"follow": "true", "tail": 1}
        async with client.stream("GET", "/containers/wap-hot/logs", params=params) as response:
            assert response.headers["content-type"] == "text/plain; charset=utf-8"
            assert response.headers["transfer-encoding"] == "chunked"
            lines = response.aiter_lines()
            first = await asyncio.wait_for(anext(lines), 5)
            wap.log("wap-hot", "live line")
            assert await asyncio.wait_for(anext(lines), 5) == "live line"
            assert (await client.post("/containers/wap-hot/stop")).status_code == 200
            rest = await asyncio.wait_for(_collect(lines), 5)
    assert first == "[agent] loaded instructions"
    assert rest == ["[wap] container stopped"]


async def _collect(lines: Any) -> list[str]:
    return [line async for line in lines]


def test_following_a_stopped_container_returns_its_lines_and_ends(client: httpx.Client) -> None:
    response = client.get("/containers/wap-cold/logs", params={"follow": "true"})
    assert response.text.splitlines()[-1] == f"[wap] container wap-cold created from {IMAGE}:1.4.2"


def test_following_ends_after_the_configured_maximum(wap: WapStub, client: httpx.Client) -> None:
    wap.reset(seed_with(followMaxSeconds=0.3))
    started = time.monotonic()
    response = client.get("/containers/wap-hot/logs", params={"follow": "true", "tail": 1})
    assert response.status_code == 200
    assert 0.25 < time.monotonic() - started < 3


# -- faults -------------------------------------------------------------------
def test_a_status_fault_answers_that_status_for_the_next_matching_calls_only(
    wap: WapStub, unchecked: httpx.Client
) -> None:
    wap.fault("status", "stopContainer", status=503, times=2)
    assert unchecked.get("/containers/wap-hot/health").status_code == 200
    for _ in range(2):
        failed = unchecked.post("/containers/wap-hot/stop")
        assert (failed.status_code, failed.json()["error"]) == (503, "internal_error")
    assert unchecked.post("/containers/wap-hot/stop").status_code == 200
    assert [c["status"] for c in wap.calls("stopContainer")] == [503, 503, 200]


def test_a_fault_without_operation_id_hits_any_call_and_may_carry_its_own_code(
    wap: WapStub, unchecked: httpx.Client
) -> None:
    wap.fault(status=409, error="update_in_progress", message="busy")
    response = unchecked.get("/containers/health")
    assert (response.status_code, response.json()) == (
        409,
        {"error": "update_in_progress", "message": "busy"},
    )


def test_a_delay_fault_sleeps_before_answering_normally(wap: WapStub, client: httpx.Client) -> None:
    wap.fault("delay", "getContainerHealth", delay_seconds=0.3)
    started = time.monotonic()
    assert client.get("/containers/wap-hot/health").status_code == 200
    assert time.monotonic() - started >= 0.3
    wap.fault("delay", "getContainerHealth", delay_seconds=2)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/containers/wap-hot/health", timeout=0.2)


def test_a_close_fault_drops_the_connection_without_an_answer(
    wap: WapStub, client: httpx.Client
) -> None:
    wap.fault("close", "getContainerStats")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/containers/wap-hot/stats")
    assert client.get("/containers/wap-hot/stats").status_code == 200
    assert wap.calls("getContainerStats")[0]["status"] is None


def test_a_garbage_fault_answers_a_non_json_500(wap: WapStub, unchecked: httpx.Client) -> None:
    wap.fault("garbage")
    response = unchecked.post("/containers/wap-hot/restart")
    assert response.status_code == 500
    assert not response.headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError):
        response.json()


BAD_FAULTS: list[Any] = [
    {"kind": "explode"},
    {"kind": "status", "operationId": "nope"},
    {"kind": "status", "times": 0},
    {"kind": "delay", "delaySeconds": -1},
    {"kind": "status", "status": 42},
    {"kind": "status", "colour": 1},
    [1],
]


def test_faults_can_be_listed_and_cleared_and_bad_ones_are_refused(wap: WapStub) -> None:
    wap.fault("status", "stopContainer")
    control = httpx.Client(base_url=wap.url + "/_stub")
    with control:
        assert [f["operationId"] for f in control.get("/faults").json()] == ["stopContainer"]
        control.delete("/faults")
        assert control.get("/faults").json() == []
        for bad in BAD_FAULTS:
            assert control.post("/faults", json=bad).status_code == 400, bad


# -- calls, reset and other controls ------------------------------------------
def test_calls_are_recorded_in_order_and_can_be_cleared(
    wap: WapStub, client: httpx.Client, anonymous: httpx.Client
) -> None:
    client.get("/containers/wap-hot/files", params={"path": "/app"})
    anonymous.post("/containers/wap-hot/restart")
    wap.log("wap-hot", "control calls are not recorded")
    calls = wap.calls()
    assert [(c["method"], c["path"], c["query"], c["operationId"], c["status"]) for c in calls] == [
        ("GET", "/containers/wap-hot/files", {"path": "/app"}, "listContainerFiles", 200),
        ("POST", "/containers/wap-hot/restart", {}, "restartContainer", 401),
    ]
    assert all(c["time"].endswith("Z") for c in calls)
    assert wap.calls("restartContainer") == calls[1:]
    wap.clear_calls()
    assert wap.calls() == []


def test_reset_restores_the_seed_and_clears_calls_and_faults(
    wap: WapStub, client: httpx.Client
) -> None:
    client.post("/containers/wap-hot/stop")
    wap.fault("status", "getContainerHealth")
    wap.reset(SEED)
    assert wap.calls() == []
    assert client.get("/containers/wap-hot/health").json()["status"] == "running"
    with httpx.Client(base_url=wap.url) as control:
        refused = control.post("/_stub/reset", json={"containers": [{"id": "x"}]})
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_request")


def test_forced_health_and_appended_lines_show_through_the_contract(
    wap: WapStub, client: httpx.Client
) -> None:
    wap.set_health("wap-hot", "unhealthy")
    assert client.get("/containers/wap-hot/health").json()["failingStreak"] == 3
    wap.set_health("wap-hot", None)
    assert client.get("/containers/wap-hot/health").json()["health"] == "healthy"
    with pytest.raises(AssertionError, match="404"):
        wap.log("wap-gone", "x")
    assert wap.state()["containers"][1]["id"] == "wap-cold"


# -- every declared answer, validated against the contract -------------------
def declared_answers() -> set[tuple[str, int]]:
    spec = yaml.safe_load((REPO_ROOT / "contracts" / "wap.yaml").read_text(encoding="utf-8"))
    return {
        (op["operationId"], int(status))
        for item in spec["paths"].values()
        for method, op in item.items()
        if method != "parameters"
        for status in op["responses"]
    }


W = f"/containers/{{id}}/files/write?path={SYSTEM_MD}"
OK_REQUESTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "getAllContainerHealth": ("GET", "/containers/health", {}),
    "restartContainer": ("POST", "/containers/{id}/restart", {}),
    "stopContainer": ("POST", "/containers/{id}/stop", {}),
    "startContainer": ("POST", "/containers/{cold}/start", {}),
    "updateContainerImage": (
        "POST", "/containers/{id}/update-image", {"json": {"image": IMAGE, "tag": "1.5.0"}}
    ),
    "listContainerFiles": ("GET", "/containers/{id}/files?path=/app", {}),
    "readContainerFile": ("GET", f"/containers/{{id}}/files/read?path={SYSTEM_MD}", {}),
    "writeContainerFile": ("PUT", W, {"content": b"x", "headers": OCTETS}),
    "deleteContainerFile": ("DELETE", f"/containers/{{id}}/files?path={SYSTEM_MD}", {}),
    "getContainerHealth": ("GET", "/containers/{id}/health", {}),
    "getContainerStats": ("GET", "/containers/{id}/stats", {}),
    "getContainerLogs": ("GET", "/containers/{id}/logs?tail=5&timestamps=true", {}),
    "getContainerEnv": ("GET", "/containers/{id}/env", {}),
    "updateContainerEnv": ("PATCH", "/containers/{id}/env", {"json": {"set": {"A": "1"}}}),
}  # fmt: skip
STALE = {"If-Match": '"00000000000000000000000000000000"'}
ERROR_REQUESTS: list[tuple[str, int, str, str, dict[str, Any]]] = [
    ("updateContainerImage", 400, "POST", "/containers/wap-hot/update-image", {"json": {}}),
    ("updateContainerImage", 422, "POST", "/containers/wap-hot/update-image",
     {"json": {"image": IMAGE, "tag": "0.0.1"}}),
    ("listContainerFiles", 400, "GET", f"/containers/wap-hot/files?path={SYSTEM_MD}", {}),
    ("readContainerFile", 400, "GET", "/containers/wap-hot/files/read?path=/app", {}),
    ("writeContainerFile", 400, "PUT", "/containers/wap-hot/files/write?path=/app",
     {"content": b"x", "headers": OCTETS}),
    ("writeContainerFile", 412, "PUT", W.format(id="wap-hot"),
     {"content": b"x", "headers": {**OCTETS, **STALE}}),
    ("deleteContainerFile", 400, "DELETE", "/containers/wap-hot/files?path=/app", {}),
    ("deleteContainerFile", 412, "DELETE", f"/containers/wap-hot/files?path={SYSTEM_MD}",
     {"headers": STALE}),
    ("getContainerLogs", 400, "GET", "/containers/wap-hot/logs?tail=10001", {}),
    ("updateContainerEnv", 400, "PATCH", "/containers/wap-hot/env", {"json": {}}),
    ("stopContainer", 409, "POST", "/containers/wap-cold/stop", {}),
    ("startContainer", 409, "POST", "/containers/wap-hot/start", {}),
]  # fmt: skip


def test_every_declared_answer_of_every_operation_is_produced_and_matches_the_contract(
    wap: WapStub, client: httpx.Client, anonymous: httpx.Client
) -> None:
    seen: set[tuple[str, int]] = set()

    def expect(op: str, status: int, response: httpx.Response) -> None:
        assert response.status_code == status, (op, response.text)
        assert wap.calls()[-1]["operationId"] == op
        validate_wap_response(response)  # the hook did too; this keeps the test self-evident
        seen.add((op, status))

    for op, (method, template, kwargs) in OK_REQUESTS.items():
        wap.reset(SEED)
        url = template.format(id="wap-hot", cold="wap-cold")
        ok = client.request(method, url, **kwargs)
        validate_wap_request(ok.request)  # the table itself must follow the contract
        expect(op, 200, ok)
        expect(op, 401, anonymous.request(method, url, **kwargs))
        wap.fault("status", op, status=500)
        expect(op, 500, client.request(method, url, **kwargs))
        if "{" in template:
            missing = template.format(id="wap-missing", cold="wap-missing")
            expect(op, 404, client.request(method, missing, **kwargs))
    for op, status, method, url, kwargs in ERROR_REQUESTS:
        wap.reset(SEED)
        expect(op, status, client.request(method, url, **kwargs))
    binary = client.get("/containers/wap-hot/files/read?path=/app/bin/blob")
    assert binary.headers["content-type"] == "application/octet-stream"
    wap.reset(seed_with(updateSeconds=0.5))
    body = {"json": {"image": IMAGE, "tag": "1.5.0"}}
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(client.post, "/containers/wap-hot/update-image", **body)
        time.sleep(0.2)
        expect("updateContainerImage", 409, client.post("/containers/wap-hot/update-image", **body))
        assert running.result().status_code == 200
    assert seen == declared_answers()


# -- the command line ---------------------------------------------------------
def test_credentials_default_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAP_USERNAME", "env-user")
    monkeypatch.setenv("WAP_PASSWORD", "env-pass")
    args = parse_args(["--port", "0"])
    assert (args.username, args.password, args.port, args.host) == (
        "env-user",
        "env-pass",
        0,
        "127.0.0.1",
    )


def test_the_command_refuses_to_start_without_credentials_or_with_a_bad_seed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.delenv("WAP_USERNAME", raising=False)
    monkeypatch.delenv("WAP_PASSWORD", raising=False)
    with pytest.raises(SystemExit) as missing:
        parse_args([])
    assert missing.value.code == 2
    bad = tmp_path / "seed.json"
    bad.write_text('{"containers": [{"id": "x"}]}')
    with pytest.raises(SystemExit, match="bad container in seed"):
        main(["--username", "u", "--password", "p", "--seed", str(bad)])
