"""``openapi.yaml`` drives the HTTP layer: it lists the operations (and so the routes),
and every request is validated against its operation before a handler runs.

openapi-core has no Sanic adapter; ``SanicOpenAPIRequest`` is the small one we need.
The route already tells us the operation, so the path template and the path
parameters are handed over directly (which also lets a file path contain ``/``).

Every request costs a bounded amount of work, whatever it holds: a JSON body is read
once, by ``fastpath.read_json`` (within its size limits, 422 beyond them), and held to
the cheap ``schema_subset.Bounds`` of its schema before any validator sees it; the
validators collect at most ``schema_subset.MAX_ERRORS`` errors, and the errors are
worded here, from the keyword that failed, never by quoting the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import Any

import yaml
from openapi_core import OpenAPI
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.exceptions import DeserializeError
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.unmarshalling.request.unmarshallers import V31RequestUnmarshaller
from openapi_core.validation.request.exceptions import (
    MissingRequestBody,
    MissingRequiredParameter,
    MissingRequiredRequestBody,
    ParametersError,
    ParameterValidationError,
    RequestBodyValidationError,
)
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from sanic.request import Request
from werkzeug.datastructures import Headers, ImmutableMultiDict

from service import errors
from service.errors import FieldError
from service.http.fastpath import (
    UNREAD,
    CompiledOperation,
    compile_operations,
    json_beyond_limits,
    read_json,
)
from service.http.schema_subset import (
    MAX_ERRORS,
    SCHEMA_CASTERS,
    SCHEMA_UNMARSHALLERS,
    short_name,
)

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # the OpenAPI template, e.g. /v1/agents/{containerId}/files/{path}

    @property
    def sanic_uri(self) -> str:
        """The Sanic route for the template; ``{path}`` takes the rest of the URL."""

        def param(match: re.Match[str]) -> str:
            name = match.group(1)
            return f"<{name}:path>" if name == "path" else f"<{name}:str>"

        return _TEMPLATE.sub(param, self.path)


@dataclass(frozen=True)
class ValidRequest:
    """What the contract let through, unmarshalled (defaults applied, types cast)."""

    path: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    header: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None


class SanicOpenAPIRequest:
    """openapi-core's ``Request`` protocol over a Sanic request."""

    def __init__(
        self,
        request: Request,
        operation: Operation,
        path_params: Mapping[str, str],
        content_type: str | None = None,
    ):
        self._request = request
        self._content_type = content_type
        self.path_pattern = operation.path
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(request.get_query_args(keep_blank_values=True)),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(list(request.cookies.items())),
            path=dict(path_params),
        )

    @property
    def host_url(self) -> str:
        return "http://localhost"

    @property
    def path(self) -> str:
        return self.path_pattern

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes | None:
        return self._request.body or None

    @property
    def content_type(self) -> str:
        if self._content_type is not None:
            return self._content_type
        return media_type(self._request.headers.get("content-type") or "") or ""


class _Unmarshaller(V31RequestUnmarshaller):
    """Parameters and body only: sessions are verified by SuperTokens before this runs."""

    def unmarshal_parameters_and_body(self, request: SanicOpenAPIRequest) -> ValidRequest:
        path, operation, _, path_result, _ = self._find_path(request)
        request.parameters.path = request.parameters.path or path_result.variables
        problems: list[Exception] = []
        try:
            params = self._get_parameters(request.parameters, operation, path)
        except ParametersError as exc:
            params = exc.parameters
            problems.extend(exc.errors)
        body = None
        try:
            body = self._get_body(request.body, request.content_type, operation)
        except MissingRequestBody:
            pass  # an optional body that was not sent
        except (RequestBodyValidationError, MediaTypeNotFound) as exc:
            problems.append(exc)
        if problems:
            raise _to_api_error(problems)
        return ValidRequest(
            path=dict(params.path), query=dict(params.query), header=dict(params.header), body=body
        )


def media_type(raw: str) -> str | None:
    """A Content-Type as both paths read it: lower case, with only its ``charset`` (the
    one parameter the contract's JSON media types know; openapi-core passes parameters
    on as keyword arguments, and ``value=1`` or ``mimetype=x`` break its call), and
    without blank parameters (RFC 9110 allows ``application/json;``, on which openapi-core
    fails too); ``None`` if a parameter is not ``name=value``."""
    media, *parameters = raw.lower().split(";")
    kept = [media.strip()]
    for parameter in parameters:
        name, equals, value = parameter.strip().partition("=")
        if not (name or equals or value):
            continue
        if not name.strip() or not equals or "=" in value:
            return None
        if name.strip() == "charset":
            kept.append(f"charset={value.strip()}")
    return "; ".join(kept)


