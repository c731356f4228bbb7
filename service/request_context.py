"""What the layers below the HTTP entrypoint learn about the request they serve.

The HTTP layer (``service.http.observability``) makes one ``RequestContext`` per request
and sets ``CURRENT`` for the task that serves it; code that has no request object reads
it: the WAP client forwards ``request_id`` as ``X-Request-ID`` and adds the time it spent
waiting for WAP to ``wap_seconds``; the pipeline names the caller's account and the
container. The access log line (one per request) is written from it.

A request id is what a client sent as ``X-Request-ID`` when it is 1 to 128 characters of
``[A-Za-z0-9._:-]`` (``accepted_request_id``), else a new one (``new_request_id``): input
that does not qualify is never echoed, logged or forwarded.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from dataclasses import dataclass

_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


@dataclass(slots=True)
class RequestContext:
    request_id: str
    started: float  # time.perf_counter() when the request reached the app
    account: str | None = None
    container_id: str | None = None
    wap_seconds: float = 0.0  # time spent waiting for WAP Core's answers


CURRENT: ContextVar[RequestContext | None] = ContextVar("armory_request", default=None)


def accepted_request_id(presented: str | None) -> str | None:
    """``presented`` if it may serve as a request id, else ``None``."""
    if presented is not None and _VALID_ID.fullmatch(presented):
        return presented
    return None


def new_request_id() -> str:
    """128 random bits in hex (as a uuid4's hex, without building a UUID)."""
    return os.urandom(16).hex()


def current_request_id() -> str | None:
    context = CURRENT.get()
    return None if context is None else context.request_id
