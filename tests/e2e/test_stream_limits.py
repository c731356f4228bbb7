"""Long-lived streams cannot starve anyone: a per-account bound (429 beyond it), a WAP pool of
their own, and a slot freed as soon as the client goes away. Against wap_stub over HTTP."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import pytest

from service import demo
from service.settings import Settings, StreamLimits
from tests.conftest import running_service
from tests.operations import ALICE_MAIN, BOB_MAIN

ALICE_LOGS = f"/v1/agents/{ALICE_MAIN}/logs"
WAP_IDS = [c["wap_container_id"] for c in demo.CONTAINERS]
FOLLOW = {"tail": "1", "follow": "true"}


@contextmanager
def following(client: httpx.Client, headers: dict[str, str]) -> Iterator[httpx.Response]:
    """A followed log held open (its first event read) until the block ends."""
    with client.stream("GET", ALICE_LOGS, params=FOLLOW, headers=headers) as response:
        lines = response.iter_lines()  # held: closing the iterator would close the stream
        if response.status_code == 200:
            next(lines)
        yield response


def quick(client: httpx.Client, url: str, headers: dict[str, str]) -> float:
    started = time.monotonic()
    assert client.get(url, headers=headers).status_code == 200
    return time.monotonic() - started


def test_an_account_at_its_stream_bound_gets_429_and_others_are_unaffected(
    settings: Settings, token: Callable[..., str], wap_stub: Any
) -> None:
    for wap_id in WAP_IDS:
        wap_stub.log(wap_id, "a line to start with")
    alice = {"Authorization": f"Bearer {token('alice')}"}
    bob = {"Authorization": f"Bearer {token('bob')}"}
    limits = StreamLimits(per_account=2, max_seconds=60, idle_seconds=30)
    with running_service(settings.replace(streams=limits)) as service, ExitStack() as held:
        client = httpx.Client(base_url=service.url, timeout=10)
        held.enter_context(client)
        for _ in range(2):
            assert held.enter_context(following(client, alice)).status_code == 200

        refused = client.get(ALICE_LOGS, params=FOLLOW, headers=alice)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "too_many_streams"
        assert int(refused.headers["retry-after"]) > 0
        raw = client.get(
            f"/v1/agents/{ALICE_MAIN}/files/app/config/agent.yaml",
            headers={**alice, "Accept": "application/octet-stream"},
        )
        assert raw.status_code == 429  # a raw file read is a stream too

        # Alice's ordinary calls, and Bob's calls and streams, go on as usual.
        assert quick(client, f"/v1/agents/{ALICE_MAIN}/health", alice) < 2
        assert quick(client, f"/v1/agents/{BOB_MAIN}/health", bob) < 2
        with client.stream(
            "GET", f"/v1/agents/{BOB_MAIN}/logs", params=FOLLOW, headers=bob
        ) as bobs:
            assert bobs.status_code == 200


def test_a_client_that_goes_away_frees_its_slot_at_once(
    settings: Settings, token: Callable[..., str], wap_stub: Any
) -> None:
    for wap_id in WAP_IDS:
        wap_stub.log(wap_id, "a line to start with")
    alice = {"Authorization": f"Bearer {token('alice')}"}
    limits = StreamLimits(per_account=1, max_seconds=60, idle_seconds=30)
    with running_service(settings.replace(streams=limits)) as service:
        with httpx.Client(base_url=service.url, timeout=10) as first:
            with following(first, alice) as stream:
                assert stream.status_code == 200
                assert (
                    service.client.get(ALICE_LOGS, params=FOLLOW, headers=alice).status_code == 429
                )
        # The first client has closed its connection: the slot is free again within moments.
        deadline, status = time.monotonic() + 2, 0
        while time.monotonic() < deadline and status != 200:
            with following(service.client, alice) as again:
                status = again.status_code
        assert status == 200


def test_streams_wait_for_their_own_pool_and_never_for_the_calls_pool(
    settings: Settings, token: Callable[..., str], wap_stub: Any
) -> None:
    for wap_id in WAP_IDS:
        wap_stub.log(wap_id, "a line to start with")
    """With the streams' pool full, one more stream times out; ordinary calls still answer."""
    for wap_id in WAP_IDS:
        wap_stub.log(wap_id, "a line to start with")
    alice = {"Authorization": f"Bearer {token('alice')}"}
    bob = {"Authorization": f"Bearer {token('bob')}"}
    limits = StreamLimits(per_account=5, max_seconds=60, idle_seconds=30, wap_connections=2)
    timeouts = dataclasses.replace(settings.wap_timeouts, pool=0.3)  # a short wait
    changed = settings.replace(streams=limits, wap_timeouts=timeouts)
    with running_service(changed) as service, ExitStack() as held:
        client = held.enter_context(httpx.Client(base_url=service.url, timeout=10))
        for _ in range(2):
            assert held.enter_context(following(client, alice)).status_code == 200

        starved = client.get(ALICE_LOGS, params=FOLLOW, headers=alice)
        assert (starved.status_code, starved.json()["code"]) == (504, "wap_timeout")
        assert quick(client, f"/v1/agents/{ALICE_MAIN}/stats", alice) < 2
        assert quick(client, f"/v1/agents/{BOB_MAIN}/health", bob) < 2


def test_a_stream_that_ends_logs_no_error(
    settings: Settings,
    token: Callable[..., str],
    wap_stub: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A raw file read and a followed log that reaches its time limit end as streams do,
    without Sanic's "will not be sent" error (a streamed answer must not be returned too)."""
    wap_stub.log(WAP_IDS[0], "one line")
    alice = {"Authorization": f"Bearer {token('alice')}"}
    limits = StreamLimits(per_account=2, max_seconds=0.3, idle_seconds=30)
    caplog.set_level(logging.INFO)
    with running_service(settings.replace(streams=limits)) as service:
        with httpx.Client(base_url=service.url, timeout=10) as client:
            raw = client.get(
                f"/v1/agents/{ALICE_MAIN}/files/app/config/agent.yaml",
                headers={**alice, "Accept": "application/octet-stream"},
            )
            assert raw.status_code == 200 and raw.content
            followed = client.get(ALICE_LOGS, params=FOLLOW, headers=alice)
            assert followed.status_code == 200 and "event: end" in followed.text
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
