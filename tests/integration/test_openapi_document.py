"""The public contract, openapi.yaml, checked as a document (no running service)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from service import errors

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
DOC_URI = "urn:armory:openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROBLEM_REF = "#/components/schemas/Problem"

# Every response status each operation must declare, and no other.
EXPECTED_STATUSES: dict[str, set[str]] = {
    "restartAgent": {"200", "400", "401", "431", "403", "409", "502", "504"},
    "stopAgent": {"200", "400", "401", "431", "403", "409", "502", "504"},
    "startAgent": {"200", "400", "401", "431", "403", "409", "502", "504"},
    "updateAgentVersion": {"200", "400", "401", "431", "403", "409", "415", "422", "502", "504"},
    "listAgentVersions": {"200", "400", "401", "431", "403"},
    "listAgentFiles": {"200", "400", "401", "431", "403", "404", "502", "504"},
    "readAgentFile": {"200", "400", "401", "429", "431", "403", "404", "413", "502", "504"},
    "writeAgentFile": {"200", "400", "401", "431", "403", "412", "413", "415", "422", "502", "504"},
    "deleteAgentFile": {"200", "400", "401", "431", "403", "404", "412", "502", "504"},
    "listAgents": {"200", "400", "401", "431"},
    "getAgentsHealth": {"200", "401", "431", "502", "504"},
    "getAgentHealth": {"200", "400", "401", "431", "403", "502", "504"},
    "getAgentStats": {"200", "400", "401", "431", "403", "502", "504"},
    "getAgentLogs": {"200", "400", "401", "429", "431", "403", "502", "504"},
    "getAgentEnv": {"200", "400", "401", "431", "403", "502", "504"},
    "patchAgentEnv": {"200", "400", "401", "431", "403", "415", "422", "502", "504"},
    "listAgentEvents": {"200", "400", "401", "431", "403"},
    "listAgentAudit": {"200", "400", "401", "431", "403"},
}
# Every operation reads the database (ownership, at least): 503 while it is unreachable.
for _statuses in EXPECTED_STATUSES.values():
    _statuses.add("503")
# The health probes: no session, so no 401; /readyz answers 503 `not_ready`, nothing else.
PROBES = {"getLiveness": {"200"}, "getReadiness": {"200", "503"}}
EXPECTED_STATUSES.update(PROBES)
# /metrics: no session either; 401 without its own bearer when METRICS_TOKEN is set, 404
# when METRICS_ENABLED=false.
METRICS = {"getMetrics": {"200", "401", "404"}}
EXPECTED_STATUSES.update(METRICS)
OUTSIDE_V1 = {**PROBES, **METRICS}

EXPECTED_ROUTES = {
    ("post", "/v1/agents/{containerId}/restart"): "restartAgent",
    ("post", "/v1/agents/{containerId}/stop"): "stopAgent",
    ("post", "/v1/agents/{containerId}/start"): "startAgent",
    ("post", "/v1/agents/{containerId}/update-version"): "updateAgentVersion",
    ("get", "/v1/agents/{containerId}/versions"): "listAgentVersions",
    ("get", "/v1/agents/{containerId}/files"): "listAgentFiles",
    ("get", "/v1/agents/{containerId}/files/{path}"): "readAgentFile",
    ("put", "/v1/agents/{containerId}/files/{path}"): "writeAgentFile",
    ("delete", "/v1/agents/{containerId}/files/{path}"): "deleteAgentFile",
    ("get", "/v1/agents"): "listAgents",
    ("get", "/v1/agents/health"): "getAgentsHealth",
    ("get", "/v1/agents/{containerId}/health"): "getAgentHealth",
    ("get", "/v1/agents/{containerId}/stats"): "getAgentStats",
    ("get", "/v1/agents/{containerId}/logs"): "getAgentLogs",
    ("get", "/v1/agents/{containerId}/env"): "getAgentEnv",
    ("patch", "/v1/agents/{containerId}/env"): "patchAgentEnv",
    ("get", "/v1/agents/{containerId}/events"): "listAgentEvents",
    ("get", "/v1/agents/{containerId}/audit"): "listAgentAudit",
    ("get", "/healthz"): "getLiveness",
    ("get", "/readyz"): "getReadiness",
    ("get", "/metrics"): "getMetrics",
}

# Probes answer for WAP themselves (/readyz: 503), never 502 or 504.
OPERATIONS_NOT_CALLING_WAP = {
    "listAgents",
    "listAgentVersions",
    "listAgentEvents",
    "listAgentAudit",
    *OUTSIDE_V1,
}


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    loaded = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _pointer(*tokens: str) -> str:
    return "".join("/" + _escape(t) for t in tokens)


def _lookup(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references are used: {ref}"
    node: Any = doc
    for raw in ref[2:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and token in node, f"{ref} does not resolve"
        node = node[token]
    return node


def _resolve(doc: dict[str, Any], node: Any, pointer: str) -> tuple[Any, str]:
    """Follow `$ref`s; return the target and its JSON pointer in the document."""
    while isinstance(node, dict) and "$ref" in node:
        pointer = node["$ref"][1:]
        node = _lookup(doc, node["$ref"])
    return node, pointer


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def _by_id(doc: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {op["operationId"]: (path, method, op) for path, method, op in _operations(doc)}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                assert isinstance(value, str)
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _validator(doc: dict[str, Any], pointer: str) -> Draft202012Validator:
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(DOC_URI, resource)
    return Draft202012Validator(
        {"$ref": f"{DOC_URI}#{pointer}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _examples(media: dict[str, Any]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if "example" in media:
        found.append(("example", media["example"]))
    for name, example in media.get("examples", {}).items():
        found.append((name, example["value"]))
    return found


def _media_with_examples(doc: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(operationId, where, example value) plus the pointer of the schema it must match."""
    for path, method, op in _operations(doc):
        op_id = op["operationId"]
        op_pointer = _pointer("paths", path, method)
        body = op.get("requestBody")
        if body is not None:
            body, body_pointer = _resolve(doc, body, op_pointer + "/requestBody")
            for media_type, media in body["content"].items():
                schema_pointer = body_pointer + _pointer("content", media_type, "schema")
                for name, value in _examples(media):
                    yield f"{op_id} request {media_type} {name}", schema_pointer, value
        for owner, owner_pointer in (
            (doc["paths"][path], _pointer("paths", path)),
            (op, op_pointer),
        ):
            for index, param in enumerate(owner.get("parameters", [])):
                param, param_pointer = _resolve(doc, param, f"{owner_pointer}/parameters/{index}")
                for name, value in _examples(param):
                    where = f"{op_id} parameter {param['name']} {name}"
                    yield where, param_pointer + "/schema", value
        for status, response in op["responses"].items():
            response, response_pointer = _resolve(
                doc, response, op_pointer + _pointer("responses", status)
            )
            for media_type, media in response.get("content", {}).items():
                schema_pointer = response_pointer + _pointer("content", media_type, "schema")
                for name, value in _examples(media):
                    yield f"{op_id} {status} {media_type} {name}", schema_pointer, value
            for header_name, header in response.get("headers", {}).items():
                header, header_pointer = _resolve(
                    doc, header, response_pointer + _pointer("headers", header_name)
                )
                for name, value in _examples(header):
                    yield (
                        f"{op_id} {status} header {header_name} {name}",
                        (header_pointer + "/schema"),
                        value,
                    )


