"""Agent files: list, read (buffered or streamed), write, delete.

Path and capability rules are in ``paths``; this module orchestrates WAP and the
``agent-file-changed`` / ``agent-config-reloaded`` events.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from service import errors
from service.clock import AbstractClock
from service.domain import OwnedContainer
from service.errors import FieldError
from service.events import CONFIG_RELOADED, FILE_CHANGED, AbstractEventPublisher, AgentEvent
from service.sessions import Caller
from service.usecases import paths
from service.usecases.ownership import Ownership
from service.usecases.streams import StreamGate
from service.wap import AbstractWap, Stream
from service.wap_types import DeleteResult, WriteResult

Encoding = Literal["utf-8", "base64"]


@dataclass(frozen=True)
class Entry:
    name: str
    path: str
    type: str  # file | directory
    size: int | None
    modified_at: datetime | None
    writable: bool


@dataclass(frozen=True)
class Listing:
    path: str | None  # None: the container's roots
    entries: Sequence[Entry]


@dataclass(frozen=True)
class FileRead:
    path: str
    content: str  # the bytes as UTF-8 text, or base64 when they are not UTF-8
    encoding: Encoding
    size: int
    modified_at: datetime
    etag: str | None


@dataclass(frozen=True)
class FileWritten:
    path: str
    result: WriteResult

    @property
    def action(self) -> str:
        return "created" if self.result.created else "updated"


@dataclass(frozen=True)
class FileDeleted:
    path: str
    result: DeleteResult


@dataclass(frozen=True)
class _FileUseCase:
    ownership: Ownership
    wap: AbstractWap


class ListFiles(_FileUseCase):
    """A directory's entries, or with no path the container's roots (no WAP call)."""

    async def __call__(self, caller: Caller, container_id: str, raw: str | None) -> Listing:
        container = await self.ownership.container(caller, container_id)
        if raw is None:
            entries = [
                Entry(
                    name=root.rsplit("/", 1)[-1] or "/",
                    path=root,
                    type="directory",
                    size=None,
                    modified_at=None,
                    writable=paths.is_writable(container, root),
                )
                for root in paths.roots(container)
            ]
            return Listing(None, entries)
        found = await self.wap.list_container_files(
            container.wap_id, paths.readable(container, raw)
        )
        return Listing(
            found.path,
            [
                Entry(
                    e.name,
                    e.path,
                    e.type,
                    e.size,
                    e.modified_at,
                    paths.is_writable(container, e.path),
                )
                for e in found.entries
            ],
        )


class ReadFile(_FileUseCase):
    """A whole file (at most ``max_file_bytes``), as text when it is UTF-8."""

    def __init__(
        self, ownership: Ownership, wap: AbstractWap, *, max_file_bytes: int, clock: AbstractClock
    ) -> None:
        super().__init__(ownership, wap)
        self.max_bytes = max_file_bytes
        self.clock = clock

    async def __call__(self, caller: Caller, container_id: str, raw: str) -> FileRead:
        container = await self.ownership.container(caller, container_id)
        path = paths.readable(container, raw)
        found = await self.wap.read_container_file(container.wap_id, path, max_bytes=self.max_bytes)
        text: str
        encoding: Encoding
        try:
            text, encoding = found.content.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(found.content).decode("ascii"), "base64"
        # WAP may omit Last-Modified: the read itself is then the freshest moment known.
        modified = found.last_modified or datetime.fromtimestamp(self.clock.now(), UTC)
        return FileRead(path, text, encoding, found.size, modified, found.etag)


@dataclass(frozen=True)
class OpenFile(_FileUseCase):
    """A file streamed from WAP, any size, within the stream bounds (it fails when WAP
    stalls or it outlasts them). The caller owns (and closes) the stream."""

    streams: StreamGate

    async def __call__(self, caller: Caller, container_id: str, raw: str) -> Stream[bytes]:
        container = await self.ownership.container(caller, container_id)
        path = paths.readable(container, raw)
        return await self.streams.open(
            caller, lambda: self.wap.open_container_file(container.wap_id, path), on_limit="fail"
        )


@dataclass(frozen=True)
class _ChangeFile(_FileUseCase):
    events: AbstractEventPublisher

    async def _announce(
        self,
        container: OwnedContainer,
        path: str,
        action: str,
        reloaded: Sequence[str],
        hot_reloaded: bool,
    ) -> None:
        await self.events.publish(
            AgentEvent.about(container, FILE_CHANGED, path=path, action=action)
        )
        # WAP's word alone is not enough: only an agent that hot-reloads its instructions
        # directory announces a reload (DESIGN.md, decision 7).
        if hot_reloaded and container.hot_reloads(path):
            await self.events.publish(
                AgentEvent.about(container, CONFIG_RELOADED, files=list(reloaded))
            )


class WriteFile(_ChangeFile):
    """Creates or replaces a file inside the writable paths (``If-Match`` honoured)."""

    def __init__(
        self,
        ownership: Ownership,
        wap: AbstractWap,
        events: AbstractEventPublisher,
        *,
        max_file_bytes: int,
    ) -> None:
        super().__init__(ownership, wap, events)
        self.max_bytes = max_file_bytes

    async def __call__(
        self,
        caller: Caller,
        container_id: str,
        raw: str,
        content: str,
        encoding: Encoding,
        *,
        if_match: str | None,
    ) -> FileWritten:
        container = await self.ownership.container(caller, container_id)
        path = paths.writable(container, raw)
        data = decode_content(content, encoding, max_bytes=self.max_bytes)
        result = await self.wap.write_container_file(
            container.wap_id, path, data, if_match=if_match
        )
        written = FileWritten(path, result)
        await self._announce(
            container, path, written.action, result.reloaded_files, result.hot_reloaded
        )
        return written


class DeleteFile(_ChangeFile):
    """Deletes a file inside the writable paths (``If-Match`` honoured)."""

    async def __call__(
        self, caller: Caller, container_id: str, raw: str, *, if_match: str | None
    ) -> FileDeleted:
        container = await self.ownership.container(caller, container_id)
        path = paths.writable(container, raw)
        result = await self.wap.delete_container_file(container.wap_id, path, if_match=if_match)
        await self._announce(container, path, "deleted", result.reloaded_files, result.hot_reloaded)
        return FileDeleted(path, result)


def decode_content(content: str, encoding: Encoding, *, max_bytes: int) -> bytes:
    """The bytes a write request carries; 422 for bad base64, 413 above ``max_bytes``."""
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
