"""``Contract.validate`` on hostile requests (issue 11): whole-string patterns, formats
and numbers, bounded JSON bodies, at most ``MAX_ERRORS`` errors worded in our words,
and a Content-Type openapi-core could not parse. Both paths, the fast one and
openapi-core, are held to the same rules (tests/integration/test_contract_fastpath*.py
show they agree)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pytest

from service import errors
from service.http.contract import ValidRequest, media_type
from service.http.fastpath import MAX_JSON_DEPTH, MAX_JSON_MEMBERS, json_beyond_limits, read_json
from service.http.schema_subset import MAX_ERRORS, ecma_pattern
from tests.integration.test_contract_fastpath import CONTRACT, FakeRequest
from tests.operations import ALICE_MAIN

ID = {"containerId": ALICE_MAIN}
MERGE = {"Content-Type": "application/merge-patch+json"}
JSON = {"Content-Type": "application/json"}


def validate(
    op_id: str,
    path: Mapping[str, str] = ID,
    query: Sequence[tuple[str, str]] = (),
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> ValidRequest:
    operation = CONTRACT.operations[op_id]
    request = FakeRequest(operation.method, query, headers or {}, body)
    return CONTRACT.validate(request, operation, path)  # type: ignore[arg-type]


def refused(*args: Any, **kwargs: Any) -> errors.ApiError:
    with pytest.raises(errors.ApiError) as caught:
        validate(*args, **kwargs)
    assert 400 <= caught.value.status < 500
    return caught.value


# -- whole strings ---------------------------------------------------------------------------


def test_a_pattern_ending_in_dollar_does_not_match_before_a_final_newline() -> None:
    assert ecma_pattern(r"^[A-Z]+$").search("PATH")
    assert not ecma_pattern(r"^[A-Z]+$").search("PATH\n")
    assert ecma_pattern(r"^a\$[$]$").search("a$$")  # escaped and in a class: a dollar


@pytest.mark.parametrize(
    ("op_id", "headers", "body", "field"),
    [
        ("patchAgentEnv", MERGE, b'{"PATH\\n": "/tmp"}', "body.PATH\n"),
        ("updateAgentVersion", JSON, b'{"tag": "1.5.0\\n"}', "body.tag"),
    ],
    ids=["env-name", "tag"],
)
def test_a_trailing_newline_breaks_a_body_pattern(
    op_id: str, headers: dict[str, str], body: bytes, field: str
) -> None:
    error = refused(op_id, headers=headers, body=body)
    assert (error.status, error.instance_code) == (422, "validation_failed")
    assert [e.field for e in error.errors] == [field]


@pytest.mark.parametrize(
    ("op_id", "query"),
    [
        ("getAgentLogs", [("since", "2026-01-01T00:00:00Z\n")]),
        ("getAgentLogs", [("since", "2026-11-29T23:59:60Z")]),  # a leap second isodate refuses
        ("getAgentLogs", [("since", "２026-01-01T00:00:00Z")]),  # a full-width digit
        ("getAgentLogs", [("tail", "5\n")]),
        ("getAgentLogs", [("tail", " 5")]),
        ("getAgentLogs", [("tail", "5_0")]),
        ("getAgentLogs", [("tail", "٥")]),  # an Arabic-Indic five: int() reads it
        ("listAgentEvents", [("since", "1\n")]),
    ],
    ids=repr,
)
def test_a_parameter_is_of_its_type_and_format_only_as_a_whole(
    op_id: str, query: list[tuple[str, str]]
) -> None:
    error = refused(op_id, query=query)
    assert (error.status, error.instance_code) == (400, "invalid_request")
    assert [e.field for e in error.errors] == [f"query.{query[0][0]}"]


def test_a_whole_date_time_still_reaches_the_handler_as_a_moment() -> None:
    valid = validate("getAgentLogs", query=[("since", "2026-11-29T05:00:00+01:00")])
    assert isinstance(valid.query["since"], datetime)


# -- JSON bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), "is nested"),
        ("[" * 100_000, "is nested"),
        (json.dumps([1] * (MAX_JSON_MEMBERS + 1)), "holds"),
        (json.dumps({str(i): i for i in range(MAX_JSON_MEMBERS + 1)}), "holds"),
        ('"a"' * (3 * MAX_JSON_MEMBERS), "holds"),
    ],
    ids=["deep", "deep-unterminated", "long-array", "wide-object", "many-strings"],
)
def test_a_body_beyond_the_json_limits_is_refused_before_it_is_parsed(text: str, why: str) -> None:
    assert (json_beyond_limits(text) or "").startswith(why)
    error = refused("patchAgentEnv", headers=MERGE, body=text.encode())
    assert (error.status, error.instance_code) == (422, "validation_failed")


@pytest.mark.parametrize(
    "text",
    [
        "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH,
        json.dumps({"a": "[" * 100 + "{" * 100 + ",,,,\\\"[[[["}),  # structure inside strings
        json.dumps([1] * (MAX_JSON_MEMBERS - 1)),
    ],
    ids=["as-deep-as-allowed", "brackets-in-strings", "as-long-as-allowed"],
)
def test_a_body_within_the_json_limits_passes_the_scan(text: str) -> None:
    assert json_beyond_limits(text) is None


@pytest.mark.parametrize(
    "raw",
    [b'{"A": "\\ud800"}', b'{"\\udfff": "x"}', b'{"A": "\xed\xa0\x80"}', b'{"A": NaN}',
     '{"A": "x"}'.encode("utf-16"), b'{"A": "\xc3\x28"}'],  # fmt: skip
    ids=["lone-high", "lone-low-name", "utf8-surrogate", "nan", "utf-16", "bad-utf8"],
)
def test_a_body_that_is_no_utf8_json_text_is_malformed(raw: bytes) -> None:
    with pytest.raises(ValueError):
        read_json(raw)
    error = refused("patchAgentEnv", headers=MERGE, body=raw)
    assert (error.status, error.instance_code) == (400, "malformed_body")


def test_a_surrogate_pair_is_one_character() -> None:
    assert read_json(b'{"A": "\\ud83d\\ude00"}') == {"A": "\U0001f600"}


def test_many_failing_variables_word_at_most_max_errors_in_our_words() -> None:
    body = {f"K{i}": f"{'x' * 1000}\u0001" for i in range(200)}  # a control character each
    error = refused("patchAgentEnv", headers=MERGE, body=json.dumps(body).encode())
    assert (error.status, error.instance_code) == (422, "validation_failed")
    assert 0 < len(error.errors) <= MAX_ERRORS
    assert "xxxxxxxxxx" not in error.detail and len(error.detail) < 4096


@pytest.mark.parametrize(
    ("op_id", "body", "field", "message"),
    [
        ("updateAgentVersion", {"tag": "1" * 1_000_000}, "body.tag", "has more than 128"),
        ("updateAgentVersion", {"tag": {"a": ["x" * 100_000]}}, "body.tag", "is not of type"),
        ("updateAgentVersion", ["x" * 1_000_000], "body", "is not of type object"),
        ("updateAgentVersion", {"tag": "1", "x" * 100_000: 1}, "body.xxx", "is not an allowed"),
        ("writeAgentFile", {"content": "x", "encoding": "b" * 1_000_000}, "body.encoding",
         "is not one of utf-8, base64"),
        ("writeAgentFile", {"content": ["x" * 1_000_000]}, "body.content", "is not of type"),
        ("patchAgentEnv", {"FOO": "x" * 5_000_000}, "body.FOO", "has more than 32768"),
        ("patchAgentEnv", {f"K{i}": "v" for i in range(201)}, "body", "has more than 200"),
        ("patchAgentEnv", {"A" * 129: "v"}, "body.AAA", "is not a valid property name"),
    ],  # fmt: skip
    ids=["long-tag", "tag-object", "array-body", "long-name", "long-encoding", "content-list",
         "long-value", "201-variables", "long-variable-name"],  # fmt: skip
)
def test_a_body_beyond_its_schemas_bounds_is_refused_cheaply_in_our_words(
    op_id: str, body: Any, field: str, message: str
) -> None:
    path = {**ID, "path": "app/data/x.txt"} if op_id == "writeAgentFile" else ID
    headers = MERGE if op_id == "patchAgentEnv" else JSON
    raw = json.dumps(body).encode()
    started = time.perf_counter()
    error = refused(op_id, path=path, headers=headers, body=raw)
    elapsed = time.perf_counter() - started
    assert (error.status, error.instance_code) == (422, "validation_failed")
    assert error.errors[0].field.startswith(field) and message in error.errors[0].message
    assert len(error.detail) < 1024  # the value is never quoted
    assert elapsed < 1  # generous: quoting such values in errors took tens of ms each


# -- Content-Type ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "read"),
    [
        ("application/json;", "application/json"),
        (" Application/JSON ; ", "application/json"),
        ("application/json; charset=UTF-8", "application/json; charset=utf-8"),
        ("application/merge-patch+json; value=1; mimetype=x", "application/merge-patch+json"),
        ("application/json; charset", None),
        ("application/json; charset=a=b", None),
        ("application/json; =x", None),
    ],
)
def test_a_content_type_is_read_as_both_paths_can(raw: str, read: str | None) -> None:
    assert media_type(raw) == read


def test_a_content_type_ending_in_a_semicolon_is_json() -> None:
    valid = validate("patchAgentEnv", headers={"Content-Type": "application/json;"},
                     body=b'{"LOG_LEVEL": "debug"}')  # fmt: skip
    assert valid.body == {"LOG_LEVEL": "debug"}


def test_a_content_type_with_a_broken_parameter_is_unsupported() -> None:
    error = refused("patchAgentEnv", headers={"Content-Type": "application/json; x"}, body=b"{}")
    assert (error.status, error.instance_code) == (415, "unsupported_media_type")
