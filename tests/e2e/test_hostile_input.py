"""Hostile input against the running service (issue 11): every case of
``tests/corpus/hostile_requests.json`` sent as raw bytes over HTTP answers its 4xx
problem (never a 5xx, nothing logged as an error) and, where it says so, never reaches
WAP; the worst bodies one client can send leave another tenant's requests fast; WAP's
own words about a failure reach no client; and Socket.io clients sending garbage are
disconnected without a traceback.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

import aiohttp
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.http.contract import Contract, Operation
from service.settings import Settings
from tests.conftest import WAP_PASSWORD, WAP_USER, RunningService, running_service
from tests.fixtures.raw_http import RawAnswer, raw_request, send_raw
from tests.operations import ALICE_MAIN, BOB_MAIN

CORPUS = json.loads(
    (Path(__file__).resolve().parents[1] / "corpus" / "hostile_requests.json").read_text()
)["cases"]


def corpus_body(case: dict[str, Any]) -> bytes:
    if "body_base64" in case:
        return base64.b64decode(case["body_base64"])
    if "body_repeat" in case:
        r = case["body_repeat"]
        items = (r["item"].replace("{i}", str(i)) for i in range(r["times"]))
        return (r["head"] + r["sep"].join(items) + r["tail"]).encode()
    return str(case.get("body", "")).encode()


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, st_core: Any, wap_stub_server: Any
) -> Iterator[RunningService]:
    """One service for the module: no case changes what another sees (WAP Core is reset
    for each test by ``wap_stub``)."""
    from service import demo
    from service.adapters.database import DatabaseTarget
    from service.adapters.migrations import migrate
    from service.adapters.seeding import seed

    database = tmp_path_factory.mktemp("hostile") / "armory.db"
    target = DatabaseTarget.from_url(f"sqlite:///{database}")
    migrate(target)
    seed(target, demo.PROJECTS, demo.CONTAINERS, demo.CATALOGUE)
    settings = Settings.from_env(
        {
            "DATABASE_URL": f"sqlite:///{database}",
            "WAP_URL": wap_stub_server.url,
            "WAP_USERNAME": WAP_USER,
            "WAP_PASSWORD": WAP_PASSWORD,
            "SUPERTOKENS_CONNECTION_URI": st_core.url,
            "WAP_READ_TIMEOUT": "2",
        }
    )
    with running_service(settings) as running:
        yield running


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """Tracebacks logged, and our own (or the servers') errors: an unhandled error is both.
    (Engine.IO logs "Invalid session" at ERROR once per process, without a traceback.)"""
    caplog.set_level(logging.INFO)
    ours = ("armory", "service", "sanic", "uvicorn")

    def logged() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.exc_info or (r.levelno >= logging.ERROR and r.name.startswith(ours))
        ]

    return logged


@pytest.mark.parametrize("case", CORPUS, ids=[c["name"] for c in CORPUS])
def test_each_hostile_request_of_the_corpus_answers_its_problem(
    service: RunningService,
    wap_stub: Any,
    token: Callable[..., str],
    errors_logged: Callable[[], list[str]],
    case: dict[str, Any],
) -> None:
    tokens = {"{alice}": token("alice"), "{bob}": token("bob")}

    def filled(text: str) -> str:
        for name, value in tokens.items():
            text = text.replace(name, value)
        return text.replace("{container}", ALICE_MAIN)

    headers = [(name, filled(value)) for name, value in case["headers"]]
    if case["auth"]:
        headers.insert(0, ("Authorization", f"Bearer {tokens['{alice}']}"))
    wap_stub.clear_calls()

    answer = send_raw(
        service.url, raw_request(case["method"], filled(case["path"]), headers, corpus_body(case))
    )

    expected = case["expect"]
    assert answer.status == expected["status"], answer.body[:500]
    if expected["code"] is not None:
        problem = answer.problem()
        assert problem is not None, (answer.content_type, answer.body[:500])
        assert problem["code"] == expected["code"], problem
        assert len(answer.body) < 16 * 1024  # a bounded answer, whatever was sent
    if case["wap_untouched"]:
        assert wap_stub.calls() == []
    assert errors_logged() == []


# -- another tenant stays served -------------------------------------------------------------


def _worst_bodies() -> list[tuple[str, str, str, bytes]]:
    """(method, path, Content-Type, body): the costliest bodies found, a few MB at most."""
    env = f"/v1/agents/{ALICE_MAIN}/env"
    merge = "application/merge-patch+json"
    bad_keys = "{" + ",".join(f'"{i}":{i}' for i in range(40_000)) + "}"
    numbers = "[" + ",".join(["1"] * 1_000_000) + "]"
    long_value = '{"FOO": "' + "x" * 5_000_000 + '"}'
    controls = "{" + ",".join(f'"K{i}": "{"x" * 32_000}\\u0001"' for i in range(200)) + "}"
    return [
        ("PATCH", env, merge, bad_keys.encode()),
        ("PATCH", env, merge, numbers.encode()),
        ("PATCH", env, merge, long_value.encode()),
        ("PATCH", env, merge, controls.encode()),
        ("PATCH", env, merge, b"[" * 200_000),
        ("POST", f"/v1/agents/{ALICE_MAIN}/update-version", "application/json",
         b'{"tag": "' + b"1" * 5_000_000 + b'"}'),
    ]  # fmt: skip


def test_the_worst_bodies_of_one_client_leave_another_tenants_requests_fast(
    service: RunningService, token: Callable[..., str]
) -> None:
    alice = f"Bearer {token('alice')}"
    bob = {"Authorization": f"Bearer {token('bob')}"}
    attacks = [
        raw_request(method, path, [("Authorization", alice), ("Content-Type", media)], body)
        for method, path, media, body in _worst_bodies()
    ]
    done = threading.Event()
    answers: list[RawAnswer] = []

    def attack() -> None:
        while not done.is_set():
            for data in attacks:
                answers.append(send_raw(service.url, data))

    attacker = threading.Thread(target=attack, daemon=True)
    latencies: list[float] = []
    with httpx.Client(base_url=service.url, timeout=10) as client:
        client.get(f"/v1/agents/{BOB_MAIN}/health", headers=bob)  # warm
        attacker.start()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = client.get(f"/v1/agents/{BOB_MAIN}/health", headers=bob)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200
            time.sleep(0.02)
    done.set()
    attacker.join(timeout=30)

    assert len(answers) >= len(attacks), "the attack did not get through once"
    assert {a.status for a in answers} <= {400, 422}
    assert max(latencies) < 0.5, sorted(latencies)[-5:]


# -- WAP's words stay in our log -------------------------------------------------------------


def test_what_wap_says_of_its_failures_reaches_no_client(
    service: RunningService,
    wap_stub: Any,
    alice: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    words = "runtime wap-alice-researcher on node-7.internal:2375 is wedged"
    wap_stub.fault("status", "getContainerStats", status=500, error="internal", message=words)
    wap_stub.fault("status", "stopContainer", status=409, error="conflict", message=words)

    stats = service.client.get(f"/v1/agents/{ALICE_MAIN}/stats", headers=alice)
    stop = service.client.post(f"/v1/agents/{ALICE_MAIN}/stop", headers=alice)

    assert (stats.status_code, stats.json()["code"]) == (502, "wap_error")
    assert (stop.status_code, stop.json()["code"]) == (409, "conflict")
    for response in (stats, stop):
        assert "wedged" not in response.text and "node-7" not in response.text
    logged = [r.getMessage() for r in caplog.records if r.name.endswith("wap_errors")]
    assert len(logged) == 2 and all(words in m for m in logged)


# -- Socket.io ---------------------------------------------------------------------------------


GARBAGE_FRAMES = ["garbage", "4", "4x", "40{", '42[1,2', "42{}", "44{}", '42[7]', "4/nope,", "9"]


async def _websocket_answers(url: str, frame: str) -> list[Any]:
    """Open a websocket, send ``frame``, and gather what the server sends until it closes
    the websocket or the Engine.IO session (a ``1`` packet, on which a client closes)."""
    seen: list[Any] = []
    async with aiohttp.ClientSession() as session:
        ws_url = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        async with session.ws_connect(ws_url) as ws:
            seen.append((await ws.receive(timeout=5)).data)  # the open packet
            await ws.send_str(frame)
            while True:
                message = await ws.receive(timeout=5)
                if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    return [*seen, "closed"]
                seen.append(message.data)
                if message.data == "1":
                    return seen


@pytest.mark.parametrize("frame", GARBAGE_FRAMES)
def test_a_socket_sending_garbage_before_connecting_is_closed_without_a_traceback(
    service: RunningService, errors_logged: Callable[[], list[str]], frame: str
) -> None:
    seen = asyncio.run(_websocket_answers(service.sio_url, frame))

    assert seen[0].startswith("0{") and seen[-1] in ("1", "closed"), seen
    assert errors_logged() == []


def test_a_polling_session_sending_garbage_is_closed_without_a_traceback(
    service: RunningService, errors_logged: Callable[[], list[str]]
) -> None:
    with httpx.Client(base_url=service.sio_url + "/socket.io/", timeout=5) as client:
        opened = client.get("", params={"EIO": "4", "transport": "polling"})
        sid = json.loads(opened.text[1:])["sid"]
        session = {"EIO": "4", "transport": "polling", "sid": sid}
        for body in [b"garbage", b"\x00\xff", "40garbage{".encode(), b"4", b"42["]:
            answer = client.post("", params=session, content=body)
            assert answer.status_code in (200, 400)
        assert client.get("", params=session).status_code == 400  # the session is gone
    assert errors_logged() == []


# -- any bytes, per operation ------------------------------------------------------------------

AGENT_OPERATIONS = sorted(
    (op for op in Contract.load().operations.values() if op.path.startswith("/v1/agents")),
    key=lambda op: op.operation_id,
)
_TEXT = st.text(max_size=12) | st.sampled_from(["", "\n", "%0A", "%00", "%FF", "\ud800", "5\n"])
_MEDIA = st.sampled_from(
    ["application/json", "application/merge-patch+json", "application/json;", "text/plain",
     "application/json; charset", "application/json; charset=a=b", "application/json; value=1",
     "*/*", ""]
) | st.text(max_size=20)  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)


def _wire(text: str, raw: bool) -> bytes:
    """``text`` as a client may put it in a request line: percent-encoded, or as raw bytes."""
    data = text.encode("utf-8", "surrogatepass")
    return data if raw else quote_from_bytes(data, safe="/%").encode()


@st.composite
def _requests(draw: st.DrawFn, operation: Operation, token: str) -> bytes:
    raw = draw(st.booleans()) and draw(st.booleans())  # a quarter of the paths unencoded
    container = draw(st.sampled_from([ALICE_MAIN, ALICE_MAIN.upper()]) | _TEXT)
    target = _wire(operation.path.replace("{containerId}", container), raw)
    target = target.replace(b"%7Bpath%7D", _wire(draw(_TEXT), raw)).replace(b"{path}", b"x")
    query = draw(st.lists(st.tuples(st.sampled_from(["tail", "since", "path", "follow",
                                                     "reveal", "timestamps"]) | _TEXT, _TEXT),
                          max_size=3))  # fmt: skip
    if query:
        target += b"?" + b"&".join(_wire(k, raw) + b"=" + _wire(v, raw) for k, v in query)
    headers: list[tuple[str | bytes, str | bytes]] = [("Authorization", f"Bearer {token}")]
    if draw(st.booleans()):
        headers.append(("Content-Type", draw(_MEDIA).encode("utf-8", "surrogatepass")))
    if draw(st.booleans()):
        headers.append(("If-Match", draw(_TEXT).encode("utf-8", "surrogatepass")))
    body = draw(
        st.just(b"")
        | st.binary(max_size=64)
        | _JSON.map(lambda v: json.dumps(v).encode())
        | st.sampled_from([b'{"LOG_LEVEL": "debug"}', b'{"tag": "1.5.0"}', b'{"content": "x"}'])
    )
    method = draw(st.sampled_from([operation.method] * 4 + ["GET", "PATCH", "OPTIONS", "FOO"]))
    return raw_request(method, target, headers, body)


@pytest.mark.parametrize("operation", AGENT_OPERATIONS, ids=lambda op: op.operation_id)
@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_bytes_sent_to_an_operation_get_a_server_error_or_a_bare_4xx(
    service: RunningService, token: Callable[..., str], operation: Operation, data: st.DataObject
) -> None:
    request = data.draw(_requests(operation, token("alice")))
    answer = send_raw(service.url, request)
    assert answer.status < 500, (request[:300], answer.body[:300])
    if answer.status >= 400:
        problem = answer.problem()
        assert problem is not None and problem.get("code"), (request[:300], answer.body[:300])


def test_an_env_value_wap_holds_with_a_lone_surrogate_is_answered_escaped(
    service: RunningService, wap_stub: Any, alice: dict[str, str]
) -> None:
    from service import demo

    seed = demo.wap_seed()
    seed["containers"][0]["env"]["ODD"] = "a\ud800b"  # WAP's JSON carries it as \ud800
    escaped = json.dumps(seed)  # ASCII: httpx's json= cannot encode a lone surrogate
    httpx.post(f"{wap_stub.url}/_stub/reset", content=escaped, timeout=10).raise_for_status()

    response = service.client.get(
        f"/v1/agents/{ALICE_MAIN}/env", params={"reveal": "true"}, headers=alice
    )

    assert response.status_code == 200
    assert b'"a\\ud800b"' in response.content
