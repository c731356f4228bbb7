"""Errors the stub's state machine raises; each maps to one WAP error answer.

StubError                 (status, code) -> `{"error": code, "message": ...}`
├── InvalidRequest        400 invalid_request
├── BadPath               400 invalid_path | not_a_directory | is_a_directory
├── NotFound              404 not_found
├── Conflict              409 conflict | update_in_progress
├── PreconditionFailed    412 precondition_failed
└── UnknownTag            422 unknown_tag
"""

from __future__ import annotations


class StubError(Exception):
    """A subclass names its answer: ``class NotFound(StubError, status=404, code="not_found")``."""

    status = 500
    code = "internal_error"

    def __init_subclass__(cls, *, status: int, code: str, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.status, cls.code = status, code

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def body(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}


class InvalidRequest(StubError, status=400, code="invalid_request"): ...


class BadPath(StubError, status=400, code="invalid_path"): ...


class NotFound(StubError, status=404, code="not_found"): ...


class Conflict(StubError, status=409, code="conflict"): ...


class PreconditionFailed(StubError, status=412, code="precondition_failed"): ...


class UnknownTag(StubError, status=422, code="unknown_tag"): ...
