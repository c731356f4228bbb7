"""The service's one error hierarchy.

Every error a client can see is an ``ApiError``: it carries an HTTP status and a
stable machine-readable ``code``, and one handler turns it into an RFC 9457
``application/problem+json`` response. Lower layers (httpx, Pony, the
SuperTokens SDK) are translated into these classes where they are caught.

    ApiError                      500  internal_error
    ├── BadRequest                400  invalid_request, malformed_body, invalid_path
    ├── Unauthorised              401  unauthorised, anti_csrf_failed
    │   └── TryRefreshToken       401  try_refresh_token
    ├── Forbidden                 403  container_forbidden
    │   ├── CapabilityMissing     403  capability_missing
    │   └── PathForbidden         403  path_forbidden
    ├── NotFound                  404  not_found
    ├── MethodNotAllowed          405  method_not_allowed
    ├── Conflict                  409  conflict
    │   └── UpdateInProgress      409  update_in_progress
    ├── PreconditionFailed        412  precondition_failed
    ├── PayloadTooLarge           413  payload_too_large
    ├── UnsupportedMediaType      415  unsupported_media_type
    ├── TooManyStreams            429  too_many_streams
    ├── HeadersTooLarge           431  headers_too_large
    ├── Unprocessable             422  validation_failed, unknown_tag, protected_variable,
    │                                  invalid_variable_name
    ├── UpstreamError             502  wap_error
    │   ├── UpstreamUnavailable   502  wap_unavailable
    │   └── UpstreamTimeout       504  wap_timeout
    ├── NotReady                  503  not_ready
    └── DatabaseUnavailable       503  database_unavailable

Each class's first code is its own ``code``; the others are given as ``code=``
where they are raised. ``ApiError`` itself is the unexpected failure (and, with
its status set, a framework error of a status no class above has).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldError:
    """One failing field of a request: where it is (``body.tag``, ``query.tail``) and why."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ApiError(Exception):
    """Base of every error that becomes a problem+json response."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.instance_code = code or self.code
        self.errors = tuple(errors)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(self.detail)

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://armory.dev/problems/{self.instance_code.replace('_', '-')}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.instance_code,
        }
        if instance is not None:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        body.update(self.extra)
        return body


class BadRequest(ApiError):
    status, code, title = 400, "invalid_request", "Bad request"


class Unauthorised(ApiError):
    status, code, title = 401, "unauthorised", "Unauthorised"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        # SuperTokens frontends read `message`: "unauthorised" clears the session.
        kwargs.setdefault("extra", {"message": "unauthorised"})
        super().__init__(detail, **kwargs)


class TryRefreshToken(Unauthorised):
    code, title = "try_refresh_token", "Access token expired"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        # "try refresh token" tells a SuperTokens frontend to refresh and retry.
        kwargs.setdefault("extra", {"message": "try refresh token"})
        super().__init__(detail or "The access token has expired; refresh it.", **kwargs)


class Forbidden(ApiError):
    status, code, title = 403, "container_forbidden", "Forbidden"


class CapabilityMissing(Forbidden):
    code, title = "capability_missing", "Capability missing"


class PathForbidden(Forbidden):
    code, title = "path_forbidden", "Path not allowed"


class NotFound(ApiError):
    status, code, title = 404, "not_found", "Not found"


class MethodNotAllowed(ApiError):
    status, code, title = 405, "method_not_allowed", "Method not allowed"


class Conflict(ApiError):
    status, code, title = 409, "conflict", "Conflict"


class UpdateInProgress(Conflict):
    code, title = "update_in_progress", "An update is already in progress"


class PreconditionFailed(ApiError):
    status, code, title = 412, "precondition_failed", "Precondition failed"


class PayloadTooLarge(ApiError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class UnsupportedMediaType(ApiError):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class HeadersTooLarge(ApiError):
    status, code, title = 431, "headers_too_large", "Request header fields too large"


class Unprocessable(ApiError):
    status, code, title = 422, "validation_failed", "Unprocessable request"


class UpstreamError(ApiError):
    status, code, title = 502, "wap_error", "WAP Core answered with an error"


class UpstreamUnavailable(UpstreamError):
    code, title = "wap_unavailable", "WAP Core is unreachable"


class UpstreamTimeout(UpstreamError):
    status, code, title = 504, "wap_timeout", "WAP Core timed out"


class TooManyStreams(ApiError):
    """The account already holds as many open streams as it may (``STREAMS_PER_ACCOUNT``)."""

    status, code, title = 429, "too_many_streams", "Too many open streams"

    def __init__(self, detail: str, *, retry_after: int, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(retry_after)})
        super().__init__(detail, **kwargs)


class DatabaseUnavailable(ApiError):
    """The database cannot be reached (stopped, restarting, unreachable): worth retrying
    after ``Retry-After`` seconds. Raised by the repository adapter for the driver's
    connection failures, never for a query that the database refused."""

    status, code, title = 503, "database_unavailable", "The database is unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 2, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(retry_after)})
        super().__init__(detail or "The database cannot be reached; retry shortly.", **kwargs)


class ResponseTimeout(ApiError):
    """The handler did not answer within ``RESPONSE_TIMEOUT`` (Sanic's own limit): worth
    retrying. WAP's slowness answers 504 before it (``WAP_DEADLINE`` is shorter)."""

    status, code, title = 503, "response_timeout", "The answer took too long"

    def __init__(self, detail: str | None = None, *, retry_after: int = 1, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(retry_after)})
        super().__init__(detail or "The service did not answer in time; retry shortly.", **kwargs)


class NotReady(ApiError):
    """The readiness probe's answer when a part of this instance (database, WAP Core,
    Redis) failed its check or did not answer in time: ``detail`` names the parts, the
    ``checks`` extension member gives each part's result. Only ``/readyz`` answers it."""

    status, code, title = 503, "not_ready", "Not ready"
