"""A compiled fast path for requests that obviously satisfy the contract.

openapi-core resolves the document on every request (about 0.7 ms for a bare
GET on the development machine, more than everything else on the hot path). At
start-up this module compiles each operation's parameters and body schema into
plain checks. A request they accept is unmarshalled here; anything else (or any
operation using a schema feature not compiled here) goes to openapi-core, which
stays the authority on errors. The checks are deliberately at least as strict
as openapi-core: the fast path may only say yes to what openapi-core says yes to.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

_INT = re.compile(r"^-?[0-9]{1,18}$")
_NUMBER = re.compile(r"^-?[0-9]{1,18}(\.[0-9]{1,18})?$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SCALAR_KEYS = {
    "type",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "enum",
    "default",
    "description",
    "examples",
    "example",
    "title",
}
_MISSING = object()


class NotCompilable(Exception):
    """The operation uses something this fast path does not handle: openapi-core only."""


def resolve(node: Any, root: Mapping[str, Any]) -> Any:
    """Inline local ``$ref``s (the document has no recursive schemas)."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                raise NotCompilable(f"non-local $ref {ref!r}")
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            merged = {**resolve(target, root), **{k: v for k, v in node.items() if k != "$ref"}}
            return merged
        return {k: resolve(v, root) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, root) for v in node]
    return node


def _scalar(schema: Mapping[str, Any]) -> Callable[[str], Any]:
    """A parser for one string-valued parameter: returns the value or ``_MISSING``."""
    if set(schema) - _SCALAR_KEYS:
        raise NotCompilable(f"parameter schema keywords {sorted(set(schema) - _SCALAR_KEYS)}")
    kind, fmt, pattern = schema.get("type"), schema.get("format"), schema.get("pattern")
    enum = schema.get("enum")
    regex = re.compile(pattern) if pattern else None
    if kind not in ("string", "integer", "boolean", "number"):
        raise NotCompilable(f"parameter type {kind!r}")
    if kind == "string" and fmt not in (None, "uuid", "date-time"):
        raise NotCompilable(f"string format {fmt!r}")

    def parse(raw: str) -> Any:
        value: Any
        if kind == "string":
            if fmt == "uuid":
                if not _UUID.match(raw):
                    return _MISSING
                value = uuid.UUID(raw)
            elif fmt == "date-time":
                if not _RFC3339.match(raw):
                    return _MISSING
                try:
                    value = datetime.fromisoformat(raw.upper().replace("Z", "+00:00"))
                except ValueError:
                    return _MISSING
            else:
                value = raw
            text = raw
            if "minLength" in schema and len(text) < schema["minLength"]:
                return _MISSING
            if "maxLength" in schema and len(text) > schema["maxLength"]:
                return _MISSING
            if regex is not None and not regex.search(text):
                return _MISSING
        elif kind == "boolean":
            if raw not in ("true", "false"):
                return _MISSING
            value = raw == "true"
        else:
            if not (_INT if kind == "integer" else _NUMBER).match(raw):
                return _MISSING
            value = int(raw) if kind == "integer" else float(raw)
            if "minimum" in schema and value < schema["minimum"]:
                return _MISSING
            if "maximum" in schema and value > schema["maximum"]:
                return _MISSING
        if enum is not None and value not in enum:
            return _MISSING
        return value

    return parse


class CompiledOperation:
    def __init__(self, path_item: Mapping[str, Any], operation: Mapping[str, Any]) -> None:
        params = list(path_item.get("parameters", [])) + list(operation.get("parameters", []))
        self.params: list[tuple[str, str, bool, Callable[[str], Any], Any]] = []
        for p in params:
            if p["in"] not in ("path", "query", "header") or "content" in p:
                raise NotCompilable(f"parameter {p['name']!r} in {p['in']}")
            if p.get("style") not in (None, "simple", "form") or p.get("explode") is False:
                raise NotCompilable(f"parameter style of {p['name']!r}")
            schema = p.get("schema", {})
            default = schema.get("default", _MISSING)
            required = bool(p.get("required", p["in"] == "path"))
            self.params.append((p["in"], p["name"], required, _scalar(schema), default))
        self.body: dict[str, Draft202012Validator] = {}
        self.body_defaults: dict[str, dict[str, Any]] = {}
        self.body_required = False
        body = operation.get("requestBody")
        if body is not None:
            self.body_required = bool(body.get("required", False))
            for media, content in body.get("content", {}).items():
                if media not in ("application/json", "application/merge-patch+json"):
                    raise NotCompilable(f"body media type {media}")
                schema = content.get("schema", {})
                self.body[media] = Draft202012Validator(schema, format_checker=FormatChecker())
                # openapi-core fills in the defaults of an object's own properties.
                self.body_defaults[media] = {
                    name: prop["default"]
                    for name, prop in schema.get("properties", {}).items()
                    if isinstance(prop, dict) and "default" in prop
                }

    def try_validate(
        self,
        path_params: Mapping[str, str],
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        content_type: str,
        raw_body: bytes,
    ) -> dict[str, Any] | None:
        """The unmarshalled request, or ``None`` to let openapi-core decide."""
        found: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
        for where, name, required, parse, default in self.params:
            if where == "path":
                raw: str | None = path_params.get(name)
            elif where == "query":
                values = query.get(name)
                if values is not None and len(values) != 1:
                    return None
                raw = values[0] if values else None
            else:
                raw = headers.get(name)
            if raw is None:
                if required:
                    return None
                if default is not _MISSING:
                    found[where][name] = default
                continue
            value = parse(raw)
            if value is _MISSING:
                return None
            found[where][name] = value
        body: Any = None
        if self.body:
            if not raw_body:
                if self.body_required:
                    return None
            else:
                media = content_type.split(";", 1)[0].strip().lower()
                validator = self.body.get(media)
                if validator is None:
                    return None
                try:
                    body = json.loads(raw_body)
                except ValueError:
                    return None
                if not validator.is_valid(body):
                    return None
                if isinstance(body, dict):
                    body = {**self.body_defaults[media], **body}
        return {**found, "body": body}


def compile_operations(spec: Mapping[str, Any]) -> dict[str, CompiledOperation]:
    """operationId → compiled checks, for every operation this module can handle."""
    compiled: dict[str, CompiledOperation] = {}
    for path_item in spec.get("paths", {}).values():
        item = resolve(path_item, spec)
        for method in ("get", "put", "post", "delete", "patch"):
            if method in item:
                try:
                    compiled[item[method]["operationId"]] = CompiledOperation(item, item[method])
                except NotCompilable:
                    continue
    return compiled
