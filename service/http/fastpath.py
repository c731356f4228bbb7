"""A compiled fast path for requests that obviously satisfy the contract.

openapi-core resolves the document on every request (about 0.7 ms for a bare GET, more
than everything else on the hot path). This module compiles each operation's parameters
and body once; a request they accept is unmarshalled here, anything else goes to
openapi-core, the authority on errors. What the fast path accepts, openapi-core (as
``contract.py`` sets it up) accepts too, with an equal value of the same types, by
construction: every schema, nested ones included, is held to the allowlist of
``schema_subset`` (anything else, such as a body's ``format``, ``nullable`` or
``readOnly``, leaves the parameters, so the operation, or the body to openapi-core);
values are checked by openapi-core's own validator and format checker; raw parameters
are cast only where openapi-core's cast gives the same value, formats unmarshalled by
its own functions; and for allowlisted body schemas its unmarshalling only copies
containers and fills in the defaults of missing properties, as ``schema_subset.Node``
does.

Request bodies are read here, by ``read_json``, for both paths: strict UTF-8 JSON, with
no ``NaN`` or lone surrogate (WAP cannot be sent one), and first ``json_beyond_limits``,
a scan in a few operations per member (``str.find`` jumps from one structural character
to the next), so that no body costs more to parse than its size: at most
``MAX_JSON_MEMBERS`` members and items, nested at most ``MAX_JSON_DEPTH`` deep (a body
of a million empty arrays takes seconds to parse, and deep nesting recursion).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from json.decoder import scanstring  # type: ignore[attr-defined]  # the C scanner's
from typing import Any
from uuid import UUID

from service.http.schema_subset import (
    ANNOTATIONS,
    SCHEMA_UNMARSHALLERS,
    Bounds,
    NotCompilable,
    deref,
    ecma_pattern,
    is_json,
    validator,
    walk,
)

__all__ = [
    "MAX_JSON_DEPTH",
    "MAX_JSON_MEMBERS",
    "UNREAD",
    "CompiledOperation",
    "NotCompilable",
    "compile_operations",
    "json_beyond_limits",
    "read_json",
]

# What contract.py's unmarshaller uses: openapi-core's format unmarshallers.
_UNMARSHALLERS = SCHEMA_UNMARSHALLERS
_DIALECT = "https://spec.openapis.org/oas/3.1/dialect/base"
# The formats compiled (in parameters only), and the type openapi-core unmarshals each to.
_FORMATS: dict[str, type] = {"uuid": UUID, "date-time": datetime}
_PARAM_KEYS = ANNOTATIONS - {"title", "$comment"} | {
    "name", "in", "required", "schema", "style", "explode",
}  # fmt: skip
_STYLES = {"path": "simple", "header": "simple", "query": "form"}
_BODY_KEYS = frozenset({"content", "required", "description"})
_MEDIA_KEYS = frozenset({"schema", "example", "examples"})
# Bodies openapi-core reads with read_json (contract.py registers it for both), and
# whether the Content-Type may carry a charset (openapi-core passes media type parameters
# on as keyword arguments; read_json ignores them).
_JSON_MEDIA = {"application/json": True, "application/merge-patch+json": True}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_MISSING: Any = object()
_INT = re.compile(r"-?[0-9]{1,18}")
_NUMBER = re.compile(r"-?[0-9]{1,18}(?:\.[0-9]{1,18})?")
_BOOLEANS = {"true": True, "false": False}
UNREAD: Any = object()  # a body try_validate is to read itself
MAX_JSON_DEPTH = 32
MAX_JSON_MEMBERS = 1000
_STRUCTURE = '"[]{},'  # a string, openers and closers, and the separator of members
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# A string parameter's schema made only of these is also checked in plain Python first.
_PLAIN_STRING_KEYS = ANNOTATIONS | {"type", "format", "pattern", "minLength", "maxLength", "enum"}
# The canonical text of a UUID: what jsonschema's and openapi-core's uuid checks both take.
_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def json_beyond_limits(text: str) -> str | None:
    """Why the JSON text ``text`` holds more than a request body may, or ``None`` (also
    when it is not JSON at all: parsing it says why)."""
    end = len(text)
    ahead = [_next(text, char, 0) for char in _STRUCTURE]  # where each next occurs
    depth = members = strings = 0
    while (at := min(ahead)) < end:
        kind = ahead.index(at)
        if kind == 0:
            strings += 1
            pos = _after_string(text, at)
            if pos is None:
                return None
            for k in range(len(ahead)):  # what the string held was not structure
                if ahead[k] < pos:
                    ahead[k] = _next(text, _STRUCTURE[k], pos)
        else:
            depth += 1 if kind in (1, 3) else -1 if kind in (2, 4) else 0
            members += kind in (1, 3, 5)
            ahead[kind] = _next(text, _STRUCTURE[kind], at + 1)
        if depth > MAX_JSON_DEPTH:
            return f"is nested more than {MAX_JSON_DEPTH} levels deep"
        if members > MAX_JSON_MEMBERS or strings > 2 * MAX_JSON_MEMBERS + 2:
            return f"holds more than {MAX_JSON_MEMBERS} members and items"
    return None


def _next(text: str, char: str, start: int) -> int:
    found = text.find(char, start)
    return len(text) if found < 0 else found


def _after_string(text: str, quote: int) -> int | None:
    """Where the string opened at ``quote`` ends (past its closing quote); ``None`` if it
    does not."""
    close = text.find('"', quote + 1)
    if close < 0:
        return None
    if text[close - 1] != "\\":
        return close + 1
    try:  # an escaped quote, perhaps: the decoder's own scanner knows
        return int(scanstring(text, quote + 1)[1])
    except ValueError:
        return None


def read_json(raw: bytes | str, /, **_parameters: str) -> Any:
    """A JSON request body (``ValueError`` if it is none): UTF-8, within
    ``json_beyond_limits`` (``ValueError`` too: the caller checks first to say why), no
    ``NaN``/``Infinity``, no lone surrogate. Media type parameters are ignored."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if (why := json_beyond_limits(text)) is not None:
        raise ValueError(f"the body {why}")
    value = json.loads(text, parse_constant=_no_constant)
    if _SURROGATE_ESCAPE.search(text) and _has_surrogate(value):
        raise ValueError("a string holds a lone surrogate")
    return value


