"""Agent files: list, read, write, delete, inside the container's access parameters.

Paths are checked before WAP is called: they must be absolute, free of ``.``/``..``
segments, NUL bytes, backslashes and leftover percent-encoding (a second layer of
encoding is how traversal slips past a single decode), and lie under the
container's readable (``readOnlyPaths`` + ``writablePaths``) or writable roots.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from service import errors
from service.domain import CAP_FILE_READ, CAP_FILE_WRITE, OwnedContainer
from service.errors import FieldError
from service.events import CONFIG_RELOADED, FILE_CHANGED, AbstractEventPublisher, AgentEvent
from service.usecases.ownership import require_capability
from service.wap import AbstractWap, DeleteResult, FileContent, FileListing, FileStream, WriteResult

MAX_PATH = 4096
_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")


def normalise_path(raw: str) -> str:
    """An absolute, canonical path, or ``BadRequest(code="invalid_path")``."""

    def refuse(why: str) -> errors.BadRequest:
        return errors.BadRequest(
            f"Invalid file path: {why}.",
            code="invalid_path",
            errors=[FieldError("path", why)],
        )

    if not raw.startswith("/"):
        raise refuse("it must be absolute")
    if len(raw) > MAX_PATH:
        raise refuse(f"it is longer than {MAX_PATH} characters")
    if "\x00" in raw:
        raise refuse("it contains a NUL byte")
    if "\\" in raw:
        raise refuse("it contains a backslash")
    if _ENCODED.search(raw):
        raise refuse("it contains percent-encoding after decoding")
    segments = [s for s in raw.split("/") if s]
    if any(s in (".", "..") for s in segments):
        raise refuse("'.' and '..' segments are not allowed")
    return "/" + "/".join(segments)


@dataclass(frozen=True)
class RootEntry:
    path: str
    writable: bool


def _readable(container: OwnedContainer, raw: str) -> str:
    require_capability(container, CAP_FILE_READ)
    path = normalise_path(raw)
    if container.access is None or not container.access.can_read(path):
        raise errors.PathForbidden("This path is outside the agent's readable paths.")
    return path


def _writable(container: OwnedContainer, raw: str) -> str:
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


def list_roots(container: OwnedContainer) -> list[RootEntry]:
    require_capability(container, CAP_FILE_READ)
    if container.access is None:
        raise errors.PathForbidden("This agent has no file access parameters.")
    return [RootEntry(p, is_writable(container, p)) for p in container.access.readable_roots]


async def list_files(wap: AbstractWap, container: OwnedContainer, raw: str) -> FileListing:
    return await wap.list_container_files(container.wap_id, _readable(container, raw))


async def read_file(
    wap: AbstractWap, container: OwnedContainer, raw: str, *, max_bytes: int
) -> tuple[str, FileContent]:
    path = _readable(container, raw)
    return path, await wap.read_container_file(container.wap_id, path, max_bytes=max_bytes)


async def open_file(wap: AbstractWap, container: OwnedContainer, raw: str) -> FileStream:
    return await wap.open_container_file(container.wap_id, _readable(container, raw))


def decode_content(content: str, encoding: str, *, max_bytes: int) -> bytes:
    if encoding == "base64":
        try:
            data = base64.b64decode(content.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise errors.Unprocessable(
                "content is not valid base64.",
                errors=[FieldError("body.content", "is not valid base64")],
            ) from None
    else:
        data = content.encode("utf-8", "surrogatepass")
    if len(data) > max_bytes:
        raise errors.PayloadTooLarge(
            f"The file is {len(data)} bytes; the limit is {max_bytes} bytes.",
            extra={"limit": max_bytes},
        )
    return data


async def _announce(
    events: AbstractEventPublisher,
    container: OwnedContainer,
    path: str,
    action: str,
    reloaded: tuple[str, ...] | list[str],
    hot_reloaded: bool,
) -> None:
    await events.publish(AgentEvent.about(container, FILE_CHANGED, path=path, action=action))
    if hot_reloaded:
        await events.publish(AgentEvent.about(container, CONFIG_RELOADED, files=list(reloaded)))


async def write_file(
    wap: AbstractWap,
    events: AbstractEventPublisher,
    container: OwnedContainer,
    raw: str,
    data: bytes,
    *,
    if_match: str | None,
) -> tuple[str, WriteResult]:
    path = _writable(container, raw)
    result = await wap.write_container_file(container.wap_id, path, data, if_match=if_match)
    action = "created" if result.created else "updated"
    await _announce(events, container, path, action, result.reloaded_files, result.hot_reloaded)
    return path, result


async def delete_file(
    wap: AbstractWap,
    events: AbstractEventPublisher,
    container: OwnedContainer,
    raw: str,
    *,
    if_match: str | None,
) -> tuple[str, DeleteResult]:
    path = _writable(container, raw)
    result = await wap.delete_container_file(container.wap_id, path, if_match=if_match)
    await _announce(events, container, path, "deleted", result.reloaded_files, result.hot_reloaded)
    return path, result
