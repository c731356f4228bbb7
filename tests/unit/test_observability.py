"""Request ids, log lines and the metrics the inner layers keep (no network, no service)."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from service import errors, logging_setup, metrics
from service.domain import OwnedContainer
from service.events import AgentEvent
from service.http.metrics_route import presents
from service.realtime.eventlog import MemoryEventLog
from service.realtime.publisher import SocketIOEventPublisher
from service.request_context import (
    CURRENT,
    RequestContext,
    accepted_request_id,
    new_request_id,
)
from service.settings import Observability
from tests.unit.test_streams import ALICE, Upstream, gate


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# -- request ids -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given", ["a", "req-1", "0af7651916cd43dd8448eb211c80319c", "x.y:z_w-1", "Z" * 128]
)
def test_a_request_id_of_up_to_128_safe_characters_is_kept(given: str) -> None:
    assert accepted_request_id(given) == given


@pytest.mark.parametrize(
    "given", [None, "", "Z" * 129, "a b", "a/b", "a\nb", "ok\n", "é", "a;b", "<script>"]
)
def test_any_other_request_id_is_refused(given: str | None) -> None:
    assert accepted_request_id(given) is None


def test_a_new_request_id_is_random_hex() -> None:
    made = {new_request_id() for _ in range(100)}
    assert len(made) == 100
    assert all(len(i) == 32 and int(i, 16) >= 0 and accepted_request_id(i) == i for i in made)


# -- log lines ---------------------------------------------------------------------------


def _line(settings: Observability, **extra: Any) -> str:
    stream = io.StringIO()
    logger = logging.getLogger("armory.test.lines")
    handler = logging_setup.handler(settings, stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("hello %s", "there", extra=extra)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def test_a_json_line_has_time_level_logger_message_and_the_extras() -> None:
    token = CURRENT.set(RequestContext("req-9", 0.0))
    try:
        line = _line(Observability(log_format="json"), status=503)
    finally:
        CURRENT.reset(token)
    assert line.endswith("\n") and line.count("\n") == 1
    parsed = json.loads(line)
    assert list(parsed)[:4] == ["time", "level", "logger", "message"]
    assert parsed["level"] == "WARNING" and parsed["logger"] == "armory.test.lines"
    assert parsed["message"] == "hello there"
    assert parsed["status"] == 503
    assert parsed["requestId"] == "req-9"  # made while a request was served
    assert parsed["time"].endswith("Z") and "T" in parsed["time"]


@pytest.mark.parametrize("account", ["alice", 'quo"te\\back', "tab\tnew\nline\x00", "üñí €", None])
def test_an_access_line_is_the_json_the_general_formatter_writes(account: str | None) -> None:
    """The access log's own writer (the hot path) says what python-json-logger would:
    every field of ACCESS_FIELDS, in order, escaped alike."""
    fields = {
        "requestId": "req-1",
        "method": "GET",
        "operationId": "getAgentHealth",
        "account": account,
        "containerId": None,
        "status": 200,
        "durationMs": 1.25,
        "wapMs": 0.0,
    }
    record = logging.getLogger(logging_setup.ACCESS_LOGGER).makeRecord(
        logging_setup.ACCESS_LOGGER, logging.INFO, "", 0, "request", (), None, extra=fields
    )
    formatter = logging_setup.JsonLines()
    fast = formatter.format(record)
    general = super(logging_setup.JsonLines, formatter).format(record)
    assert fast == general
    assert list(json.loads(fast)) == [
        "time",
        "level",
        "logger",
        "message",
        *logging_setup.ACCESS_FIELDS,
    ]


def test_a_line_made_outside_a_request_has_no_request_id() -> None:
    token = CURRENT.set(None)
    try:
        parsed = json.loads(_line(Observability(log_format="json")))
    finally:
        CURRENT.reset(token)
    assert "requestId" not in parsed


def test_a_text_line_is_for_people() -> None:
    line = _line(Observability(log_format="text"), operationId="getAgentHealth", status=200)
    assert " WARNING armory.test.lines: hello there" in line
    assert line.rstrip().endswith("operationId=getAgentHealth status=200")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_configure_replaces_its_own_handler_and_sets_the_level() -> None:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        first = logging_setup.configure(Observability(log_level="DEBUG"), io.StringIO())
        second = logging_setup.configure(Observability(log_level="ERROR"), io.StringIO())
        assert first not in root.handlers and second in root.handlers
        assert root.level == logging.ERROR
        assert [h for h in root.handlers if h not in handlers] == [second]
    finally:
        root.removeHandler(second)
        root.setLevel(level)


# -- metrics kept by inner layers ------------------------------------------------------


async def test_open_streams_are_counted_until_closed() -> None:
    streams = gate(per_account=1)
    before = value("armory_streams_open")
    stream = await streams.open(ALICE, Upstream([]).open, on_limit="end")
    assert value("armory_streams_open") == before + 1
    with pytest.raises(errors.TooManyStreams):
        await streams.open(ALICE, Upstream([]).open, on_limit="end")
    assert value("armory_streams_open") == before + 1
    await stream.aclose()
    await stream.aclose()  # once
    assert value("armory_streams_open") == before


async def test_a_stream_that_fails_to_open_is_not_counted() -> None:
    async def failing() -> Any:
        raise errors.UpstreamUnavailable("no")

    before = value("armory_streams_open")
    with pytest.raises(errors.UpstreamUnavailable):
        await gate().open(ALICE, failing, on_limit="end")
    assert value("armory_streams_open") == before


class _Sio:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    async def emit(self, *args: Any, **kwargs: Any) -> None:
        if self.fail:
            raise ConnectionError("gone")


async def test_events_are_counted_by_type_once_emitted() -> None:
    container = OwnedContainer("c1", "alice", "p1", "w1", "armory/agent", "1.0.0", "running")
    event = AgentEvent.about(container, "agent-file-changed", path="/a", action="updated")
    before = value("armory_events_emitted_total", event="agent-file-changed")
    await SocketIOEventPublisher(_Sio(), MemoryEventLog(10)).publish(event)
    await SocketIOEventPublisher(_Sio(fail=True), MemoryEventLog(10)).publish(event)
    assert value("armory_events_emitted_total", event="agent-file-changed") == before + 1


# -- exposition and multiprocess mode -----------------------------------------------------


def test_this_process_exports_in_single_process_mode() -> None:
    assert not metrics.multiprocess_mode()
    text = metrics.exposition().decode()
    assert "# TYPE armory_http_requests_total counter" in text
    assert "process_cpu_seconds_total" in text
    assert "_created" not in text


def test_an_operators_multiprocess_directory_is_emptied_but_for_this_process(
    tmp_path: Path,
) -> None:
    own = tmp_path / f"counter_{os.getpid()}.db"
    left = [tmp_path / "counter_1.db", tmp_path / "gauge_livesum_2.db"]
    for path in (own, *left):
        path.write_bytes(b"x")
    env = {metrics.MULTIPROC_DIR: str(tmp_path)}
    assert metrics.prepare_multiprocess_dir(env) == tmp_path
    assert [p.name for p in tmp_path.iterdir()] == [own.name]
    assert env == {metrics.MULTIPROC_DIR: str(tmp_path)}


def test_without_one_a_new_directory_is_made_for_the_workers() -> None:
    env: dict[str, str] = {}
    made = metrics.prepare_multiprocess_dir(env)
    try:
        assert env[metrics.MULTIPROC_DIR] == str(made)
        assert made.is_dir() and list(made.iterdir()) == []
    finally:
        made.rmdir()


@pytest.mark.parametrize(
    ("authorization", "accepted"),
    [
        ("Bearer s3cret", True),
        ("bearer s3cret", True),
        ("BEARER  s3cret ", True),
        ("Bearer s3cre", False),
        ("Bearer s3cretx", False),
        ("Basic s3cret", False),
        ("s3cret", False),
        ("", False),
        (None, False),
        ("Bearer é", False),
    ],
)
def test_the_metrics_token_is_a_bearer_token(authorization: str | None, accepted: bool) -> None:
    assert presents(authorization, "s3cret") is accepted
