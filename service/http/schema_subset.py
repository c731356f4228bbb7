"""The subset of JSON Schema the fast path compiles, and how openapi-core rebuilds its values.

Accepted: a schema object (not a boolean schema) whose keywords, in it and in every
schema nested in it, are all in ``KEYWORDS``; whose ``$ref``s are local (``#/...``),
resolvable, not recursive and without sibling keywords (only ``description`` and
``summary``); with ``format`` only where openapi-core unmarshals it (a parameter's
schema) and ``default`` only where it uses it (a parameter's schema, a property's),
no ``properties`` inside ``oneOf``/``anyOf``/``allOf``/``not``/``propertyNames``
(openapi-core would merge them into the object), a ``pattern`` Python compiles, and
property defaults that are JSON and valid against their own schema.

``walk`` returns that schema inlined (references resolved, annotations dropped) for
``validator``, which builds openapi-core's own OAS 3.1 validator with its format
checker, and a ``Node`` that rebuilds a valid value as openapi-core's unmarshalling
does for such schemas: containers copied, missing properties given their defaults.
Anything else raises ``NotCompilable``: the caller leaves the operation (or the body)
to openapi-core, the authority on errors.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from openapi_core.unmarshalling.request.unmarshallers import V31RequestUnmarshaller

# What contract.py's unmarshaller uses: the OAS 3.1 validator class and its format
# checker (openapi-core gives it OAS 3.0's).
_VALIDATORS = V31RequestUnmarshaller.schema_unmarshallers_factory.schema_validators_factory

ANNOTATIONS = frozenset({"description", "title", "example", "examples", "$comment"})
_BRANCHES = frozenset({"oneOf", "anyOf", "allOf"})
KEYWORDS = ANNOTATIONS | _BRANCHES | {
    "type", "enum", "const", "default", "format", "minLength", "maxLength", "pattern",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "properties", "required", "additionalProperties", "propertyNames", "minProperties",
    "maxProperties", "items", "minItems", "maxItems", "uniqueItems", "not",
}  # fmt: skip


class NotCompilable(Exception):
    """The operation uses something this fast path does not handle: openapi-core only."""


def deref(node: Any, root: Mapping[str, Any], refs: tuple[str, ...] = ()) -> tuple[Any, Any]:
    """Follow local ``$ref``s; ``refs`` are those being expanded (to refuse recursion)."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        # A schema's sibling keywords apply beside the target's: not inlined here.
        if set(node) - {"$ref", "description", "summary"}:
            raise NotCompilable("$ref with sibling keywords")
        if not isinstance(ref, str) or not ref.startswith("#/") or "%" in ref or ref in refs:
            raise NotCompilable(f"$ref {ref!r}")
        refs, node = (*refs, ref), root
        for part in ref[2:].split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or key not in node:
                raise NotCompilable(f"unresolvable $ref {ref!r}")
            node = node[key]
    return node, refs


def is_json(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(is_json(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, (str, int, bool))


def validator(schema: dict[str, Any]) -> Validator:
    try:
        _VALIDATORS.schema_validator_cls.check_schema(schema)
    except SchemaError as exc:
        raise NotCompilable(f"invalid schema: {exc.message}") from exc
    return _VALIDATORS.schema_validator_cls(schema, format_checker=_VALIDATORS.get_format_checker())


class Node:
    """How openapi-core rebuilds a value valid against an allowlisted schema (a new node:
    against none). Containers are copied, missing properties get their defaults."""

    __slots__ = ("properties", "defaults", "additional", "items")

    def __init__(self) -> None:
        self.properties: dict[str, Node] = {}
        self.defaults: dict[str, Any] = {}
        self.additional: Node | None = self  # None: additionalProperties is false
        self.items: Node = self

    def rebuild(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.items.rebuild(item) for item in value]
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}  # openapi-core's order: declared properties, then the rest
        for name, node in self.properties.items():
            if name in value:
                out[name] = node.rebuild(value[name])
            elif name in self.defaults:
                out[name] = node.rebuild(self.defaults[name])
        if self.additional is not None:
            for name, item in value.items():
                if name not in out:
                    out[name] = self.additional.rebuild(item)
        return out


def walk(raw: Any, root: Mapping[str, Any], refs: Any, role: str) -> tuple[dict[str, Any], Node]:
    """The schema inlined for the validator, and how openapi-core rebuilds its values.

    ``role`` is what openapi-core does with the schema: ``param`` (a parameter's: its
    format is unmarshalled, its default used), ``property`` (its default is used),
    ``nested`` (a body, items, additionalProperties: a default would be ignored) or
    ``branch`` (oneOf/anyOf/allOf/not/propertyNames: openapi-core would merge a
    branch's properties and defaults into the object; we allow none).
    """
    schema, refs = deref(raw, root, refs)
    if not isinstance(schema, dict):
        raise NotCompilable("boolean schema")
    if unknown := set(schema) - KEYWORDS:
        raise NotCompilable(f"schema keywords {sorted(unknown)}")
    if ("format" in schema and role != "param") or (
        "default" in schema and role not in ("param", "property")
    ):
        raise NotCompilable(f"format or default in a {role} schema")
    if "properties" in schema and role == "branch":
        raise NotCompilable("properties in a oneOf/anyOf/allOf/not branch")
    try:
        re.compile(schema.get("pattern", ""))
    except (re.error, TypeError) as exc:
        raise NotCompilable("invalid pattern") from exc
    inlined = {k: v for k, v in schema.items() if k not in ANNOTATIONS}
    node = Node()
    for key in _BRANCHES & set(schema):
        if not isinstance(schema[key], list):
            raise NotCompilable(f"{key} is not a list")
        inlined[key] = [walk(sub, root, refs, "branch")[0] for sub in schema[key]]
    for key in ("propertyNames", "not"):
        if key in schema:
            inlined[key] = walk(schema[key], root, refs, "branch")[0]
    if "items" in schema:
        inlined["items"], node.items = walk(schema["items"], root, refs, "nested")
    additional = schema.get("additionalProperties", True)
    if additional is False:
        node.additional = None
    elif additional is not True:
        inlined["additionalProperties"], node.additional = walk(additional, root, refs, "nested")
    if not isinstance(properties := schema.get("properties", {}), dict):
        raise NotCompilable("properties is not an object")
    if properties:
        inlined["properties"] = {}
    for name, sub in properties.items():
        prop, node.properties[name] = walk(sub, root, refs, "property")
        inlined["properties"][name] = prop
        if "default" in prop:
            # openapi-core validates a default it fills in: an invalid one refuses.
            if not is_json(prop["default"]) or not validator(prop).is_valid(prop["default"]):
                raise NotCompilable(f"default of {name!r}")
            node.defaults[name] = prop["default"]
    return inlined, node
