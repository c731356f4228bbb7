"""Request validation of the stub against `contracts/wap.yaml` (openapi-core)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
from openapi_core.unmarshalling.request.datatypes import RequestUnmarshalResult
from sanic import Request
from werkzeug.datastructures import Headers, ImmutableMultiDict

from wap_stub.errors import InvalidRequest

DEFAULT_CONTRACT = Path(__file__).resolve().parent.parent / "contracts" / "wap.yaml"


def contract_path() -> Path:
    return Path(os.environ.get("WAP_CONTRACT", DEFAULT_CONTRACT))


def load_contract(path: Path | None = None) -> dict[str, Any]:
    with open(path or contract_path(), encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    return spec


def load_openapi(path: Path | None = None) -> OpenAPI:
    """The contract as an openapi-core app, matching any host (servers: `/`)."""
    spec = load_contract(path)
    spec["servers"] = [{"url": "/"}]
    return OpenAPI.from_dict(spec)


class SanicOpenAPIRequest:
    """openapi-core's Request protocol over a Sanic request."""

    def __init__(self, request: Request) -> None:
        self.host_url = f"{request.scheme}://{request.host}"
        self.path = request.path
        self.method = request.method.lower()
        self.body: bytes | None = request.body or None
        self.content_type = (request.headers.get("content-type") or "").lower()
        self.parameters = RequestParameters(
            # Sanic's request.args drops blank values; the contract must see them
            query=ImmutableMultiDict(request.get_query_args(keep_blank_values=True)),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(dict(request.cookies)),
            path={},
        )


def _text(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:  # openapi-core's str() can fail on undecodable bodies
        return type(error).__name__


def describe(error: BaseException) -> str:
    """One readable line: the error and its causes, with the schema errors spelled out."""
    parts = [_text(error)]
    cause = error.__cause__
    while cause is not None:
        if isinstance(cause, MediaTypeDeserializeError):
            parts.append("the body cannot be decoded for its Content-Type")
            break
        cause_text = _text(cause)
        # an error's text repeats its cause's: keep the head, then the cause in detail
        parts[-1] = parts[-1].replace(cause_text, "").rstrip(": ") or parts[-1]
        schema_errors = getattr(cause, "schema_errors", None)
        if schema_errors:
            details = []
            for schema_error in schema_errors:
                where = "/".join(str(p) for p in schema_error.absolute_path)
                details.append(f"{where + ': ' if where else ''}{schema_error.message}")
            parts.append("; ".join(details))
            break
        parts.append(cause_text)
        cause = cause.__cause__
    return ": ".join(p for p in parts if p)


def unmarshal(openapi: OpenAPI, request: Request) -> RequestUnmarshalResult:
    """The unmarshalled request, or InvalidRequest(400 invalid_request) describing why not."""
    result = openapi.unmarshal_request(SanicOpenAPIRequest(request))
    if result.errors:
        raise InvalidRequest("; ".join(describe(e) for e in result.errors))
    return result
