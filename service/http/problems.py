"""Every error leaves as RFC 9457 ``application/problem+json``; one handler does it.

An error found before Sanic has a request (a URL its parser refuses: a control
character in the request line) is answered with a stand-in request Sanic builds from
the same URL, which failed again, so the client got no answer at all and the log a
traceback; ``register`` makes Sanic build it with ``ErrorSafeRequest``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sanic import Sanic
from sanic.exceptions import BadURL, SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from service import errors
from service.http.render import API_HEADERS

App = Sanic[Any, Any]

log = logging.getLogger("armory.http")
PROBLEM_JSON = "application/problem+json"
_HEADER_LIMIT = "Request header exceeds the size limit"  # Sanic's words

_SANIC_CODES = {
    400: ("invalid_request", errors.BadRequest),
    401: ("unauthorised", errors.Unauthorised),
    404: ("not_found", errors.NotFound),
    405: ("method_not_allowed", errors.MethodNotAllowed),
    413: ("payload_too_large", errors.PayloadTooLarge),
    415: ("unsupported_media_type", errors.UnsupportedMediaType),
    503: ("response_timeout", errors.ResponseTimeout),  # Sanic's: RESPONSE_TIMEOUT passed
}


class ErrorSafeRequest(Request):
    """Sanic's request, but its stand-in for answering an error (method ``NONE``) takes
    the URL ``/`` when the one received is what the error was about."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        try:
            super().__init__(*args, **kwargs)
        except BadURL:
            if kwargs.get("method") != "NONE" or "url_bytes" not in kwargs:
                raise
            super().__init__(*args, **{**kwargs, "url_bytes": b"/"})


def problem_response(error: errors.ApiError, request: Request | None = None) -> HTTPResponse:
    body = error.problem(instance=request.path if request is not None else None)
    return HTTPResponse(
        json.dumps(body, separators=(",", ":")),
        status=error.status,
        headers={**API_HEADERS, **error.headers},
        content_type=PROBLEM_JSON,
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: App, path: str) -> tuple[str, ...]:
    """The methods some route of ``app`` serves ``path`` with. Sanic names them in its 405
    for a path with one route, but not for one with several (``/env``: GET and PATCH)."""
    found = []
    for method in _METHODS:
        try:
            app.router.get(path, method, None)
        except SanicException:
            continue
        found.append(method)
    return tuple(found)


def _from_sanic(exc: SanicException, request: Request | None = None) -> errors.ApiError:
    status = exc.status_code
    _, cls = _SANIC_CODES.get(status, ("", errors.ApiError))
    headers = dict(getattr(exc, "headers", None) or {})
    if status == 405 and not (headers.get("Allow") or headers.get("allow")):
        headers.pop("allow", None)
        allowed = getattr(exc, "allowed_methods", None) or ()
        if not allowed and request is not None:
            allowed = allowed_methods(request.app, request.path)
        headers["Allow"] = ", ".join(sorted(allowed))
    if status == 404:
        return errors.NotFound("No such resource.", headers=headers)
    if status == 413 and _HEADER_LIMIT in str(exc):
        # Sanic's own server refuses an oversized request line or header block as a 413;
        # it is a 431, and says which limit.
        return errors.HeadersTooLarge(
            "The request line and headers are larger than REQUEST_MAX_HEADER_SIZE.",
            headers=headers,
        )
    if status == 503:
        return errors.ResponseTimeout(
            "The service did not answer within RESPONSE_TIMEOUT; retry shortly."
        )
    if cls is errors.ApiError:
        generic = errors.ApiError(str(exc) or "Request failed", headers=headers)
        generic.status = status  # type: ignore[misc]
        return generic
    error: errors.ApiError = cls(str(exc) or None, headers=headers)
    return error


def register(app: App) -> None:
    app.request_class = ErrorSafeRequest

    @app.exception(errors.ApiError)
    async def api_error(request: Request, exc: errors.ApiError) -> HTTPResponse:
        return problem_response(exc, request)

    @app.exception(SanicException)
    async def sanic_error(request: Request, exc: SanicException) -> HTTPResponse:
        if exc.status_code == 503:  # RESPONSE_TIMEOUT: a neighbour crawls, not a bug
            log.warning("no answer within RESPONSE_TIMEOUT: %s %s", request.method, request.path)
        elif exc.status_code >= 500:
            log.exception("request failed", exc_info=exc)
        return problem_response(_from_sanic(exc, request), request)

    @app.exception(Exception)
    async def unexpected(request: Request, exc: Exception) -> HTTPResponse:
        log.exception("unhandled error on %s %s", request.method, request.path, exc_info=exc)
        return problem_response(errors.ApiError("An unexpected error occurred."), request)
