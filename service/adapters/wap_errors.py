"""How WAP Core's failures become our errors: the one table, and the functions that apply it.

``WapClient`` catches every httpx exception and every non-2xx answer and raises what
this module builds (``raise ... from exc``), so no httpx exception leaves the adapter::

    what happened                                                  we raise            HTTP
    connect failure, or the connection closed before an answer     UpstreamUnavailable 502
    any timeout (connect, read, write, pool)                       UpstreamTimeout     504
    the connection broke off in the middle of an answer            UpstreamError       502
    WAP 5xx                                                        UpstreamError       502
    WAP 401 / 403 (WAP refused our credentials)                    UpstreamError       502
    WAP non-2xx without a ``{error, message}`` JSON body           UpstreamError       502
    WAP 400                                                        BadRequest          400
        (``invalid_path``, ``not_a_directory``, ``is_a_directory``: code ``invalid_path``)
    WAP 404                                                        NotFound            404
    WAP 409 (``update_in_progress``: UpdateInProgress)             Conflict            409
    WAP 412                                                        PreconditionFailed  412
    WAP 413                                                        PayloadTooLarge     413
    WAP 422 (``unknown_tag``: code ``unknown_tag``)                Unprocessable       422
    any other WAP status                                           UpstreamError       502
    a 2xx answer that does not have the contract's shape           UpstreamError       502
    a 2xx answer bigger than the service reads                     UpstreamError       502
    a buffered file read bigger than its ``max_bytes``             PayloadTooLarge     413

The statuses WAP explains (400 to 422) are ``STATUS_ERRORS`` below; the other rows
are the functions' branches. A detail carries WAP's ``message`` (never the rest of
its body, and with the WAP container id replaced: clients never see one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

import httpx

from service import errors
from service.adapters.wap_answers import Malformed

# (WAP status, WAP's ``error`` code, None for any other) -> (our error, our code, None for
# the class's own). Looked up with WAP's code first, then with None.
STATUS_ERRORS: Final[Mapping[tuple[int, str | None], tuple[type[errors.ApiError], str | None]]] = {
    (400, "invalid_path"): (errors.BadRequest, "invalid_path"),
    (400, "not_a_directory"): (errors.BadRequest, "invalid_path"),
    (400, "is_a_directory"): (errors.BadRequest, "invalid_path"),
    (400, None): (errors.BadRequest, None),
    (404, None): (errors.NotFound, None),
    (409, "update_in_progress"): (errors.UpdateInProgress, None),
    (409, None): (errors.Conflict, None),
    (412, None): (errors.PreconditionFailed, None),
    (413, None): (errors.PayloadTooLarge, None),
    (422, "unknown_tag"): (errors.Unprocessable, "unknown_tag"),
    (422, None): (errors.Unprocessable, None),
}

_TIMEOUT_PHASES: Final[Mapping[type[httpx.TimeoutException], str]] = {
    httpx.ConnectTimeout: "connecting",
    httpx.ReadTimeout: "waiting for its answer",
    httpx.WriteTimeout: "sending the request",
    httpx.PoolTimeout: "waiting for a free connection",
}
_MAX_MESSAGE = 500


def transport_error(exc: Exception, *, answered: bool) -> errors.ApiError:
    """The error for an exception raised while sending (``answered=False``) or while
    reading the answer's body (``answered=True``)."""
    if isinstance(exc, httpx.TimeoutException):
        phase = _TIMEOUT_PHASES.get(type(exc), "waiting for it")
        return errors.UpstreamTimeout(f"WAP Core timed out while {phase}")
    if answered:
        return errors.UpstreamError(f"WAP Core broke off its answer ({type(exc).__name__})")
    if isinstance(exc, httpx.TransportError):
        return errors.UpstreamUnavailable(f"WAP Core is unreachable ({type(exc).__name__})")
    return errors.UpstreamError(f"The request to WAP Core failed ({type(exc).__name__})")


def status_error(status: int, body: bytes | None, wap_id: str | None) -> errors.ApiError:
    """The error for a non-2xx answer with ``body`` (``None`` if too long to read),
    to a request about the container ``wap_id``."""
    if status in (401, 403):
        return errors.UpstreamError(
            f"WAP Core refused the service's credentials (HTTP {status}); "
            "check WAP_USERNAME and WAP_PASSWORD"
        )
    parsed = _error_body(body)
    if parsed is None:
        return errors.UpstreamError(f"WAP Core answered HTTP {status} without a usable error body")
    code, message = parsed[0], scrubbed(parsed[1], wap_id)
    if status >= 500:
        return errors.UpstreamError(f"WAP Core failed (HTTP {status}): {message}")
    found = STATUS_ERRORS.get((status, code)) or STATUS_ERRORS.get((status, None))
    if found is None:
        return errors.UpstreamError(f"WAP Core answered HTTP {status} ({code}): {message}")
    error, our_code = found
    return error(message, code=our_code)


def scrubbed(message: str, wap_id: str | None) -> str:
    """WAP's ``message`` as a client may see it: without the WAP container id, and short."""
    if wap_id:
        message = message.replace(wap_id, "<container>")
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE] + "…"
    return message


def malformed_answer(method: str, action: str, exc: Malformed) -> errors.UpstreamError:
    return errors.UpstreamError(f"WAP Core's answer to {method} {action} is malformed: {exc}")


def answer_too_large(what: str = "answer") -> errors.UpstreamError:
    return errors.UpstreamError(f"WAP Core's {what} is larger than the service accepts")


def file_too_large(path: str, max_bytes: int, size: int | None = None) -> errors.PayloadTooLarge:
    """``size`` is the announced length, if it was announced."""
    size_text = f"{size} bytes" if size is not None else f"larger than {max_bytes} bytes"
    return errors.PayloadTooLarge(
        f"{path} is {size_text}; at most {max_bytes} bytes can be read at once"
    )


def _error_body(body: bytes | None) -> tuple[str, str] | None:
    """WAP's ``(error, message)``, or ``None`` if the body is not that shape."""
    if not body:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    code, message = data.get("error"), data.get("message")
    if not isinstance(code, str) or not isinstance(message, str):
        return None
    return code, message
