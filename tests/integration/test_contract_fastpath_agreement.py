"""Generated requests for every operation of ``openapi.yaml``, drawn from its own schemas.

Each case sets every parameter and the body from the operation's schemas: a valid
instance, one with one constraint broken (wrong type, out of range, too short or long,
pattern broken, a trailing newline, a missing required or extra property, a bad
property name…), arbitrary JSON or text, or raw bytes. For each, if the fast path
accepts, openapi-core accepts with the same values and types; if openapi-core refuses
(or fails), the fast path fell back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from service.http.contract import ValidRequest
from tests.integration.test_contract_fastpath import CONTRACT, agree, both

CASES_PER_OPERATION = 100
VALID_PER_OPERATION = 25
# A case is a whole request (bodies of up to 201 properties, 4095-character paths): on a
# loaded two-core machine drawing the first ones can take a third of the second
# hypothesis allows, so `too_slow` would flake; max_examples bounds the run time anyway.
# No example database: the run writes nothing into the working tree.
SETTINGS = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
Json = st.recursive(
    SCALARS | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


def _inline(node: Any) -> Any:
    """The document's schemas with local ``$ref``s replaced (it has no recursive ones)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = CONTRACT.spec
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            return _inline(target)
        return {k: _inline(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v) for v in node]
    return node


_ZONES = st.sampled_from([timezone.utc, timezone(timedelta(hours=1))])


def _string(s: Mapping[str, Any]) -> st.SearchStrategy[str]:
    low, high = s.get("minLength", 0), s.get("maxLength", 40)
    if s.get("format") == "uuid":
        return st.uuids().map(str)
    if s.get("format") == "date-time":
        return st.builds(
            lambda d, z: d.isoformat().replace("+00:00", z),
            st.datetimes(datetime(1970, 1, 1), datetime(2100, 1, 1), timezones=_ZONES),
            st.sampled_from(["Z", "+00:00"]),
        )
    if "pattern" in s:
        found = st.from_regex(s["pattern"], fullmatch=s["pattern"].endswith("$"))
        return found.filter(lambda x: low <= len(x) <= high)
    longest = st.text(min_size=high, max_size=high) if high <= 5000 else st.nothing()
    return st.text(min_size=low, max_size=min(high, 40)) | longest


