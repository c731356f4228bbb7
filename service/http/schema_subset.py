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

Both validate with ``SCHEMA_VALIDATORS`` (``contract.py`` gives openapi-core
``SCHEMA_UNMARSHALLERS``): openapi-core's OAS 3.1 validator and format checker, read as
the contract means them and bounded for hostile input. A ``pattern`` is ECMA-262's, so
``$`` ends the string (Python's also matches before a final newline: ``"PATH\\n"`` would
pass ``^[A-Z]+$``); a string is of a format only if openapi-core can unmarshal it (a
date-time with a trailing newline, or a leap second, would otherwise reach a handler as
a string); a parameter is an integer or a number only if its whole text is one
(``int()`` also reads ``" 5\\n"``, ``"5_000"`` and other scripts' digits:
``SCHEMA_CASTERS``); and openapi-core collects at most ``MAX_ERRORS`` errors of one value, where
it would word one per failing item, synchronously (a body with tens of thousands of bad
keys held the event loop for seconds).

``Bounds`` finds, in a few operations per member, what no instance of a compiled schema
can be (another type, a string longer than its ``maxLength``, more properties than its
``maxProperties``, a property it forbids, ...), in our words. It runs before either
validator, which would quote the whole offending value in each message they word (a
20 MB string costs tens of milliseconds per quote).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from itertools import islice
from typing import Any

from jsonschema import FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend
from openapi_core.casting.schemas import oas31_types_caster
from openapi_core.casting.schemas.casters import IntegerCaster, NumberCaster, TypesCaster
from openapi_core.casting.schemas.factories import SchemaCastersFactory
from openapi_core.unmarshalling.request.unmarshallers import V31RequestUnmarshaller
from openapi_core.unmarshalling.schemas.factories import SchemaUnmarshallersFactory
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_core.validation.schemas.validators import SchemaValidator

from service.errors import FieldError

MAX_ERRORS = 20  # errors worded for one value (a body, a parameter)
_SHORTEST_NAME = 64  # characters of a property name quoted in a field

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
        SCHEMA_VALIDATORS.schema_validator_cls.check_schema(schema)
    except SchemaError as exc:
        raise NotCompilable(f"invalid schema: {exc.message}") from exc
    return SCHEMA_VALIDATORS.schema_validator_cls(
        schema, format_checker=SCHEMA_VALIDATORS.get_format_checker()
    )


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


# -- the validators both paths use ---------------------------------------------------------