def _refers_to_problem(schema: dict[str, Any]) -> bool:
    if schema.get("$ref") == PROBLEM_REF:
        return True
    return any(part.get("$ref") == PROBLEM_REF for part in schema.get("allOf", []))


def test_the_document_is_a_valid_openapi_3_1_document(doc: dict[str, Any]) -> None:
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_the_document_has_exactly_the_eighteen_operations_and_its_public_ones(
    doc: dict[str, Any],
) -> None:
    ids = [op["operationId"] for _, _, op in _operations(doc)]
    assert len(ids) == len(set(ids)), "operationIds are unique"
    assert set(ids) == set(EXPECTED_STATUSES)
    assert len(ids) == 18 + len(OUTSIDE_V1)
    outside_v1 = {op["operationId"] for path, _, op in _operations(doc) if path[:4] != "/v1/"}
    assert outside_v1 == set(OUTSIDE_V1)


def test_each_operation_lives_at_its_method_and_path(doc: dict[str, Any]) -> None:
    routes = {(method, path): op["operationId"] for path, method, op in _operations(doc)}
    assert routes == EXPECTED_ROUTES


def test_every_operation_but_the_probes_declares_a_401_response(doc: dict[str, Any]) -> None:
    missing = [op["operationId"] for _, _, op in _operations(doc) if "401" not in op["responses"]]
    assert sorted(missing) == sorted(PROBES)