def valid(s: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Instances of the schema ``s`` (inlined)."""
    if "const" in s:
        return st.just(s["const"])
    if "enum" in s:
        return st.sampled_from(s["enum"])
    if "oneOf" in s:
        return st.one_of([valid(b) for b in s["oneOf"]])
    kinds = s.get("type", ["null", "boolean", "integer", "string", "object"])
    strategies = []
    for kind in [kinds] if isinstance(kinds, str) else kinds:
        if kind == "string":
            strategies.append(_string(s))
        elif kind == "integer":
            strategies.append(st.integers(s.get("minimum"), s.get("maximum")))
        elif kind == "number":
            strategies.append(st.floats(s.get("minimum"), s.get("maximum"), allow_nan=False))
        elif kind == "boolean":
            strategies.append(st.booleans())
        elif kind == "null":
            strategies.append(st.none())
        elif kind == "array":
            strategies.append(st.lists(valid(s.get("items", {})), max_size=3))
        elif kind == "object":
            strategies.append(_object(s))
    return st.one_of(strategies)


def _object(s: Mapping[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    props = s.get("properties", {})
    required = set(s.get("required", []))
    fixed = st.fixed_dictionaries(
        {k: valid(v) for k, v in props.items() if k in required},
        optional={k: valid(v) for k, v in props.items() if k not in required},
    )
    extra = s.get("additionalProperties", True)
    if extra is False:
        return fixed
    names = _string(s.get("propertyNames", {})).filter(lambda n: n not in props)
    values = Json if extra is True else valid(extra)
    low = s.get("minProperties", 0)
    more = st.dictionaries(names, values, min_size=low, max_size=max(low, 3))
    limit = s.get("maxProperties", 10**9)
    return st.builds(lambda a, b: {**b, **a}, fixed, more).filter(lambda d: low <= len(d) <= limit)


def invalid(s: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Instances of ``s`` with one constraint broken (or meant to: some stay valid)."""
    wrong = st.sampled_from([None, True, 0, 1.5, "x", [], {}])
    broken: list[st.SearchStrategy[Any]] = [wrong]
    if "enum" in s:
        broken.append(st.sampled_from(s["enum"]).map(lambda v: f"{v}\n"))
        broken.append(st.text(max_size=10).filter(lambda v: v not in s["enum"]))
    kind = s.get("type")
    if kind == "string" or (isinstance(kind, list) and "string" in kind):
        good = _string(s)
        broken += [good.map(lambda v: v + "\n"), good.map(lambda v: " " + v), good.map(str.upper)]
        if s.get("minLength"):
            broken.append(st.text(min_size=s["minLength"] - 1, max_size=s["minLength"] - 1))
        if "maxLength" in s:
            broken.append(good.map(lambda v: v + "x" * (s["maxLength"] + 1 - len(v))))
        if "pattern" in s:
            broken.append(st.text(max_size=12).filter(lambda v: not re.search(s["pattern"], v)))
        if s.get("format") == "uuid":
            broken.append(st.uuids().map(lambda u: str(u).replace("-", "")))
            broken.append(st.uuids().map(lambda u: "{" + str(u) + "}"))
            broken.append(st.uuids().map(lambda u: f"urn:uuid:{u}"))
        if s.get("format") == "date-time":
            broken += [good.map(str.lower), good.map(lambda v: v[:10]), good.map(lambda v: v[:19])]
            broken.append(st.just("2026-11-29T23:59:60Z"))
    if kind in ("integer", "number"):
        for bound, step in (("minimum", -1), ("maximum", 1)):
            if bound in s:
                broken.append(st.just(s[bound] + step))
        broken.append(valid(s).map(lambda v: v + 0.5))
        broken.append(valid(s).map(float))
    if kind == "object":
        good_object = _object(s)
        for name in s.get("required", []):
            broken.append(good_object.map(lambda d, n=name: {k: v for k, v in d.items() if k != n}))
        for name, prop in s.get("properties", {}).items():
            broken.append(st.builds(lambda d, v, n=name: {**d, n: v}, good_object, invalid(prop)))
        extra = s.get("additionalProperties", True)
        if extra is not True:
            bad = invalid(extra) if extra is not False else Json
            broken.append(st.builds(lambda d, v: {**d, "EXTRA": v}, good_object, bad))
        if "propertyNames" in s:
            names = invalid(s["propertyNames"]).filter(lambda n: isinstance(n, str))
            broken.append(st.builds(lambda d, n: {**d, n: "v"}, good_object, names))
        if "maxProperties" in s:
            many = {f"V{i}": "v" for i in range(s["maxProperties"] + 1)}
            broken.append(st.just(many))
    return st.one_of(broken)


def case(s: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    return valid(s) | invalid(s) | Json


def _raw(value: Any) -> str:
    """How a JSON value could arrive as a parameter string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _param_raw(s: Mapping[str, Any]) -> st.SearchStrategy[str]:
    odd = ["", " ", "True", "FALSE", "1", "0", "yes", "off", "+5", "05", "\u0663", "5\n"]
    spellings = st.sampled_from(odd)
    return case(s).map(_raw) | spellings | st.text(max_size=12)


def _media_types(declared: list[str]) -> st.SearchStrategy[str]:
    exact = st.sampled_from(declared)
    odd = st.sampled_from(["", "text/plain", "application/json-patch+json", "*/*", "application/*"])
    variants = st.sampled_from(
        ["{}", "{}; charset=utf-8", "{};", "{}; value=1", " {}", "{} ", "{}; charset=utf-8; q=1"]
    )
    return exact | st.builds(str.format, variants, exact) | exact.map(str.upper) | odd


@dataclass(frozen=True)
class _Part:
    """One parameter (or the body) of an operation, with what to draw for it."""

    where: str  # path, query, header or body
    name: str
    good: st.SearchStrategy[Any]
    bad: st.SearchStrategy[Any]


@cache
def _parts(op_id: str) -> tuple[_Part, ...]:
    operation = CONTRACT.operations[op_id]
    item = CONTRACT.spec["paths"][operation.path]
    declared = item[operation.method.lower()]
    params = _inline([*declared.get("parameters", []), *item.get("parameters", [])])
    found = [
        _Part(p["in"], p["name"], valid(p["schema"]).map(_raw), _param_raw(p["schema"]))
        for p in {(p["name"], p["in"]): p for p in reversed(params)}.values()
    ]
    if "requestBody" in declared:
        content = _inline(declared["requestBody"])["content"]
        schemas = [c["schema"] for c in content.values()]
        instance = st.one_of([valid(s) for s in schemas])
        nan = instance.map(lambda v: json.dumps(v).replace("}", ', "x": NaN}'))
        text = st.one_of([case(s) for s in schemas]).map(json.dumps) | nan | st.text(max_size=20)
        good = st.tuples(st.sampled_from(sorted(content)), instance.map(json.dumps).map(str.encode))
        raw = text.map(str.encode) | st.binary(max_size=20)
        bad = st.tuples(_media_types(sorted(content)), raw)
        found.append(_Part("body", "", good, bad))
    return tuple(found)


@st.composite
def requests(draw: st.DrawFn, op_id: str, only_valid: bool = False) -> tuple[Any, ...]:
    """(path, query, headers, body) for ``op_id``: all valid, one part broken, or all."""
    parts = _parts(op_id)
    broken: set[_Part] = set()
    if not only_valid:
        broken = draw(st.sampled_from([set(), set(parts), *({part} for part in parts)]))
    path: dict[str, str] = {}
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    body = b""
    for part in parts:
        sent = part in broken or part.where == "path" or draw(st.booleans())
        if part.where == "body":
            media, body = draw(part.bad if part in broken else part.good)
            headers["Content-Type"] = media
        elif part.where == "path":
            path[part.name] = draw(part.bad if part in broken else part.good)
        elif part.where == "query" and part in broken:
            query += [(part.name, v) for v in draw(st.lists(part.bad, min_size=1, max_size=2))]
        elif part.where == "query" and sent:
            query.append((part.name, draw(part.good)))
        elif sent:
            # HTTP cannot carry a line break in a header value (werkzeug refuses one).
            value = draw(part.bad if part in broken else part.good)
            headers[part.name] = value.replace("\r", "").replace("\n", "")
    return path, query, headers, body


OPERATIONS = sorted(CONTRACT.operations)


@pytest.mark.parametrize("op_id", OPERATIONS)
@settings(SETTINGS, max_examples=CASES_PER_OPERATION)
@given(data=st.data())
def test_generated_requests_never_slip_through_and_agree_when_accepted(
    op_id: str, data: st.DataObject
) -> None:
    path, query, headers, body = data.draw(requests(op_id))
    fast, slow = both(CONTRACT, op_id, path, query, headers, body)
    event("openapi-core accepted" if isinstance(slow, ValidRequest) else "openapi-core refused")
    event("fast path accepted" if fast is not None else "fast path fell back")
    agree(fast, slow)


@pytest.mark.parametrize("op_id", OPERATIONS)
@settings(SETTINGS, max_examples=VALID_PER_OPERATION)
@given(data=st.data())
def test_generated_valid_requests_take_the_fast_path(op_id: str, data: st.DataObject) -> None:
    path, query, headers, body = data.draw(requests(op_id, only_valid=True))
    fast, slow = both(CONTRACT, op_id, path, query, headers, body)
    assert isinstance(slow, ValidRequest), slow
    assert fast is not None
    agree(fast, slow)