# What a failing keyword means, in our words: a validator's own message quotes the value.
_WORDS: Mapping[str, str] = {
    "type": "is not of type {}",
    "enum": "is not one of {}",
    "const": "is not {}",
    "pattern": "does not match {}",
    "format": "is not a valid {}",
    "maxLength": "has more than {} characters",
    "minLength": "has fewer than {} characters",
    "maximum": "is greater than the maximum of {}",
    "minimum": "is less than the minimum of {}",
    "exclusiveMaximum": "is not less than {}",
    "exclusiveMinimum": "is not greater than {}",
    "multipleOf": "is not a multiple of {}",
    "maxProperties": "has more than {} properties",
    "minProperties": "has fewer than {} properties",
    "maxItems": "has more than {} items",
    "minItems": "has fewer than {} items",
    "uniqueItems": "has repeated items",
    "additionalProperties": "has properties that are not allowed",
    "oneOf": "does not match exactly one of the allowed schemas",
    "anyOf": "does not match any of the allowed schemas",
    "not": "matches a schema it must not",
}


def _schema_errors(prefix: str, exc: BaseException) -> list[FieldError]:
    cause = exc.__cause__
    if isinstance(cause, InvalidSchemaValue):
        found = []
        failed: Iterable[Any] = cause.schema_errors
        for err in islice(failed, MAX_ERRORS):
            path = [short_name(str(p)) for p in err.absolute_path]
            if "propertyNames" in err.absolute_schema_path:
                path.append(short_name(str(err.instance)))
            where = ".".join([prefix, *path])
            found.append(FieldError(where, _worded(err)))
        if found:
            return found
    if isinstance(cause, CastError):
        return [FieldError(prefix, f"cannot be read as {cause.type}")]
    return [FieldError(prefix, "is not valid")]


def _worded(err: Any) -> str:
    if err.validator == "required":
        return _safe(err.message)  # names the property, from the schema
    if err.validator == "propertyNames":
        return "is not a valid property name"
    words = _WORDS.get(str(err.validator))
    if words is None:
        return "is not valid"
    value = err.validator_value
    shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return words.format(_safe(shown, 100))


def _safe(message: str, limit: int = 300) -> str:
    text = message.encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _to_api_error(problems: Iterable[Exception]) -> errors.ApiError:
    """Parameter problems are a 400; a well-formed body that breaks its schema is a 422."""
    fields: list[FieldError] = []
    body_schema_only = True
    for exc in problems:
        cause = exc.__cause__ if isinstance(exc, RequestBodyValidationError) else exc
        if isinstance(cause, MediaTypeNotFound):
            return errors.UnsupportedMediaType(
                f"Content-Type {cause.mimetype or '(none)'!r} is not accepted here; "
                f"use one of: {', '.join(cause.availableMimetypes)}."
            )
        if isinstance(cause, DeserializeError):
            return errors.BadRequest(_MALFORMED, code="malformed_body")
        if isinstance(exc, RequestBodyValidationError) and isinstance(cause, InvalidSchemaValue):
            fields.extend(_schema_errors("body", exc))
            continue
        body_schema_only = False
        if isinstance(exc, MissingRequiredParameter):
            fields.append(FieldError(f"{exc.location}.{exc.name}", "is required"))
        elif isinstance(exc, ParameterValidationError):
            fields.extend(_schema_errors(f"{exc.location}.{exc.name}", exc))
        elif isinstance(exc, MissingRequiredRequestBody):
            fields.append(FieldError("body", "is required"))
        else:
            fields.append(FieldError("request", "is not valid"))
    fields = fields[:MAX_ERRORS]
    detail = _detail(fields)
    if body_schema_only:
        return errors.Unprocessable(detail, code="validation_failed", errors=fields)
    return errors.BadRequest(detail, code="invalid_request", errors=fields)


