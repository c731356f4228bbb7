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
are the functions' branches. Every detail is ours: what WAP says about a failure
(its ``error`` and ``message``, or the start of a body without them) may name WAP's
ids, hosts or internals, so it goes only to our log (``warning`` for a failure,
``info`` for a status WAP explains), with the WAP container id it was about.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Final

import httpx

from service import errors
from service.adapters.http1_transport import DeadlinePassed
from service.adapters.wap_answers import Malformed

log = logging.getLogger(__name__)

# (WAP status, WAP's ``error`` code, None for any other) -> (our error, our code, None for
# the class's own, our detail). Looked up with WAP's code first, then with None.
StatusError = tuple[type[errors.ApiError], str | None, str]
STATUS_ERRORS: Final[Mapping[tuple[int, str | None], StatusError]] = {
    (400, "invalid_path"): (errors.BadRequest, "invalid_path", "WAP Core refused the file path"),
    (400, "not_a_directory"): (
        errors.BadRequest, "invalid_path", "WAP Core refused the path: it is not a directory"
    ),
    (400, "is_a_directory"): (
        errors.BadRequest, "invalid_path", "WAP Core refused the path: it is a directory"
    ),
    (400, None): (errors.BadRequest, None, "WAP Core refused the request as invalid"),
    (404, None): (errors.NotFound, None, "WAP Core has no such file, directory or container"),
    (409, "update_in_progress"): (
        errors.UpdateInProgress, None, "An update of this container is already in progress"
    ),
    (409, None): (errors.Conflict, None, "The container's state does not allow this"),
    (412, None): (
        errors.PreconditionFailed, None, "The file's current entity tag does not match If-Match"
    ),
    (413, None): (errors.PayloadTooLarge, None, "The content is larger than WAP Core accepts"),
    (422, "unknown_tag"): (
        errors.Unprocessable, "unknown_tag", "WAP Core's registry does not have this tag"
    ),
    (422, None): (errors.Unprocessable, None, "WAP Core could not apply the request"),
}  # fmt: skip

_TIMEOUT_PHASES: Final[Mapping[type[httpx.TimeoutException], str]] = {
    httpx.ConnectTimeout: "connecting",
    httpx.ReadTimeout: "waiting for its answer",
    httpx.WriteTimeout: "sending the request",
    httpx.PoolTimeout: "waiting for a free connection",
}
_MAX_LOGGED = 500  # characters of WAP's words in our log


def transport_error(exc: Exception, *, answered: bool) -> errors.ApiError:
    """The error for an exception raised while sending (``answered=False``) or while
    reading the answer's body (``answered=True``)."""
    if isinstance(exc, DeadlinePassed):
        return errors.UpstreamTimeout(str(exc))
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
    parsed = _error_body(body)
    found = None
    if parsed is not None and 400 <= status < 500:
        found = STATUS_ERRORS.get((status, parsed[0])) or STATUS_ERRORS.get((status, None))
    _log_answer(status, body, parsed, wap_id, explained=found is not None)
    if status in (401, 403):
        return errors.UpstreamError(
            f"WAP Core refused the service's credentials (HTTP {status}); "
            "check WAP_USERNAME and WAP_PASSWORD"
        )
    if parsed is None:
        return errors.UpstreamError(f"WAP Core answered HTTP {status} without a usable error body")
    if status >= 500:
        return errors.UpstreamError(f"WAP Core failed (HTTP {status})")
    if found is None:
        return errors.UpstreamError(f"WAP Core answered HTTP {status} unexpectedly")
    error, our_code, detail = found
    return error(detail, code=our_code)


def _log_answer(
    status: int,
    body: bytes | None,
    parsed: tuple[str, str] | None,
    wap_id: str | None,
    *,
    explained: bool,
) -> None:
    """What WAP said, for us: a status it explains at info, any other at warning."""
    if parsed is not None:
        said = f"{parsed[0]}: {parsed[1][:_MAX_LOGGED]}"
    elif body:
        said = f"no error body, it starts {body[:_MAX_LOGGED]!r}"
    else:
        said = "no body" if body is not None else "a body too long to read"
    level = logging.INFO if explained else logging.WARNING
    log.log(level, "WAP Core answered HTTP %s about %s (%s)", status, wap_id or "-", said)


def malformed_answer(method: str, action: str, exc: Malformed) -> errors.UpstreamError:
    log.warning("WAP Core's answer to %s %s is malformed: %s", method, action, exc)
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
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    code, message = data.get("error"), data.get("message")
    if not isinstance(code, str) or not isinstance(message, str):
        return None
    return code, message
