"""``openapi.yaml`` drives the HTTP layer: it lists the operations (and so the routes),
and every request is validated against its operation before a handler runs.

openapi-core has no Sanic adapter; ``SanicOpenAPIRequest`` is the small one we need.
The route already tells us the operation, so the path template and the path
parameters are handed over directly (which also lets a file path contain ``/``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
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
from service.http.fastpath import compile_operations

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

    def __init__(self, request: Request, operation: Operation, path_params: Mapping[str, str]):
        self._request = request
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
        return (self._request.headers.get("content-type") or "").lower()


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


def _json_body(value: bytes | str) -> Any:
    """JSON Merge Patch bodies are JSON; openapi-core does not know the media type."""
    return json.loads(value)


def _schema_errors(prefix: str, exc: BaseException) -> list[FieldError]:
    cause = exc.__cause__
    if isinstance(cause, InvalidSchemaValue):
        found = []
        for err in cause.schema_errors:
            where = ".".join(str(p) for p in getattr(err, "absolute_path", ()))
            message = getattr(err, "message", None) or "is not valid"
            found.append(FieldError(f"{prefix}.{where}" if where else prefix, _safe(message)))
        if found:
            return found
    if isinstance(cause, CastError):
        return [FieldError(prefix, f"cannot be read as {cause.type}")]
    return [FieldError(prefix, "is not valid")]


def _safe(message: str, limit: int = 300) -> str:
    # Messages can quote the offending value: keep them printable and short.
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
            return errors.BadRequest(
                "The request body could not be parsed as the declared media type "
                "(it must be well-formed UTF-8 JSON).",
                code="malformed_body",
            )
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
    detail = "The request does not match the API contract: " + "; ".join(
        f"{f.field} {f.message}" for f in fields
    )
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
            extra_media_type_deserializers={"application/merge-patch+json": _json_body},
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
        fast = self._fast.get(operation.operation_id)
        if fast is not None:
            query: dict[str, list[str]] = {}
            for name, value in request.get_query_args(keep_blank_values=True):
                query.setdefault(name, []).append(value)
            found = fast.try_validate(
                path_params,
                query,
                request.headers,
                request.headers.get("content-type") or "",
                request.body,
            )
            if found is not None:
                return ValidRequest(found["path"], found["query"], found["header"], found["body"])
        adapter = SanicOpenAPIRequest(request, operation, path_params)
        return self._unmarshaller.unmarshal_parameters_and_body(adapter)
