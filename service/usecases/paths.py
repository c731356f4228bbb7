"""Where a caller may touch an agent's files: path canonicalisation and access rules.

Paths are checked before WAP is called: they must be absolute, free of ``.``/``..``
segments, NUL bytes and other control characters (a line break in a name is how a log
line or a listing is forged), lone surrogates (no UTF-8 form), backslashes and leftover
percent-encoding (a second layer of encoding is how traversal slips past a single
decode), and lie under the
container's readable (``readOnlyPaths`` + ``writablePaths``) or writable roots.
Listing and reading need ``file.read``; writing and deleting need ``file.write``.
A container without access parameters allows no file access.
"""

from __future__ import annotations

import re

from service import errors
from service.domain import CAP_FILE_READ, CAP_FILE_WRITE, OwnedContainer
from service.errors import FieldError
from service.usecases.ownership import require_capability

MAX_PATH = 1024  # as the contract bounds file paths
_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def normalise_path(raw: str) -> str:
    """An absolute, canonical path, or ``BadRequest(code="invalid_path")``."""

    def refuse(why: str) -> errors.BadRequest:
        return errors.BadRequest(
            f"Invalid file path: {why}.", code="invalid_path", errors=[FieldError("path", why)]
        )

    if not raw.startswith("/"):
        raise refuse("it must be absolute")
    if len(raw) > MAX_PATH:
        raise refuse(f"it is longer than {MAX_PATH} characters")
    if "\x00" in raw:
        raise refuse("it contains a NUL byte")
    if _CONTROL.search(raw):
        raise refuse("it contains a control character")
    if _SURROGATE.search(raw):
        raise refuse("it contains a lone surrogate")
    if "\\" in raw:
        raise refuse("it contains a backslash")
    if _ENCODED.search(raw):
        raise refuse("it contains percent-encoding after decoding")
    segments = [s for s in raw.split("/") if s]
    if any(s in (".", "..") for s in segments):
        raise refuse("'.' and '..' segments are not allowed")
    return "/" + "/".join(segments)


def readable(container: OwnedContainer, raw: str) -> str:
    """The canonical path, if the caller may list or read it on this container."""
    require_capability(container, CAP_FILE_READ)
    path = normalise_path(raw)
    if container.access is None or not container.access.can_read(path):
        raise errors.PathForbidden("This path is outside the agent's readable paths.")
    return path


def writable(container: OwnedContainer, raw: str) -> str:
    """The canonical path, if the caller may write or delete it on this container."""
    require_capability(container, CAP_FILE_WRITE)
    path = normalise_path(raw)
    if container.access is None or not container.access.can_write(path):
        raise errors.PathForbidden("This path is outside the agent's writable paths.")
    return path


def is_writable(container: OwnedContainer, path: str) -> bool:
    return (
        CAP_FILE_WRITE in container.capabilities
        and container.access is not None
        and container.access.can_write(path)
    )


def roots(container: OwnedContainer) -> tuple[str, ...]:
    """The readable roots (what a listing without ``path`` shows)."""
    require_capability(container, CAP_FILE_READ)
    if container.access is None:
        raise errors.PathForbidden("This agent has no file access parameters.")
    return container.access.readable_roots
