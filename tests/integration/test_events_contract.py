"""contracts/events.yaml checked as a document: the four events, strict payloads, the
connection messages, and no drift from the copies in openapi.yaml (the catch-up endpoint)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from service.events import (
    CONFIG_RELOADED,
    EVENT_NAMES,
    FILE_CHANGED,
    HEALTH_UPDATE,
    VERSION_UPDATE,
)
from service.wap_types import CONTAINER_STATUSES, HEALTH_STATUSES
from tests.fixtures.events import events_document, message, payload_validator

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.yaml"

# The spec's fields of each event (service/events.py), plus what the publisher stamps.
FIELDS = {
    FILE_CHANGED: {"containerId", "path", "action"},
    CONFIG_RELOADED: {"containerId", "files"},
    VERSION_UPDATE: {"containerId", "oldTag", "newTag", "status"},
    HEALTH_UPDATE: {"containerId", "status", "health", "resources"},
}
OPENAPI_COPIES = {
    FILE_CHANGED: "FileChangedEvent",
    CONFIG_RELOADED: "ConfigReloadedEvent",
    VERSION_UPDATE: "VersionUpdateEvent",
    HEALTH_UPDATE: "HealthUpdateEvent",
}
VALID = {
    "containerId": "a11ce000-0000-4000-8000-000000000001",
    "path": "/app/config/agent.yaml",
    "action": "created",
    "seq": 1,
    "time": "2026-11-29T10:15:00.123Z",
}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _lookup(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for token in ref[2:].split("/"):
        assert isinstance(node, dict) and token in node, f"{ref} does not resolve"
        node = node[token]
    return node


def _inline(doc: dict[str, Any], node: Any) -> Any:
    """The schema with every ``$ref`` replaced by its target and descriptions dropped."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(doc, _lookup(doc, node["$ref"]))
        notes = {"description", "title", "examples", "example"}
        return {
            k: _inline(doc, v)
            for k, v in node.items()
            if not (k in notes and not isinstance(v, dict))  # a property may be named so
        }
    if isinstance(node, list):
        return [_inline(doc, v) for v in node]
    return node


def test_the_document_is_asyncapi_3_and_every_reference_resolves() -> None:
    doc = events_document()
    assert doc["asyncapi"] == "3.0.0"
    refs = set(_refs(doc))
    assert len(refs) > 20
    for ref in refs:
        _lookup(doc, ref)
    for schema in doc["components"]["schemas"].values():
        Draft7Validator.check_schema(_inline(doc, schema))


def test_the_server_sends_exactly_the_four_events() -> None:
    doc = events_document()
    sent = {
        _lookup(doc, m["$ref"])["$ref"]
        for op in doc["operations"].values()
        if op["action"] == "send"
        for m in op["messages"]
    }
    names = {_lookup(doc, ref)["name"] for ref in sent}
    assert names == set(EVENT_NAMES) | {"connect_error"}


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_each_event_payload_is_strict_and_carries_seq_and_time(name: str) -> None:
    doc = events_document()
    schema = _inline(doc, message(name)["payload"])
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(schema["properties"]) == FIELDS[name] | {"seq", "time"}
    assert schema["properties"]["seq"] == {"type": "integer", "minimum": 1}
    assert schema["properties"]["time"] == {"type": "string", "format": "date-time"}
    assert schema["properties"]["containerId"] == {"type": "string", "format": "uuid"}


def test_health_updates_use_wap_status_and_health_values_and_the_three_resources_or_null() -> None:
    schema = _inline(events_document(), message(HEALTH_UPDATE)["payload"])
    assert schema["properties"]["status"]["enum"] == list(CONTAINER_STATUSES)
    assert schema["properties"]["health"]["enum"] == list(HEALTH_STATUSES)
    measured, nothing = schema["properties"]["resources"]["oneOf"]
    assert nothing == {"type": "null"}  # right after a lifecycle call
    assert measured["additionalProperties"] is False
    assert set(measured["required"]) == {"cpuPercent", "memoryBytes", "memoryLimitBytes"}


def test_every_message_example_matches_its_payload() -> None:
    checked = 0
    for key, msg in events_document()["components"]["messages"].items():
        validator = payload_validator(key)
        for example in msg.get("examples", []):
            errors = [e.message for e in validator.iter_errors(example["payload"])]
            assert errors == [], f"{key} {example['name']}: {errors}"
            checked += 1
    assert checked >= 9


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"seq": 0}, "seq starts at 1"),
        ({"seq": "1"}, "seq is an integer"),
        ({"time": "yesterday"}, "time is RFC 3339"),
        ({"containerId": "wap-alice"}, "never a WAP id"),
        ({"action": "renamed"}, "three actions"),
        ({"path": "relative/path"}, "absolute paths"),
        ({"extra": True}, "no other member"),
        ({"seq": None}, "seq is required"),
    ],
)
def test_a_payload_that_breaks_the_contract_is_refused(change: dict[str, Any], why: str) -> None:
    payload = {**VALID, **change}
    payload = {k: v for k, v in payload.items() if v is not None}
    validator = payload_validator(FILE_CHANGED)
    assert validator.is_valid(VALID)
    assert not validator.is_valid(payload), why


def test_a_refused_connect_and_the_re_authentication_answers_are_described() -> None:
    assert not payload_validator("ConnectError").is_valid({"message": "unauthorised"})
    ack = payload_validator("AuthenticateAck")
    assert ack.is_valid({"ok": True, "expiresAt": "2026-11-29T11:15:00Z"})
    assert ack.is_valid({"ok": False, "code": "unauthorised", "message": "no"})
    assert not ack.is_valid({"ok": True, "code": "unauthorised", "message": "no"})
    assert not ack.is_valid({"ok": False, "expiresAt": "2026-11-29T11:15:00Z"})


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_the_catch_up_endpoint_describes_each_event_as_the_asyncapi_document_does(
    name: str,
) -> None:
    openapi = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    copy = _inline(openapi, openapi["components"]["schemas"][OPENAPI_COPIES[name]])
    original = _inline(events_document(), message(name)["payload"])
    assert copy == original
    variants = openapi["components"]["schemas"]["AgentEvent"]["oneOf"]
    by_event = {v["properties"]["event"]["const"]: v["properties"]["data"] for v in variants}
    assert by_event[name] == {"$ref": f"#/components/schemas/{OPENAPI_COPIES[name]}"}
