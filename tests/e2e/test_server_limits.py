"""Sanic's own limits, set from our settings, on the real server: bodies refused before
they are read, bounded request lines and headers, slow and idle clients dropped."""

from __future__ import annotations

import dataclasses
import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from service.settings import Settings
from tests.conftest import RunningService, running_service
from tests.operations import ALICE_MAIN


@pytest.fixture
def strict(settings: Settings) -> Iterator[RunningService]:
    limits = dataclasses.replace(
        settings.server,
        request_max_size=64 * 1024,
        request_timeout=1.0,
        keep_alive_timeout=1.0,
    )
    with running_service(settings.replace(server=limits)) as running:
        yield running


def _connect(service: RunningService) -> socket.socket:
    where = urlsplit(service.url)
    return socket.create_connection((where.hostname, where.port), timeout=10)


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _status_and_body(raw: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body.strip() else {}


def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(
    strict: RunningService, alice: dict[str, str]
) -> None:
    with _connect(strict) as sock:
        sock.sendall(
            f"PATCH /v1/agents/{ALICE_MAIN}/env HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: {alice['Authorization']}\r\n"
            "Content-Type: application/merge-patch+json\r\n"
            f"Content-Length: {1024**3}\r\n\r\n".encode()
        )
        # Not a byte of the declared gibibyte is sent: the answer comes anyway.
        status, problem = _status_and_body(_read_all(sock))
    assert status == 413
    assert problem["code"] == "payload_too_large"


def test_a_request_line_over_the_header_limit_answers_431(
    strict: RunningService, alice: dict[str, str]
) -> None:
    path = "/v1/agents/" + ALICE_MAIN + "/files/" + "a" * 20_000
    response = strict.client.get(path, headers=alice)
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "headers_too_large"


def test_a_client_that_never_finishes_its_request_is_dropped(strict: RunningService) -> None:
    with _connect(strict) as sock:
        sock.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        started = time.monotonic()
        raw = _read_all(sock)
        waited = time.monotonic() - started
    assert 0.5 < waited < 5, waited  # REQUEST_TIMEOUT is 1 s here
    assert raw == b"" or raw.startswith(b"HTTP/1.1 408")


def test_an_idle_kept_alive_connection_is_closed(strict: RunningService) -> None:
    with _connect(strict) as sock:
        sock.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        _read_all(sock)  # the rest of the answer, then the close
        assert time.monotonic() - started < 5  # KEEP_ALIVE_TIMEOUT is 1 s here


def test_a_handler_slower_than_the_response_timeout_answers_503_response_timeout(
    settings: Settings, wap_stub: Any, token: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """WAP slower than RESPONSE_TIMEOUT (here shorter than the WAP deadline): Sanic's
    own limit answers, as the contract's 503, and nothing logs a traceback."""
    limits = dataclasses.replace(settings.server, response_timeout=0.3)
    wap_stub.fault("delay", "getContainerHealth", delay_seconds=1.0)
    with running_service(settings.replace(server=limits)) as service:
        answer = service.client.get(
            f"/v1/agents/{ALICE_MAIN}/health",
            headers={"Authorization": f"Bearer {token('alice')}"},
        )
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "response_timeout"
    assert int(answer.headers["retry-after"]) >= 1
    assert not [r for r in caplog.records if r.exc_info]