def test_every_error_response_is_a_problem_json_document(doc: dict[str, Any]) -> None:
    wrong = []
    for _, _, op in _operations(doc):
        for status, response in op["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            response, _ = _resolve(doc, response, "")
            content = response.get("content", {})
            schema = content.get("application/problem+json", {}).get("schema")
            if set(content) != {"application/problem+json"} or schema is None:
                wrong.append(f"{op['operationId']} {status}: {sorted(content)}")
            elif not _refers_to_problem(schema):
                wrong.append(f"{op['operationId']} {status}: schema is not a Problem")
    assert wrong == []


def test_every_per_container_operation_declares_400_and_403(doc: dict[str, Any]) -> None:
    per_container = [op for path, _, op in _operations(doc) if "{containerId}" in path]
    assert len(per_container) == 16
    missing = [
        f"{op['operationId']} {status}"
        for op in per_container
        for status in ("400", "403")
        if status not in op["responses"]
    ]
    assert missing == []


def test_every_operation_that_calls_wap_declares_502_and_504(doc: dict[str, Any]) -> None:
    for _, _, op in _operations(doc):
        declared = {"502", "504"} & set(op["responses"])
        if op["operationId"] in OPERATIONS_NOT_CALLING_WAP:
            assert declared == set(), op["operationId"]
        else:
            assert declared == {"502", "504"}, op["operationId"]


@pytest.mark.parametrize("operation_id", sorted(EXPECTED_STATUSES))
def test_each_operation_declares_exactly_its_response_statuses(
    doc: dict[str, Any], operation_id: str
) -> None:
    _, _, op = _by_id(doc)[operation_id]
    assert set(op["responses"]) == EXPECTED_STATUSES[operation_id]


def test_error_responses_narrow_problem_codes_to_their_status(doc: dict[str, Any]) -> None:
    code_enum = set(doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"])
    for name, response in doc["components"]["responses"].items():
        narrowing = response["content"]["application/problem+json"]["schema"]["allOf"][1]
        status = narrowing["properties"]["status"]["const"]
        code = narrowing["properties"]["code"]
        codes = set(code.get("enum", [code.get("const")]))
        assert codes <= code_enum, name
        for error_class in _error_classes():
            # NotReady is answered by /readyz alone, whose 503 is its own (not a component).
            if error_class.status == status and error_class is not errors.NotReady:
                assert error_class.code in codes, f"{name} lacks {error_class.code}"


def _error_classes() -> list[type[errors.ApiError]]:
    found: list[type[errors.ApiError]] = []
    pending = [errors.ApiError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_problem_codes_cover_every_error_class(doc: dict[str, Any]) -> None:
    code_enum = set(doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"])
    class_codes = {cls.code for cls in _error_classes()}
    assert class_codes - code_enum == set()
    assert {"invalid_path", "anti_csrf_failed", "invalid_variable_name"} <= code_enum


def test_the_401_response_carries_the_supertokens_message(doc: dict[str, Any]) -> None:
    unauthorised = doc["components"]["responses"]["Unauthorised"]
    narrowing = unauthorised["content"]["application/problem+json"]["schema"]["allOf"][1]
    assert "message" in narrowing["required"]
    message = doc["components"]["schemas"]["Problem"]["properties"]["message"]
    assert set(message["enum"]) == {"unauthorised", "try refresh token"}
    assert "try refresh token" in unauthorised["description"]


def test_every_reference_resolves(doc: dict[str, Any]) -> None:
    refs = set(_refs(doc))
    assert len(refs) > 20
    for ref in refs:
        _lookup(doc, ref)


def test_every_component_is_used(doc: dict[str, Any]) -> None:
    refs = set(_refs(doc))
    unused = [
        f"#/components/{kind}/{name}"
        for kind in ("schemas", "responses", "parameters", "headers")
        for name in doc["components"][kind]
        if f"#/components/{kind}/{name}" not in refs
    ]
    assert unused == []


def test_both_security_schemes_are_accepted_everywhere(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearerAuth"]["description"],
    }
    assert "SuperTokens access token" in schemes["bearerAuth"]["description"]
    assert (schemes["cookieAuth"]["type"], schemes["cookieAuth"]["in"]) == ("apiKey", "cookie")
    assert schemes["cookieAuth"]["name"] == "sAccessToken"
    assert doc["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    overriding = {
        op["operationId"]: op["security"] for _, _, op in _operations(doc) if "security" in op
    }
    # Only the probes, with none, and /metrics: none, or its own token.
    assert overriding == {
        **{probe: [] for probe in PROBES},
        "getMetrics": [{}, {"metricsToken": []}],
    }
    assert schemes["metricsToken"]["type"] == "http"
    assert schemes["metricsToken"]["scheme"] == "bearer"
    assert "METRICS_TOKEN" in schemes["metricsToken"]["description"]
    assert "rid" in doc["info"]["description"]
    assert "Allow" in doc["info"]["description"]


def test_every_container_id_is_a_uuid_path_parameter(doc: dict[str, Any]) -> None:
    for path, item in doc["paths"].items():
        params = [_resolve(doc, p, "")[0] for p in item.get("parameters", [])]
        container_ids = [p for p in params if p["name"] == "containerId"]
        if "{containerId}" in path:
            assert len(container_ids) == 1, path
            param = container_ids[0]
            assert (param["in"], param["required"]) == ("path", True)
            assert param["schema"] == {"type": "string", "format": "uuid"}
        else:
            assert container_ids == [], path


def test_request_bodies_are_closed_objects(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    assert schemas["UpdateVersionRequest"]["additionalProperties"] is False
    assert schemas["UpdateVersionRequest"]["required"] == ["tag"]
    assert schemas["WriteFileRequest"]["additionalProperties"] is False
    assert schemas["WriteFileRequest"]["required"] == ["content"]
    assert schemas["WriteFileRequest"]["properties"]["encoding"]["default"] == "utf-8"
    env = schemas["EnvPatch"]
    assert (env["minProperties"], env["maxProperties"]) == (1, 200)
    assert env["additionalProperties"]["oneOf"][1] == {"type": "null"}
    _, _, patch = _by_id(doc)["patchAgentEnv"]
    assert set(patch["requestBody"]["content"]) == {
        "application/merge-patch+json",
        "application/json",
    }


@pytest.mark.parametrize(
    ("schema_name", "instance", "valid"),
    [
        ("UpdateVersionRequest", {"tag": "1.5.0"}, True),
        ("UpdateVersionRequest", {"tag": "-rc"}, False),
        ("UpdateVersionRequest", {"tag": "1.5.0", "force": True}, False),
        ("WriteFileRequest", {"content": "x", "encoding": "base64"}, True),
        ("WriteFileRequest", {"content": "x", "encoding": "latin-1"}, False),
        ("WriteFileRequest", {}, False),
        ("EnvPatch", {"LOG_LEVEL": "debug", "OLD": None}, True),
        ("EnvPatch", {}, False),
        ("EnvPatch", {"1BAD": "x"}, False),
        ("EnvPatch", {"N": 1}, False),
        ("EnvPatch", {f"V{i}": "x" for i in range(201)}, False),
        ("EnvPatch", {"N": "x" * 32769}, False),
    ],
)
def test_request_and_response_schemas_accept_and_refuse_what_they_should(
    doc: dict[str, Any], schema_name: str, instance: Any, valid: bool
) -> None:
    validator = _validator(doc, _pointer("components", "schemas", schema_name))
    assert validator.is_valid(instance) is valid


def test_a_version_update_outcome_is_never_in_progress(doc: dict[str, Any]) -> None:
    example = dict(doc["components"]["schemas"]["VersionUpdateOutcome"]["examples"][0])
    validator = _validator(doc, "/components/schemas/VersionUpdateOutcome")
    assert validator.is_valid(example)
    assert not validator.is_valid({**example, "status": "updating", "finishedAt": None})


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ('"9f86d081884c7d659a2feaa0c55ad015"', True),
        ("*", True),
        ('W/"abc"', False),
        ("abc", False),
        ('"a", "b"', False),
    ],
)
def test_if_match_takes_one_strong_entity_tag_or_a_star(
    doc: dict[str, Any], value: str, valid: bool
) -> None:
    validator = _validator(doc, "/components/parameters/IfMatch/schema")
    assert validator.is_valid(value) is valid


def test_the_update_history_may_show_an_update_still_running(doc: dict[str, Any]) -> None:
    example = doc["components"]["schemas"]["VersionUpdate"]["examples"][0]
    running = {**example, "status": "updating", "finishedAt": None, "error": None}
    assert _validator(doc, "/components/schemas/VersionUpdate").is_valid(running)


def test_the_file_path_parameter_is_bounded(doc: dict[str, Any]) -> None:
    path, _, _ = _by_id(doc)["readAgentFile"]
    params = [_resolve(doc, p, "")[0] for p in doc["paths"][path]["parameters"]]
    (file_path,) = [p for p in params if p["name"] == "path"]
    assert file_path["in"] == "path"
    # Without its leading slash: 1023 characters make the 1024 the Limits section allows.
    assert file_path["schema"] == {"type": "string", "minLength": 1, "maxLength": 1023}
    assert "%2F" in file_path["description"]


def test_reading_a_file_answers_json_or_raw_bytes_with_an_etag(doc: dict[str, Any]) -> None:
    for op_id, media_types in {
        "readAgentFile": {"application/json", "application/octet-stream"},
        "writeAgentFile": {"application/json"},
    }.items():
        _, _, op = _by_id(doc)[op_id]
        ok = op["responses"]["200"]
        assert set(ok["content"]) == media_types, op_id
        etag, _ = _resolve(doc, ok["headers"]["ETag"], "")
        assert etag["required"] is True


def test_logs_answer_json_or_an_event_stream(doc: dict[str, Any]) -> None:
    _, _, op = _by_id(doc)["getAgentLogs"]
    assert set(op["responses"]["200"]["content"]) == {"application/json", "text/event-stream"}
    params = {p["name"]: p["schema"] for p in op["parameters"]}
    assert params["tail"] == {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}
    assert params["since"] == {"type": "string", "format": "date-time"}
    assert params["timestamps"] == {"type": "boolean", "default": False}
    assert params["follow"] == {"type": "boolean", "default": False}


def test_no_schema_uses_the_openapi_3_0_nullable_keyword(doc: dict[str, Any]) -> None:
    assert re.search(r"^\s*nullable:", SPEC_PATH.read_text(encoding="utf-8"), re.M) is None


def test_every_operation_shows_an_example_of_its_success_answer(doc: dict[str, Any]) -> None:
    with_examples = {
        where.split()[0] for where, _, _ in _media_with_examples(doc) if " 200 " in where
    }
    assert with_examples == set(EXPECTED_STATUSES)


def test_every_example_matches_its_schema(doc: dict[str, Any]) -> None:
    checked = 0
    failures = []
    for where, schema_pointer, value in _media_with_examples(doc):
        errors_found = [e.message for e in _validator(doc, schema_pointer).iter_errors(value)]
        if errors_found:
            failures.append(f"{where}: {errors_found}")
        checked += 1
    for name, schema in doc["components"]["schemas"].items():
        validator = _validator(doc, _pointer("components", "schemas", name))
        for value in schema.get("examples", []):
            if not validator.is_valid(value):
                failures.append(f"schema {name}: {value!r}")
            checked += 1
    assert failures == []
    assert checked > 60


def test_the_readiness_probe_names_each_part_and_its_503_is_not_ready(doc: dict[str, Any]) -> None:
    _, _, op = _by_id(doc)["getReadiness"]
    failing = op["responses"]["503"]["content"]["application/problem+json"]["schema"]["allOf"][1]
    assert failing["properties"]["code"] == {"const": "not_ready"}
    assert "checks" in failing["required"]
    checks = doc["components"]["schemas"]["ReadinessChecks"]
    assert set(checks["required"]) == {"database", "wap", "redis"}
    ready = _validator(doc, "/components/schemas/Readiness")
    assert ready.is_valid(
        {"status": "ready", "checks": {"database": "ok", "wap": "ok", "redis": "not configured"}}
    )
    assert not ready.is_valid(
        {"status": "ready", "checks": {"database": "ok", "wap": "failed", "redis": "ok"}}
    )


def test_the_audit_trail_lists_every_audited_action_and_bounds_its_pages(
    doc: dict[str, Any],
) -> None:
    from service import audit
    from service.usecases.audit import DEFAULT_LIMIT, MAX_LIMIT

    schemas = doc["components"]["schemas"]
    assert schemas["AuditAction"]["enum"] == list(audit.ACTIONS)
    assert schemas["AuditEntry"]["properties"]["outcome"]["enum"] == list(audit.OUTCOMES)
    assert set(schemas["AuditEntry"]["required"]) == set(schemas["AuditEntry"]["properties"])
    _, _, op = _by_id(doc)["listAgentAudit"]
    params = {p["name"]: p["schema"] for p in op["parameters"]}
    assert params["limit"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_LIMIT,
        "default": DEFAULT_LIMIT,
    }
    assert params["action"] == {"$ref": "#/components/schemas/AuditAction"}
    assert params["cursor"] == {"type": "string", "pattern": "^[A-Za-z0-9_-]{32}$"}
    target = _validator(doc, "/components/schemas/AuditTarget")
    assert target.is_valid({"names": {"set": ["A"], "unset": []}})
    assert not target.is_valid({"names": {"A": "a value"}})  # names, never values


def test_the_agent_listing_bounds_its_pages_as_the_use_case_does_and_says_all_a_ui_needs(
    doc: dict[str, Any],
) -> None:
    from service.usecases.agents import DEFAULT_LIMIT, MAX_LIMIT, encode_cursor
    from tests.operations import ALICE_MAIN

    _, _, op = _by_id(doc)["listAgents"]
    params = {p["name"]: p["schema"] for p in op["parameters"]}
    assert params["limit"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_LIMIT,
        "default": DEFAULT_LIMIT,
    }
    assert re.fullmatch(params["cursor"]["pattern"].strip("^$"), encode_cursor(ALICE_MAIN))
    summary = doc["components"]["schemas"]["AgentSummary"]
    assert (
        set(summary["required"])
        == set(summary["properties"])
        >= {
            "containerId",
            "projectId",
            "image",
            "tag",
            "status",
            "health",
            "capabilities",
            "supportsHotReload",
            "instructionsDir",
            "fileRoots",
        }
    )
    assert "unknown" in summary["properties"]["status"]["enum"]
    assert "unknown" in summary["properties"]["health"]["enum"]
    item = _validator(doc, "/components/schemas/AgentSummary")
    [example] = summary["examples"]
    assert item.is_valid({**example, "capabilities": [], "fileRoots": []})
    assert not item.is_valid({**example, "fileRoots": [{"path": "app", "writable": True}]})


def test_a_health_update_event_carries_the_run_state_and_resources_or_null(
    doc: dict[str, Any],
) -> None:
    event = _validator(doc, "/components/schemas/HealthUpdateEvent")
    after_stop = {
        "containerId": "a11ce000-0000-4000-8000-000000000001",
        "status": "stopped",
        "health": "none",
        "resources": None,
        "seq": 3,
        "time": "2026-11-29T10:26:00.410Z",
    }
    assert event.is_valid(after_stop)
    assert not event.is_valid({k: v for k, v in after_stop.items() if k != "status"})
    measured = {"cpuPercent": 1.5, "memoryBytes": 10, "memoryLimitBytes": 20}
    assert event.is_valid({**after_stop, "status": "running", "resources": measured})
