"""The compiled fast path is a subset of openapi-core: it never accepts what openapi-core
refuses, and when it accepts it hands over exactly what openapi-core would.

This file holds the shared helpers and hand-picked cases against ``openapi.yaml``.
``test_contract_fastpath_fallback.py`` shows, on small documents, that each schema
feature the fast path does not compile sends the operation (or its body) back to
openapi-core; ``test_contract_fastpath_agreement.py`` draws cases from the schemas of
every operation of ``openapi.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest

from service.http.contract import Contract, SanicOpenAPIRequest, ValidRequest
from tests.operations import ALICE_MAIN

CONTRACT = Contract.load()
JSON = {"Content-Type": "application/json"}


class _Headers(dict[str, str]):
    """Case-insensitive lookups, as Sanic's headers do."""

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


class FakeRequest:
    """Just what the contract adapter reads from a Sanic request."""

    def __init__(
        self, method: str, query: Sequence[tuple[str, str]], headers: Mapping[str, str], body: bytes
    ) -> None:
        self.method = method
        self._query = list(query)
        self.headers = _Headers({k.lower(): v for k, v in headers.items()})
        self.cookies: dict[str, str] = {}
        self.body = body
        self.head = b""  # as under ASGI: the header values are looked at one by one

    def get_query_args(self, keep_blank_values: bool = True) -> list[tuple[str, str]]:
        return list(self._query)


def both(
    contract: Contract,
    op_id: str,
    path: Mapping[str, str],
    query: Sequence[tuple[str, str]] = (),
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> tuple[dict[str, Any] | None, ValidRequest | BaseException]:
    """The fast path's answer (None: not compiled or fell back) and openapi-core's."""
    operation = contract.operations[op_id]
    request = FakeRequest(operation.method, query, headers or {}, body)
    q: dict[str, list[str]] = {}
    for k, v in query:
        q.setdefault(k, []).append(v)
    compiled = contract._fast.get(op_id)
    fast = None
    if compiled is not None:
        content_type = request.headers.get("content-type") or ""
        fast = compiled.try_validate(path, q, request.headers, content_type, body)
    slow: ValidRequest | BaseException
    try:
        slow = contract._unmarshaller.unmarshal_parameters_and_body(
            SanicOpenAPIRequest(request, operation, path)  # type: ignore[arg-type]
        )
    except Exception as exc:  # an ApiError is a refusal; anything else is openapi-core failing
        slow = exc
    return fast, slow


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (and the same key order)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime):
        return a == b and type(a.tzinfo) is type(b.tzinfo) and a.utcoffset() == b.utcoffset()
    return bool(a == b)


def agree(fast: dict[str, Any] | None, slow: ValidRequest | BaseException) -> None:
    if not isinstance(slow, ValidRequest):
        assert fast is None, f"the fast path accepted what openapi-core refused: {slow!r}"
    elif fast is not None:
        for part in ("path", "query", "header", "body"):
            assert same(fast[part], getattr(slow, part)), (part, fast[part], getattr(slow, part))


