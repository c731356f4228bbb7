"""CORS never hands credentials to an unlisted origin: listed origins get the cookie,
``*`` gets any origin without credentials, ``null`` never matches; Socket.io agrees."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from service.settings import Settings
from tests.conftest import RunningService, running_service
from tests.fixtures.sockets import Listener, Refused
from tests.operations import ALICE_MAIN

LISTED = "https://app.example"
OTHER = "https://other.example"


@pytest.fixture
def open_cors(settings: Settings) -> Iterator[RunningService]:
    configured = settings.replace(
        cors_origins=(LISTED, "*", "null"), cors_allow_headers=("sentry-trace",)
    )
    with running_service(configured) as running:
        yield running


def _preflight(service: RunningService, origin: str) -> Any:
    return service.client.options(
        f"/v1/agents/{ALICE_MAIN}/env",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "content-type, rid, sentry-trace",
        },
    )


def test_a_listed_origin_may_use_the_session_cookie(open_cors: RunningService) -> None:
    answer = _preflight(open_cors, LISTED)
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == LISTED
    assert answer.headers["access-control-allow-credentials"] == "true"
    allowed = {h.strip() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert {"rid", "content-type", "if-match", "sentry-trace"} <= allowed


def test_any_other_origin_gets_no_credentials_under_the_wildcard(
    open_cors: RunningService, alice: dict[str, str]
) -> None:
    answer = _preflight(open_cors, OTHER)
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers
    allowed = {h.strip() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert "rid" not in allowed and "sentry-trace" in allowed
    read = open_cors.client.get(
        f"/v1/agents/{ALICE_MAIN}/health", headers={**alice, "Origin": OTHER}
    )
    assert read.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in read.headers


def test_the_null_origin_never_matches_even_when_listed(open_cors: RunningService) -> None:
    answer = _preflight(open_cors, "null")
    assert "access-control-allow-origin" not in answer.headers


def test_without_the_wildcard_an_unlisted_origin_gets_no_cors_at_all(settings: Settings) -> None:
    with running_service(settings.replace(cors_origins=(LISTED,))) as running:
        answer = _preflight(running, OTHER)
        assert "access-control-allow-origin" not in answer.headers


async def test_socketio_takes_a_cookie_only_from_a_listed_origin(
    open_cors: RunningService, token: Any
) -> None:
    cookie = f"sAccessToken={token('alice')}"
    async with Listener.connect(
        open_cors.sio_url, headers={"Cookie": cookie, "Origin": LISTED}
    ) as alice:
        assert alice.connected
    with pytest.raises(Refused):
        async with Listener.connect(open_cors.sio_url, headers={"Cookie": cookie, "Origin": OTHER}):
            pass
    with pytest.raises(Refused):
        async with Listener.connect(
            open_cors.sio_url, headers={"Cookie": cookie, "Origin": "null"}
        ):
            pass
    # Under the wildcard another origin may connect with a token it sends itself.
    async with Listener.connect(
        open_cors.sio_url, token=token("alice"), headers={"Origin": OTHER}
    ) as alice:
        assert alice.connected


# --- the dev stack's defaults ---------------------------------------------------------------

VITE = "http://localhost:5173"


@pytest.fixture
def dev_cors(settings: Settings) -> Iterator[RunningService]:
    """The service with the CORS settings `armory-agents dev` reads."""
    dev = Settings.from_env({}, dev=True)
    configured = settings.replace(
        cors_origins=dev.cors_origins, cors_allow_headers=dev.cors_allow_headers
    )
    with running_service(configured) as running:
        yield running


async def test_the_dev_stack_lets_a_local_frontend_call_it_with_any_extra_header(
    dev_cors: RunningService, token: Any
) -> None:
    answer = dev_cors.client.options(
        f"/v1/agents/{ALICE_MAIN}/env",
        headers={
            "Origin": VITE,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "content-type,rid,sentry-trace,baggage,x-b3-traceid",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == VITE
    assert answer.headers["access-control-allow-credentials"] == "true"
    allowed = {h.strip() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert {"content-type", "rid", "sentry-trace", "baggage", "x-b3-traceid"} <= allowed
    assert "Access-Control-Request-Headers" in answer.headers["vary"]
    read = dev_cors.client.get(
        f"/v1/agents/{ALICE_MAIN}/health",
        headers={"Authorization": f"Bearer {token('alice')}", "Origin": VITE},
    )
    assert read.status_code == 200
    assert read.headers["access-control-allow-origin"] == VITE
    async with Listener.connect(
        dev_cors.sio_url, token=token("alice"), headers={"Origin": VITE}
    ) as alice:
        assert alice.connected
    # Another site is no local frontend: no CORS for it.
    assert "access-control-allow-origin" not in _preflight(dev_cors, OTHER).headers


def test_any_header_asked_is_allowed_but_session_headers_only_for_listed_origins(
    settings: Settings,
) -> None:
    configured = settings.replace(cors_origins=(LISTED, "*"), cors_allow_headers=("*",))
    with running_service(configured) as running:
        answer = _preflight(running, OTHER)  # asks for content-type, rid, sentry-trace
        allowed = {h.strip() for h in answer.headers["access-control-allow-headers"].split(",")}
        assert "sentry-trace" in allowed and "rid" not in allowed
        odd = running.client.options(
            f"/v1/agents/{ALICE_MAIN}/env",
            headers={
                "Origin": LISTED,
                "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "x-fine, bad header, *, x-also-fine",
            },
        )
        allowed = {h.strip() for h in odd.headers["access-control-allow-headers"].split(",")}
        assert {"x-fine", "x-also-fine"} <= allowed
        assert not {"bad header", "*"} & allowed