@lru_cache(maxsize=512)
def ecma_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` read as ECMA-262 reads it: an unescaped ``$`` outside a character class
    is the end of the string (Python's ``\\Z``)."""
    out: list[str] = []
    in_class, i = False, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = r"\Z"
        out.append(char)
        i += 1
    return re.compile("".join(out))


def _pattern(validator: Validator, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not ecma_pattern(pattern).search(instance):
        yield ValidationError(f"does not match {pattern!r}")


def _unmarshallable(check: Callable[[Any], bool], unmarshal: Callable[[str], Any]) -> Any:
    """``check``, and openapi-core's unmarshalling of the format succeeds."""

    def strict(instance: Any) -> bool:
        if not check(instance):
            return False
        if isinstance(instance, str):
            try:
                unmarshal(instance)
            except (ValueError, TypeError, OverflowError):
                return False
        return True

    return strict


class _FirstErrors(SchemaValidator):
    """openapi-core's schema validator, collecting at most ``MAX_ERRORS`` errors."""

    def validate(self, value: Any) -> None:
        errors = tuple(islice(self.validator.iter_errors(value), MAX_ERRORS))
        if errors:
            schema_type = (self.schema / "type").read_str_or_list("any")
            raise InvalidSchemaValue(value, schema_type, schema_errors=errors)


class _Validators(SchemaValidatorsFactory):
    def create(self, *args: Any, **kwargs: Any) -> SchemaValidator:
        made = super().create(*args, **kwargs)
        return _FirstErrors(made.schema, made.validator)


def _schema_validators() -> _Validators:
    base = V31RequestUnmarshaller.schema_unmarshallers_factory
    checker = FormatChecker(())
    checker.checkers = dict(base.schema_validators_factory.format_checker.checkers)
    for fmt, unmarshal in base.format_unmarshallers.items():
        if fmt in checker.checkers:
            check, raises = checker.checkers[fmt]
            checker.checkers[fmt] = (_unmarshallable(check, unmarshal), raises)
    oas31 = base.schema_validators_factory.schema_validator_cls
    cls = extend(oas31, {"pattern": _pattern})
    # openapi-schema-validator checks schemas against the OAS meta-schemas, held locally.
    cls.check_schema = classmethod(oas31.check_schema.__func__)
    return _Validators(cls, format_checker=checker)


class _WholeInteger(IntegerCaster):
    def validate(self, value: Any) -> None:
        super().validate(value)
        if isinstance(value, str) and not _INTEGER_TEXT.fullmatch(value):
            raise ValueError("not the text of an integer")


class _WholeNumber(NumberCaster):
    def validate(self, value: Any) -> None:
        super().validate(value)
        if isinstance(value, str) and not _NUMBER_TEXT.fullmatch(value):
            raise ValueError("not the text of a number")


_INTEGER_TEXT = re.compile(r"-?[0-9]+")
_NUMBER_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
SCHEMA_VALIDATORS = _schema_validators()
SCHEMA_CASTERS = SchemaCastersFactory(
    SCHEMA_VALIDATORS,
    TypesCaster(
        {**oas31_types_caster.casters, "integer": _WholeInteger, "number": _WholeNumber},
        oas31_types_caster.default,
        multi=oas31_types_caster.multi,
    ),
)
SCHEMA_UNMARSHALLERS = SchemaUnmarshallersFactory(
    SCHEMA_VALIDATORS,
    V31RequestUnmarshaller.schema_unmarshallers_factory.types_unmarshaller,
    format_unmarshallers=V31RequestUnmarshaller.schema_unmarshallers_factory.format_unmarshallers,
)


# -- bounds checked before validation ------------------------------------------------------


_JSON_TYPES: dict[type, str] = {str: "string", list: "array", dict: "object"}
# The size keywords of each JSON type (maxLength, minLength, ...), and what they count.
_SIZES: dict[type, tuple[str, str]] = {
    str: ("Length", "characters"),
    dict: ("Properties", "properties"),
    list: ("Items", "items"),
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    return _JSON_TYPES.get(type(value), "unknown")


def short_name(name: str) -> str:
    """A property name as a field may quote it."""
    return name if len(name) <= _SHORTEST_NAME else name[: _SHORTEST_NAME - 1] + "…"


def _beyond(schema: Mapping[str, Any], value: Any) -> str | None:
    """Why ``value`` itself (not its members) is no instance of ``schema``, when cheap to tell."""
    if (types := schema.get("type")) is not None:
        types = [types] if isinstance(types, str) else list(types)
        found = _json_type(value)
        if found not in types and not (found == "integer" and "number" in types):
            return "is not of type " + " or ".join(types)
    if (sized := _SIZES.get(type(value))) is not None:
        suffix, unit = sized
        if len(value) > schema.get("max" + suffix, math.inf):
            return f"has more than {schema['max' + suffix]} {unit}"
        if len(value) < schema.get("min" + suffix, 0):
            return f"has fewer than {schema['min' + suffix]} {unit}"
    allowed = schema["enum"] if "enum" in schema else [schema["const"]] if "const" in schema else ()
    if allowed and isinstance(value, str) and all(isinstance(a, str) for a in allowed):
        if value not in allowed:
            return "is not one of " + ", ".join(allowed)
    for key in ("oneOf", "anyOf"):
        whys = [_beyond(branch, value) for branch in schema.get(key, ())]
        if whys and all(whys):
            return _none_of([w for w in whys if w is not None])
    for branch in schema.get("allOf", ()):
        if why := _beyond(branch, value):
            return why
    return None


def _none_of(whys: list[str]) -> str:
    """Why no branch takes a value: the reason of a branch of its type, if one is."""
    wrong_type = "is not of type "
    told = [w for w in whys if not w.startswith(wrong_type)]
    return told[0] if told else wrong_type + " or ".join(w.removeprefix(wrong_type) for w in whys)


class Bounds:
    """What no instance of an inlined, compiled schema (``walk``'s) can be, found cheaply:
    the wrong type, a size beyond its bounds, a value not in its ``enum``, a missing
    required or forbidden property, checked down the value's members. Never refuses an
    instance; what it lets through still goes to a validator."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._schema = schema

    def refusals(self, value: Any, where: str = "body") -> list[FieldError]:
        found: list[FieldError] = []
        _refuse(self._schema, value, where, found)
        return found[:MAX_ERRORS]


def _refuse(schema: Mapping[str, Any], value: Any, where: str, found: list[FieldError]) -> None:
    if (why := _beyond(schema, value)) is not None:
        found.append(FieldError(where, why))
        return
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            if name not in value:
                found.append(FieldError(f"{where}.{name}", "is required"))
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        names = schema.get("propertyNames")
        for name, item in value.items():
            if len(found) >= MAX_ERRORS:
                return
            at = f"{where}.{short_name(name)}"
            sub = properties.get(name, extra)
            if names is not None and (why := _beyond(names, name)) is not None:
                found.append(FieldError(at, f"is not a valid property name (it {why})"))
            elif sub is False:
                found.append(FieldError(at, "is not an allowed property"))
            elif isinstance(sub, dict):
                _refuse(sub, item, at, found)
    elif isinstance(value, list) and isinstance(items := schema.get("items"), dict):
        for i, item in enumerate(value):
            if len(found) >= MAX_ERRORS:
                return
            _refuse(items, item, f"{where}.{i}", found)
