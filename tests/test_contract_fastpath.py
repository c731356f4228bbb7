"""The compiled fast path never accepts what openapi-core refuses, and agrees when both accept."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service import errors
from service.http.contract import Contract, SanicOpenAPIRequest, ValidRequest
from tests.operations import ALICE_MAIN

CONTRACT = Contract.load()


class _Headers(dict[str, str]):
    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


class FakeRequest:
    """Just what the contract adapter reads from a Sanic request."""

    def __init__(
        self, method: str, query: list[tuple[str, str]], headers: dict[str, str], body: bytes
    ):
        self.method = method
        self._query = query
        self.headers = _Headers({k.lower(): v for k, v in headers.items()})
        self.cookies: dict[str, str] = {}
        self.body = body

    def get_query_args(self, keep_blank_values: bool = True) -> list[tuple[str, str]]:
        return list(self._query)


def _both(
    op_id: str,
    path: dict[str, str],
    query: list[tuple[str, str]] = (),
    headers: Any = None,
    body: bytes = b"",
) -> tuple[Any, Any]:  # noqa: E501
    operation = CONTRACT.operations[op_id]
    request = FakeRequest(operation.method, list(query), dict(headers or {}), body)
    fast_op = CONTRACT._fast[op_id]
    q: dict[str, list[str]] = {}
    for k, v in query:
        q.setdefault(k, []).append(v)
    fast = fast_op.try_validate(
        path, q, request.headers, request.headers.get("content-type") or "", body
    )
    try:
        slow: Any = CONTRACT._unmarshaller.unmarshal_parameters_and_body(
            SanicOpenAPIRequest(request, operation, path)  # type: ignore[arg-type]
        )
    except errors.ApiError as exc:
        slow = exc
    return fast, slow


def _agree(fast: Any, slow: Any) -> None:
    if isinstance(slow, errors.ApiError):
        assert fast is None, f"fast path accepted what openapi-core refused: {slow.detail}"
    elif fast is not None:
        assert isinstance(slow, ValidRequest)
        assert (fast["path"], fast["query"], fast["header"], fast["body"]) == (
            slow.path,
            slow.query,
            slow.header,
            slow.body,
        )


ID = {"containerId": ALICE_MAIN}
CASES = [
    ("getAgentHealth", ID, [], {}, b""),
    ("getAgentHealth", {"containerId": "nope"}, [], {}, b""),
    ("getAgentHealth", {"containerId": ALICE_MAIN.upper()}, [], {}, b""),
    ("getAgentLogs", ID, [("tail", "5"), ("timestamps", "true")], {}, b""),
    ("getAgentLogs", ID, [("tail", "0")], {}, b""),
    ("getAgentLogs", ID, [("tail", "10001")], {}, b""),
    ("getAgentLogs", ID, [("tail", "")], {}, b""),
    ("getAgentLogs", ID, [("tail", "1"), ("tail", "2")], {}, b""),
    ("getAgentLogs", ID, [("since", "2026-11-29T05:00:00Z")], {}, b""),
    ("getAgentLogs", ID, [("since", "yesterday")], {}, b""),
    ("getAgentLogs", ID, [("follow", "1")], {}, b""),
    ("getAgentEnv", ID, [("reveal", "TRUE")], {}, b""),
    ("listAgentFiles", ID, [("path", "/app")], {}, b""),
    ("listAgentFiles", ID, [("path", "app")], {}, b""),
    ("listAgentFiles", ID, [("path", "")], {}, b""),
    ("updateAgentVersion", ID, [], {"Content-Type": "application/json"}, b'{"tag": "1.5.0"}'),
    (
        "updateAgentVersion",
        ID,
        [],
        {"Content-Type": "application/json"},
        b'{"tag": "1.5.0", "x": 1}',
    ),
    ("updateAgentVersion", ID, [], {"Content-Type": "application/json"}, b'{"tag": ""}'),
    ("updateAgentVersion", ID, [], {"Content-Type": "application/json"}, b"\xff"),
    ("updateAgentVersion", ID, [], {"Content-Type": "text/plain"}, b'{"tag": "1.5.0"}'),
    ("updateAgentVersion", ID, [], {}, b""),
    (
        "writeAgentFile",
        {**ID, "path": "app/x"},
        [],
        {"Content-Type": "application/json"},
        b'{"content": "x"}',
    ),  # noqa: E501
    (
        "writeAgentFile",
        {**ID, "path": "app/x"},
        [],
        {"Content-Type": "application/json", "If-Match": '"' + "a" * 32 + '"'},
        b'{"content": "x"}',
    ),  # noqa: E501
    (
        "writeAgentFile",
        {**ID, "path": "app/x"},
        [],
        {"Content-Type": "application/json", "If-Match": "W/x"},
        b'{"content": "x"}',
    ),  # noqa: E501
    (
        "writeAgentFile",
        {**ID, "path": "app/x"},
        [],
        {"Content-Type": "application/json"},
        b'{"content": "x", "encoding": "utf-16"}',
    ),  # noqa: E501
    (
        "patchAgentEnv",
        ID,
        [],
        {"Content-Type": "application/merge-patch+json"},
        b'{"A": "1", "B": null}',
    ),  # noqa: E501
    ("patchAgentEnv", ID, [], {"Content-Type": "application/merge-patch+json"}, b'{"1A": "1"}'),
    ("patchAgentEnv", ID, [], {"Content-Type": "application/merge-patch+json"}, b"{}"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_the_fast_path_agrees_with_openapi_core(case: Any) -> None:
    _agree(*_both(*case))


def test_the_fast_path_handles_the_hot_operations() -> None:
    fast, slow = _both("getAgentHealth", ID)
    assert fast is not None and isinstance(slow, ValidRequest)


@settings(max_examples=300, deadline=None)
@given(
    query=st.lists(
        st.tuples(
            st.sampled_from(["tail", "since", "timestamps", "follow", "other"]),
            st.one_of(
                st.text(max_size=12),
                st.integers(-5, 20000).map(str),
                st.sampled_from(["true", "false", "2026-11-29T05:00:00+01:00"]),
            ),
        ),
        max_size=4,
    )
)
def test_random_log_queries_never_slip_through(query: list[tuple[str, str]]) -> None:
    _agree(*_both("getAgentLogs", ID, query))


@settings(max_examples=200, deadline=None)
@given(body=st.one_of(st.binary(max_size=40), st.text(max_size=40).map(str.encode)))
def test_random_bodies_never_slip_through(body: bytes) -> None:
    _agree(*_both("updateAgentVersion", ID, [], {"Content-Type": "application/json"}, body))