class Contract:
    """The loaded ``openapi.yaml``: its operations and a request validator."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self._openapi = OpenAPI.from_dict(dict(spec))
        self._fast = compile_operations(spec)
        self._unmarshaller = _Unmarshaller(
            self._openapi.spec,
            schema_unmarshallers_factory=SCHEMA_UNMARSHALLERS,
            schema_casters_factory=SCHEMA_CASTERS,
            extra_media_type_deserializers={
                "application/json": read_json,
                "application/merge-patch+json": read_json,
            },
        )

    @classmethod
    def load(cls, path: Path = SPEC_PATH) -> Contract:
        with path.open(encoding="utf-8") as f:
            return cls(yaml.safe_load(f))

    @cached_property
    def operations(self) -> dict[str, Operation]:
        found: dict[str, Operation] = {}
        for template, item in self.spec["paths"].items():
            for method in HTTP_METHODS:
                if method in item:
                    op_id = item[method]["operationId"]
                    found[op_id] = Operation(op_id, method.upper(), template)
        return found

    @cached_property
    def as_json(self) -> bytes:
        return json.dumps(self.spec, default=str).encode()

    def validate(
        self, request: Request, operation: Operation, path_params: Mapping[str, str]
    ) -> ValidRequest:
        """Unmarshal ``request``; raise BadRequest, Unprocessable or UnsupportedMediaType."""
        for name, value in () if _clean_head(request.head) else request.headers.items():
            # RFC 9110 forbids them in a field value; Sanic keeps a bare LF in one.
            if _BROKEN_FIELD.search(value):
                why = "holds a line break or a NUL"
                raise errors.BadRequest(
                    f"The {short_name(name)} header {why}.",
                    code="invalid_request",
                    errors=[FieldError(f"header.{short_name(name)}", why)],
                )
        fast = self._fast.get(operation.operation_id)
        raw_type = request.headers.get("content-type") or ""
        content_type = media_type(raw_type)
        if content_type is None:
            if request.body and fast is not None and fast.has_body:
                raise errors.UnsupportedMediaType(
                    f"Content-Type {_safe(raw_type, 100)!r} is not a well-formed media type."
                )
            content_type = ""
        if fast is not None:
            parsed = _read_body(fast, content_type, request.body)
            query: dict[str, list[str]] = {}
            for name, value in request.get_query_args(keep_blank_values=True):
                query.setdefault(name, []).append(value)
            found = fast.try_validate(
                path_params, query, request.headers, content_type, request.body, parsed
            )
            if found is not None:
                return ValidRequest(found["path"], found["query"], found["header"], found["body"])
        adapter = SanicOpenAPIRequest(request, operation, path_params, content_type)
        return self._unmarshaller.unmarshal_parameters_and_body(adapter)


_BROKEN_FIELD = re.compile("[\r\n\x00]")


def _clean_head(head: bytes) -> bool:
    """The raw request head (Sanic's server gives it; under ASGI it is empty) holds no NUL
    and no CR or LF but its line ends: then no header value does, and none need looking at."""
    crlf = head.count(b"\r\n")
    return (
        bool(head)
        and b"\x00" not in head
        and head.count(b"\r") == crlf
        and head.count(b"\n") == crlf
    )


_MALFORMED = (
    "The request body could not be parsed as the declared media type "
    "(it must be well-formed UTF-8 JSON)."
)


def _read_body(fast: CompiledOperation, content_type: str, raw: bytes) -> Any:
    """A JSON body the operation takes, read once and held to its bounds (``UNREAD`` for
    anything else): what the validators then see costs no more than its size."""
    reader = (fast.bodies or {}).get(content_type.split(";")[0]) if fast.has_body else None
    if reader is None or not raw:
        return UNREAD
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.BadRequest(_MALFORMED, code="malformed_body") from None
    if (why := json_beyond_limits(text)) is not None:
        raise errors.Unprocessable(
            f"The request body {why}.", code="validation_failed", errors=[FieldError("body", why)]
        )
    try:
        value = read_json(text)
    except (ValueError, RecursionError):
        raise errors.BadRequest(_MALFORMED, code="malformed_body") from None
    if refused := reader.bounds.refusals(value):
        raise errors.Unprocessable(_detail(refused), code="validation_failed", errors=refused)
    return value


def _detail(fields: list[FieldError]) -> str:
    return "The request does not match the API contract: " + "; ".join(
        f"{f.field} {f.message}" for f in fields
    )