def _has_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _format(fmt: str | None, value: Any) -> Any:
    """openapi-core's unmarshalling of a parameter's format; ``_MISSING`` if it fails."""
    if fmt is None:
        return value
    try:
        result = _UNMARSHALLERS.format_unmarshallers[fmt](value)
    except (AttributeError, ValueError, TypeError):
        return _MISSING  # openapi-core would hand over the string
    return result if isinstance(result, _FORMATS[fmt]) else _MISSING


def _caster(kind: str) -> Callable[[str], Any]:
    """Raw strings on which openapi-core's cast gives the same value; ``_MISSING`` for others."""
    if kind == "string":
        return lambda raw: raw
    if kind == "boolean":
        return lambda raw: _BOOLEANS.get(raw, _MISSING)
    pattern, cast = (_INT, int) if kind == "integer" else (_NUMBER, float)
    return lambda raw: cast(raw) if pattern.fullmatch(raw) else _MISSING


class _Param:
    def __init__(self, raw: Any, root: Mapping[str, Any]) -> None:
        param, _ = deref(raw, root)
        if not isinstance(param, dict) or set(param) - _PARAM_KEYS or "schema" not in param:
            raise NotCompilable("parameter keywords")
        where, name, style = param.get("in"), param.get("name"), param.get("style")
        if where not in _STYLES or not isinstance(name, str):
            raise NotCompilable(f"parameter in {where!r}")
        self.where: str = where
        self.name: str = name
        form = _STYLES[where] == "form"
        if style not in (None, _STYLES[where]) or param.get("explode", form) is not form:
            raise NotCompilable(f"style of parameter {name!r}")
        self.required = param.get("required", False) is True
        schema, _ = walk(param["schema"], root, (), "param")
        kind, self.fmt = schema.get("type"), schema.get("format")
        if kind not in ("string", "integer", "number", "boolean"):
            raise NotCompilable(f"parameter type {kind!r}")
        if self.fmt is not None and (kind != "string" or self.fmt not in _FORMATS):
            raise NotCompilable(f"parameter format {self.fmt!r}")
        self.cast, self.validator = _caster(kind), validator(schema)
        self.plain = _plain_string(schema) if kind == "string" else None
        self.default = _MISSING
        if "default" in schema:  # openapi-core validates and unmarshals it
            if is_json(schema["default"]) and self.validator.is_valid(schema["default"]):
                self.default = _format(self.fmt, schema["default"])
            if self.default is _MISSING:
                raise NotCompilable(f"default of parameter {name!r}")

    def read(self, raw: str) -> Any:
        if raw == "" and self.where == "query":
            return _MISSING  # openapi-core refuses an empty query value
        if self.plain is not None and self.plain(raw):
            return _format(self.fmt, raw)
        value = self.cast(raw)
        if value is _MISSING or not self.validator.is_valid(value):
            return _MISSING
        return _format(self.fmt, value)


