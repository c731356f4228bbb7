"""On small documents: each schema feature the fast path does not compile sends the
operation (or just its body) back to openapi-core, next to the same document without it,
which the fast path handles; and what it does compile, it unmarshals as openapi-core does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import pytest

from service import errors
from service.http.contract import Contract, ValidRequest
from service.http.fastpath import compile_operations
from tests.integration.test_contract_fastpath import JSON, agree, both, same


def _spec(
    body: Any = None, param: Any = None, schemas: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": "op", "responses": {"200": {"description": "ok"}}}
    if param is not None:
        operation["parameters"] = [{"name": "q", "in": "query", "schema": param}]
    if body is not None:
        content = {"application/json": {"schema": body}}
        operation["requestBody"] = {"required": True, "content": content}
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"post": operation}},
        "components": {"schemas": dict(schemas or {})},
    }


def _object(prop: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"v": dict(prop)}}


def _body(spec: Mapping[str, Any], value: bytes) -> tuple[Any, Any]:
    contract = Contract(spec)
    fast, slow = both(contract, "op", {}, [], JSON, value)
    agree(fast, slow)
    return fast, slow


# What the review found: (the property's schema, a body openapi-core treats differently).
WHEN = b'{"v": "2026-11-29T05:00:00Z"}'
REVIEW = {
    "int32 range": ({"type": "integer", "format": "int32"}, b'{"v": 3000000000}'),
    "byte decoded": ({"type": "string", "format": "byte"}, b'{"v": "aGk="}'),
    "byte refused": ({"type": "string", "format": "byte"}, b'{"v": "not base64!"}'),
    "date-time parsed": ({"type": "string", "format": "date-time"}, WHEN),
    "nullable": ({"type": "string", "nullable": True}, b'{"v": "x"}'),
    "readOnly": ({"type": "string", "readOnly": True}, b'{"v": "x"}'),
    "writeOnly": ({"type": "string", "writeOnly": True}, b'{"v": "x"}'),
}


@pytest.mark.parametrize("name", REVIEW)
def test_a_body_keyword_the_fast_path_does_not_know_sends_the_body_to_openapi_core(
    name: str,
) -> None:
    prop, value = REVIEW[name]
    assert _body(_spec(body=_object(prop)), value)[0] is None
    # Without the keyword the same body takes the fast path: the keyword is what falls back.
    control = value if prop["type"] == "integer" else b'{"v": "x"}'
    fast, _ = _body(_spec(body=_object({"type": prop["type"]})), control)
    assert fast is not None


def test_openapi_core_unmarshals_those_formats_differently_from_plain_json() -> None:
    def formatted(kind: str, fmt: str, value: bytes) -> Any:
        return _body(_spec(body=_object({"type": kind, "format": fmt})), value)[1]

    decoded = formatted("string", "byte", b'{"v": "aGk="}')
    parsed = formatted("string", "date-time", b'{"v": "2026-11-29T05:00:00Z"}')
    refused = formatted("integer", "int32", b'{"v": 3000000000}')
    assert isinstance(decoded, ValidRequest) and decoded.body == {"v": "hi"}
    assert isinstance(parsed, ValidRequest) and isinstance(parsed.body["v"], datetime)
    assert isinstance(refused, errors.Unprocessable)


DATE = {"type": "string", "format": "date-time"}
TEXT = {"type": "string"}
NESTED: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "in items": lambda leaf: {"type": "array", "items": leaf},
    "in additionalProperties": lambda leaf: {"type": "object", "additionalProperties": leaf},
    "in a nested property": _object,
    "in an allOf branch": lambda leaf: {"allOf": [leaf]},
    "in a oneOf branch": lambda leaf: {"oneOf": [leaf, {"type": "integer"}]},
    "in an anyOf branch": lambda leaf: {"anyOf": [leaf, {"type": "integer"}]},
    "in not": lambda leaf: {"not": leaf},
    "in propertyNames": lambda leaf: {"type": "object", "propertyNames": leaf},
    "behind a $ref": lambda leaf: {"$ref": "#/components/schemas/Leaf"},
}


@pytest.mark.parametrize("where", NESTED)
def test_a_format_anywhere_in_a_body_schema_sends_the_body_to_openapi_core(where: str) -> None:
    def compiled(leaf: dict[str, Any]) -> Any:
        spec = _spec(body=_object(NESTED[where](leaf)), schemas={"Leaf": leaf})
        return compile_operations(spec)["op"]

    assert compiled(DATE).bodies is None
    assert compiled(DATE).try_validate({}, {}, {}, "application/json", b"{}") is None
    assert compiled(TEXT).try_validate({}, {}, {}, "application/json", b"{}") is not None


LOOSE = {"$ref": "#/components/schemas/Loose"}
# A schema feature the fast path leaves to openapi-core, and its nearest compiled twin.
FEATURES = [
    ({"oneOf": [{"type": "object"}], "discriminator": {"propertyName": "k"}}, {"oneOf": [{}]}),
    ({"type": "object", "x-model": "Thing"}, {"type": "object"}),
    ({"type": "object", "deprecated": True}, {"type": "object"}),
    ({"patternProperties": {"^a": TEXT}}, {"additionalProperties": TEXT}),
    ({"unevaluatedProperties": False}, {"additionalProperties": False}),
    ({"type": "array", "prefixItems": [TEXT]}, {"type": "array", "items": TEXT}),
    ({"if": {"required": ["a"]}, "then": {"required": ["b"]}}, {"required": ["a"]}),
    ({"$ref": "#/components/schemas/Missing"}, LOOSE),
    ({"$ref": "other.yaml#/Thing"}, LOOSE),
    ({**LOOSE, "maxLength": 10}, {**LOOSE, "description": "a loose string"}),
    ({"$ref": "#/components/schemas/Loop"}, {"items": LOOSE}),
    ({"properties": {"v": True}}, {"properties": {"v": {}}}),
    ({"properties": {"v": {"type": "integer", "default": "x"}}}, _object({"default": 1})),
    ({"oneOf": [{"properties": {"a": TEXT}}]}, {"oneOf": [{"required": ["a"]}]}),
    ({"type": "object", "default": {}}, {"type": "object"}),
    (_object({"type": "string", "pattern": "("}), _object({"type": "string", "pattern": "a"})),
]


@pytest.mark.parametrize(("feature", "twin"), FEATURES)
def test_other_schema_features_send_the_body_to_openapi_core(feature: Any, twin: Any) -> None:
    schemas = {"Loose": TEXT, "Loop": {"items": {"$ref": "#/components/schemas/Loop"}}}
    op = compile_operations(_spec(body=feature, schemas=schemas))["op"]
    assert op.bodies is None
    assert op.try_validate({}, {}, {}, "application/json", b"{}") is None
    assert compile_operations(_spec(body=twin, schemas=schemas))["op"].bodies is not None


def test_an_optional_body_the_fast_path_cannot_read_still_lets_a_bodiless_request_through() -> None:
    spec = _spec(body=_object(DATE))
    spec["paths"]["/x"]["post"]["requestBody"]["required"] = False
    op = compile_operations(spec)["op"]
    nothing = {"path": {}, "query": {}, "header": {}, "body": None}
    assert op.try_validate({}, {}, {}, "", b"") == nothing
    assert op.try_validate({}, {}, {}, "application/json", b'{"v": "2026-11-29T05:00:00Z"}') is None


@pytest.mark.parametrize(
    "param",
    [
        {"type": "integer", "format": "int32"},
        {"type": "string", "format": "byte"},
        {"type": "string", "format": "date"},
        {"type": "string", "nullable": True},
        {"type": "string", "deprecated": True},
        {"type": ["string", "null"]},
        {"type": "array", "items": {"type": "string"}},
        {"type": "string", "oneOf": [DATE]},
        {"type": "string", "format": "uuid", "default": "not-a-uuid"},
    ],
)
def test_a_parameter_schema_the_fast_path_does_not_know_leaves_the_operation_to_openapi_core(
    param: dict[str, Any],
) -> None:
    assert "op" not in compile_operations(_spec(param=param))
    assert "op" in compile_operations(_spec(param={"type": "string"}))


@pytest.mark.parametrize(
    "change",
    [{"deprecated": True}, {"allowEmptyValue": True}, {"style": "matrix"}, {"explode": False}],
)
def test_a_parameter_option_the_fast_path_does_not_know_leaves_the_operation_to_openapi_core(
    change: dict[str, Any],
) -> None:
    spec = _spec(param={"type": "string"})
    spec["paths"]["/x"]["post"]["parameters"][0].update(change)
    assert "op" not in compile_operations(spec)


def test_a_defaulted_date_time_parameter_is_unmarshalled_as_openapi_core_does() -> None:
    contract = Contract(_spec(param={**DATE, "default": "2026-11-29T05:00:00Z"}))
    fast, slow = both(contract, "op", {})
    assert fast is not None and isinstance(slow, ValidRequest)
    assert isinstance(fast["query"]["q"], datetime) and same(fast["query"], slow.query)


def test_nested_defaults_are_filled_in_as_openapi_core_does() -> None:
    inner = {"type": "object", "properties": {"n": {"type": "integer", "default": 5}}}
    body = {
        "type": "object",
        "properties": {
            "d": {**inner, "default": {}},
            "items": {"type": "array", "items": inner},
            "by": {"type": "object", "additionalProperties": inner},
            "ref": {"$ref": "#/components/schemas/Defaulted"},
        },
    }
    contract = Contract(_spec(body=body, schemas={"Defaulted": {"type": "string", "default": "r"}}))
    fast, slow = both(contract, "op", {}, [], JSON, b'{"items": [{}, {"n": 1}], "by": {"k": {}}}')
    assert fast is not None and isinstance(slow, ValidRequest)
    agree(fast, slow)
    five = {"n": 5}
    assert fast["body"] == {"d": five, "items": [five, {"n": 1}], "by": {"k": five}, "ref": "r"}


def test_a_filled_in_default_is_a_fresh_copy_each_time() -> None:
    spec = _spec(body={"properties": {"tags": {"type": "array", "default": []}}})
    op = compile_operations(spec)["op"]
    first = op.try_validate({}, {}, {}, "application/json", b"{}")
    assert first is not None and first["body"] == {"tags": []}
    first["body"]["tags"].append("mutated")
    again = op.try_validate({}, {}, {}, "application/json", b"{}")
    assert again is not None and again["body"] == {"tags": []}


def test_an_empty_query_value_falls_back_as_openapi_core_refuses_it() -> None:
    contract = Contract(_spec(param={"type": "string"}))
    fast, slow = both(contract, "op", {}, [("q", "")])
    assert fast is None and isinstance(slow, errors.BadRequest)
    fast, slow = both(contract, "op", {}, [("q", "x")])
    assert fast is not None and isinstance(slow, ValidRequest) and same(fast["query"], slow.query)


def test_an_operations_parameter_overrides_the_path_items_as_in_openapi_core() -> None:
    spec = _spec(param={"type": "string", "maxLength": 3})
    path_level = {"name": "q", "in": "query", "schema": {"type": "integer"}}
    spec["paths"]["/x"]["parameters"] = [path_level]
    contract = Contract(spec)
    for value, accepted in (("abc", True), ("abcd", False), ("12", True)):
        fast, slow = both(contract, "op", {}, [("q", value)])
        agree(fast, slow)
        assert (fast is not None) is accepted and isinstance(slow, ValidRequest) is accepted
        assert fast is None or fast["query"] == {"q": value}


# String parameters of only a pattern, lengths, an enum and the uuid format are first
# checked in plain Python (``fastpath._plain_string``): it must accept only what the
# validator accepts, and leave the rest to it.
_UUID_TEXT = "9b2f6c1e-4d3a-4f8b-a6e2-0c5d7e8f9a1b"
PLAIN = [
    ({"type": "string", "format": "uuid"}, _UUID_TEXT),
    ({"type": "string", "format": "uuid"}, _UUID_TEXT.upper()),
    ({"type": "string", "format": "uuid"}, "{" + _UUID_TEXT + "}"),
    ({"type": "string", "format": "uuid"}, "urn:uuid:" + _UUID_TEXT),
    ({"type": "string", "format": "uuid"}, _UUID_TEXT.replace("-", "")),
    ({"type": "string", "format": "uuid"}, _UUID_TEXT + "\n"),
    ({"type": "string", "format": "uuid"}, _UUID_TEXT[:-1] + "g"),
    ({"type": "string", "pattern": "^[a-z]+$"}, "abc"),
    ({"type": "string", "pattern": "^[a-z]+$"}, "abc\n"),
    ({"type": "string", "pattern": "b"}, "abc"),
    ({"type": "string", "minLength": 2, "maxLength": 3}, "ab"),
    ({"type": "string", "minLength": 2, "maxLength": 3}, "a"),
    ({"type": "string", "minLength": 2, "maxLength": 3}, "abcd"),
    ({"type": "string", "maxLength": 2}, "\U0001f600\U0001f600"),
    ({"type": "string", "enum": ["a", "b"]}, "b"),
    ({"type": "string", "enum": ["a", "b"]}, "c"),
    ({"type": "string", "enum": ["a", "b"], "pattern": "a"}, "b"),
]


@pytest.mark.parametrize(("param", "value"), PLAIN)
def test_a_plain_string_parameter_is_checked_as_the_validator_checks_it(
    param: dict[str, Any], value: str
) -> None:
    contract = Contract(_spec(param=param))
    compiled = contract._fast["op"]
    assert compiled.params[0].plain is not None  # the plain check is what is under test
    fast, slow = both(contract, "op", {}, [("q", value)])
    agree(fast, slow)
    assert (fast is None) == (not isinstance(slow, ValidRequest))


def test_a_string_parameter_with_other_keywords_has_no_plain_check() -> None:
    spec = _spec(param={"type": "string", "format": "date-time"})
    assert compile_operations(spec)["op"].params[0].plain is None
    spec = _spec(param={"type": "string", "enum": ["a", 1]})
    assert compile_operations(spec)["op"].params[0].plain is None