ID = {"containerId": ALICE_MAIN}
FILE = {**ID, "path": "app/x"}
MERGE = {"Content-Type": "application/merge-patch+json"}
CHARSET = {"Content-Type": "application/json; charset=utf-8"}
CASES = [
    ("getAgentHealth", ID, [], {}, b""),
    ("getAgentHealth", {"containerId": "nope"}, [], {}, b""),
    ("getAgentHealth", {"containerId": ALICE_MAIN.upper()}, [], {}, b""),
    ("getAgentHealth", {"containerId": ALICE_MAIN + "\n"}, [], {}, b""),
    ("getAgentHealth", {"containerId": "{" + ALICE_MAIN + "}"}, [], {}, b""),
    ("getAgentLogs", ID, [("tail", "5"), ("timestamps", "true")], {}, b""),
    ("getAgentLogs", ID, [("tail", "0")], {}, b""),
    ("getAgentLogs", ID, [("tail", "10001")], {}, b""),
    ("getAgentLogs", ID, [("tail", "")], {}, b""),
    ("getAgentLogs", ID, [("tail", " 5")], {}, b""),
    ("getAgentLogs", ID, [("tail", "1"), ("tail", "2")], {}, b""),
    ("getAgentLogs", ID, [("since", "2026-11-29T05:00:00Z")], {}, b""),
    ("getAgentLogs", ID, [("since", "2026-11-29T05:00:00.123456789+01:00")], {}, b""),
    ("getAgentLogs", ID, [("since", "2026-11-29t05:00:00z")], {}, b""),
    ("getAgentLogs", ID, [("since", "2026-11-29T23:59:60Z")], {}, b""),
    ("getAgentLogs", ID, [("since", "yesterday")], {}, b""),
    ("getAgentLogs", ID, [("follow", "1")], {}, b""),
    ("getAgentEnv", ID, [("reveal", "TRUE")], {}, b""),
    ("listAgentEvents", ID, [("since", "9007199254740992")], {}, b""),
    ("listAgentFiles", ID, [("path", "/app")], {}, b""),
    ("listAgentFiles", ID, [("path", "app")], {}, b""),
    ("listAgentFiles", ID, [("path", "")], {}, b""),
    ("updateAgentVersion", ID, [], JSON, b'{"tag": "1.5.0"}'),
    ("updateAgentVersion", ID, [], JSON, b'{"tag": "1.5.0\\n"}'),
    ("updateAgentVersion", ID, [], JSON, b'{"tag": "1.5.0", "x": 1}'),
    ("updateAgentVersion", ID, [], JSON, b'{"tag": ""}'),
    ("updateAgentVersion", ID, [], JSON, b'{"tag": NaN}'),
    ("updateAgentVersion", ID, [], JSON, b"\xff"),
    ("updateAgentVersion", ID, [], JSON, '{"tag": "1.5.0"}'.encode("utf-16")),
    ("updateAgentVersion", ID, [], {"Content-Type": "text/plain"}, b'{"tag": "1.5.0"}'),
    ("updateAgentVersion", ID, [], {"Content-Type": " application/json"}, b'{"tag": "1"}'),
    ("updateAgentVersion", ID, [], {"Content-Type": "Application/JSON "}, b'{"tag": "1"}'),
    ("updateAgentVersion", ID, [], {"Content-Type": "application/json;"}, b'{"tag": "1"}'),
    ("updateAgentVersion", ID, [], {"Content-Type": "application/json; value=1"}, b'{"tag": "1"}'),
    ("updateAgentVersion", ID, [], {"Content-Type": "application/json; charset=UTF-8"}, b"{}"),
    ("updateAgentVersion", ID, [], {}, b""),
    ("writeAgentFile", FILE, [], JSON, b'{"content": "x"}'),
    ("writeAgentFile", FILE, [], {**JSON, "If-Match": '"' + "a" * 32 + '"'}, b'{"content": "x"}'),
    ("writeAgentFile", FILE, [], {**JSON, "If-Match": "W/x"}, b'{"content": "x"}'),
    ("writeAgentFile", FILE, [], JSON, b'{"encoding": "base64", "content": "eA=="}'),
    ("writeAgentFile", FILE, [], JSON, b'{"content": "x", "encoding": "utf-16"}'),
    ("patchAgentEnv", ID, [], MERGE, b'{"A": "1", "B": null}'),
    ("patchAgentEnv", ID, [], MERGE, b'{"1A": "1"}'),
    ("patchAgentEnv", ID, [], MERGE, b"{}"),
    ("patchAgentEnv", ID, [], {"Content-Type": MERGE["Content-Type"] + "; charset=utf-8"}, b"{}"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_the_fast_path_agrees_with_openapi_core(case: Any) -> None:
    agree(*both(CONTRACT, *case))


@pytest.mark.parametrize(
    "case",
    [
        ("getAgentHealth", ID, [], {}, b""),
        ("getAgentLogs", ID, [("since", "2026-11-29T05:00:00Z"), ("tail", "7")], {}, b""),
        ("writeAgentFile", FILE, [], {**JSON, "If-Match": "*"}, b'{"content": "x"}'),
        ("patchAgentEnv", ID, [], MERGE, b'{"A": "1", "B": null}'),
        ("updateAgentVersion", ID, [], CHARSET, b'{"tag": "1"}'),
    ],
    ids=lambda c: c[0],
)
def test_ordinary_requests_take_the_fast_path_with_openapi_cores_values(case: Any) -> None:
    fast, slow = both(CONTRACT, *case)
    assert fast is not None and isinstance(slow, ValidRequest)
    agree(fast, slow)


def test_every_operation_of_the_contract_is_compiled_bodies_included() -> None:
    assert set(CONTRACT._fast) == set(CONTRACT.operations)
    assert all(op.bodies is not None for op in CONTRACT._fast.values())


def test_a_uuid_parameter_is_a_uuid() -> None:
    fast, _ = both(CONTRACT, "getAgentHealth", ID)
    assert fast is not None and fast["path"] == {"containerId": UUID(ALICE_MAIN)}