def _plain_string(schema: Mapping[str, Any]) -> Callable[[str], bool] | None:
    """For a string schema of only a pattern, lengths, an enum of strings and the uuid
    format: a check in plain Python that takes only values the validator takes (what it
    refuses goes on to the validator, the authority). ``None`` for any other schema."""
    if set(schema) - _PLAIN_STRING_KEYS or schema.get("format") not in (None, "uuid"):
        return None
    enum = schema.get("enum")
    if enum is not None and not all(isinstance(v, str) for v in enum):
        return None
    pattern = ecma_pattern(schema["pattern"]).search if "pattern" in schema else None
    uuid = schema.get("format") == "uuid"
    shortest, longest = schema.get("minLength", 0), schema.get("maxLength")
    allowed = frozenset(enum) if enum is not None else None

    def plain(raw: str) -> bool:
        return (
            shortest <= len(raw)
            and (longest is None or len(raw) <= longest)
            and (allowed is None or raw in allowed)
            and (pattern is None or pattern(raw) is not None)
            and (not uuid or _CANONICAL_UUID.fullmatch(raw) is not None)
        )

    return plain


class _Body:
    def __init__(self, media: str, content: Any, root: Mapping[str, Any]) -> None:
        if media not in _JSON_MEDIA or not isinstance(content, dict):
            raise NotCompilable(f"body media type {media!r}")
        if set(content) - _MEDIA_KEYS or "schema" not in content:
            raise NotCompilable(f"{media} keywords")
        self.takes_charset = _JSON_MEDIA[media]
        schema, self.node = walk(content["schema"], root, (), "nested")
        self.validator = validator(schema)
        self.bounds = Bounds(schema)

    def read(self, parameters: list[str], raw: bytes, parsed: Any = UNREAD) -> Any:
        for parameter in parameters:
            name = parameter.split("=")[0].lower().lstrip()
            if not self.takes_charset or parameter.count("=") != 1 or name != "charset":
                return _MISSING
        try:
            value = read_json(raw) if parsed is UNREAD else parsed
            return self.node.rebuild(value) if self.validator.is_valid(value) else _MISSING
        except (ValueError, RecursionError):
            return _MISSING


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")  # and NaN never compares equal


class CompiledOperation:
    def __init__(
        self, path_item: Mapping[str, Any], operation: Mapping[str, Any], root: Mapping[str, Any]
    ) -> None:
        self.params: list[_Param] = []
        # openapi-core's order: an operation's parameter overrides the path item's.
        for raw in [*operation.get("parameters", []), *path_item.get("parameters", [])]:
            param = _Param(raw, root)
            if all((p.name, p.where) != (param.name, param.where) for p in self.params):
                self.params.append(param)
        self.has_body = "requestBody" in operation
        self.body_required = False
        self.bodies: dict[str, _Body] | None = {}  # None: the body is left to openapi-core
        if self.has_body:
            body, _ = deref(operation["requestBody"], root)
            if not isinstance(body, dict) or set(body) - _BODY_KEYS or not body.get("content"):
                raise NotCompilable("request body keywords")
            self.body_required = body.get("required", False) is True
            try:
                self.bodies = {m: _Body(m, c, root) for m, c in body["content"].items()}
            except NotCompilable:
                self.bodies = None

    def try_validate(
        self,
        path_params: Mapping[str, str],
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        content_type: str,
        raw_body: bytes,
        parsed_body: Any = UNREAD,
    ) -> dict[str, Any] | None:
        """The unmarshalled request, or ``None`` to let openapi-core decide.

        ``headers`` must look names up case-insensitively, as Sanic's do. ``parsed_body``
        is ``raw_body`` already read by ``read_json``, if the caller read it.
        """
        found: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
        for param in self.params:
            if param.where == "path":
                raw: str | None = path_params.get(param.name)
            elif param.where == "header":
                raw = headers.get(param.name)
            elif len(values := query.get(param.name, ())) > 1:
                return None
            else:
                raw = values[0] if values else None
            if raw is None:
                if param.required:
                    return None
                if param.default is not _MISSING:
                    found[param.where][param.name] = param.default
                continue
            if (value := param.read(raw)) is _MISSING:
                return None
            found[param.where][param.name] = value
        body: Any = None
        if not self.has_body:
            pass  # openapi-core ignores whatever was sent
        elif not raw_body:
            if self.body_required:
                return None
        elif self.bodies is None:
            return None
        else:
            media, *parameters = content_type.split(";")
            reader = self.bodies.get(media.lower().rstrip())
            body = _MISSING if reader is None else reader.read(parameters, raw_body, parsed_body)
            if body is _MISSING:
                return None
        return {**found, "body": body}


def compile_operations(spec: Mapping[str, Any]) -> dict[str, CompiledOperation]:
    """operationId → compiled checks, for every operation this module can handle."""
    compiled: dict[str, CompiledOperation] = {}
    if spec.get("jsonSchemaDialect", _DIALECT) != _DIALECT:
        return compiled
    for raw_item in spec.get("paths", {}).values():
        try:
            item, _ = deref(raw_item, spec)
        except NotCompilable:
            continue
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            try:
                compiled[operation["operationId"]] = CompiledOperation(item, operation, spec)
            except NotCompilable:
                continue
    return compiled
