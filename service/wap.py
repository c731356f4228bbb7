"""The port to WAP Core: what the use cases may ask of it.

``AbstractWap`` is the only way the service talks to WAP Core. Its one real
adapter is ``service.adapters.wap_client.WapClient`` (httpx); tests above the
client use the ``wap_stub`` or a hand-written fake that subclasses this port.
Its typed answers are in ``service.wap_types``; ``Stream`` (items WAP streams)
and ``LogOptions`` (which log lines to ask for) are here, beside the methods
that take or return them.

Every method raises only ``service.errors.ApiError`` subclasses:

    NotFound              WAP has no such container (or file / directory)
    Conflict              WAP refused the state change (already running / stopped);
                          ``UpdateInProgress`` while another image update runs
    PreconditionFailed    ``if_match`` no longer matches the file
    Unprocessable         WAP rejected the request body (``unknown_tag`` for a missing image tag)
    BadRequest            WAP rejected a parameter (``invalid_path`` for a path of the wrong kind)
    PayloadTooLarge       a buffered read found a file bigger than ``max_bytes``
    UpstreamError         WAP answered 5xx, refused our credentials, or sent a malformed answer
    UpstreamUnavailable   WAP could not be reached, or closed the connection before answering
    UpstreamTimeout       WAP did not answer in time
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Self, TypedDict, TypeVar, Unpack

from service.wap_types import (
    ContainerHealth,
    ContainerState,
    ContainerStats,
    DeleteResult,
    EnvUpdate,
    EnvVariables,
    FileContent,
    FileListing,
    HealthSummary,
    ImageUpdate,
    WriteResult,
)

T = TypeVar("T")


async def _nothing_to_close() -> None:
    return None


class StreamMeta(TypedDict, total=False):
    """What ``Stream.of`` may be told besides its items: the fields of ``Stream``."""

    close: Callable[[], Awaitable[None]]
    content_type: str | None
    etag: str | None
    size: int | None
    last_modified: datetime | None


@dataclass(frozen=True)
class Stream(Generic[T]):
    """Items being streamed from WAP: ``bytes`` chunks of a file, or log lines (``str``,
    without their ``\\n``). Iterate it (``async for``) for the items.

    The caller owns the stream and must close it (``await stream.aclose()`` or
    ``async with stream:``); it closes itself once fully read. Iterating may raise
    ``UpstreamError`` / ``UpstreamTimeout`` if WAP fails in the middle of it.

    The metadata is what WAP announced up front, ``None`` where it did not (a log
    stream has none): ``size`` is the announced ``Content-Length``, ``etag`` is kept
    exactly as sent (quoted).
    """

    items: AsyncIterator[T] = field(repr=False)
    close: Callable[[], Awaitable[None]] = field(default=_nothing_to_close, repr=False)
    content_type: str | None = None
    etag: str | None = None
    size: int | None = None
    last_modified: datetime | None = None

    @classmethod
    def of(cls, items: Iterable[T], **meta: Unpack[StreamMeta]) -> Stream[T]:
        """A stream over items already in memory (for fakes); ``meta`` sets the other fields."""
        return cls(_iterate(list(items)), **meta)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        try:
            return await self.items.__anext__()
        except StopAsyncIteration:
            await self.close()  # fully read: nothing left to hold open
            raise

    async def aclose(self) -> None:
        await self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


async def _iterate(items: Iterable[T]) -> AsyncIterator[T]:
    for item in items:
        yield item


MAX_LOG_TAIL = 10_000  # the most lines a log request may ask for (the contract's maximum)


@dataclass(frozen=True)
class LogOptions:
    """Which log lines to ask for: the last ``tail`` lines (WAP's default when
    ``None``), only those since ``since`` (timezone-aware), with timestamps or not."""

    tail: int | None = None
    since: datetime | None = None
    timestamps: bool = False

    def __post_init__(self) -> None:
        if self.tail is not None and not 1 <= self.tail <= MAX_LOG_TAIL:
            raise ValueError(f"tail must be between 1 and {MAX_LOG_TAIL}, not {self.tail}")
        if self.since is not None and self.since.utcoffset() is None:
            raise ValueError("since must be timezone-aware")


class AbstractWap(abc.ABC):
    """WAP Core, as the use cases see it. ``wap_id`` is WAP's own container reference.

    Unless a method says otherwise, each may raise ``NotFound`` (unknown container),
    ``UpstreamError``, ``UpstreamUnavailable`` or ``UpstreamTimeout`` (see the module
    docstring); nothing else escapes.
    """

    async def start(self) -> None:
        """Acquire resources (connection pools). Call once before any other method."""
        return None  # nothing to acquire by default

    async def aclose(self) -> None:
        """Release resources. Streams still open are closed."""
        return None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @abc.abstractmethod
    async def restart_container(self, wap_id: str) -> ContainerState:
        """Restart the container; the answer has ``status == "running"``."""

    @abc.abstractmethod
    async def stop_container(self, wap_id: str) -> ContainerState:
        """Stop the container. Raises ``Conflict`` if it is already stopped."""

    @abc.abstractmethod
    async def start_container(self, wap_id: str) -> ContainerState:
        """Start the container. Raises ``Conflict`` if it is already running."""

    @abc.abstractmethod
    async def update_container_image(self, wap_id: str, image: str, tag: str) -> ImageUpdate:
        """Move the container to ``image:tag``.

        Raises ``Unprocessable(code="unknown_tag")`` when WAP's registry lacks
        ``image:tag`` and ``UpdateInProgress`` (a ``Conflict``) while another update
        of it runs. Never retried.
        """

    @abc.abstractmethod
    async def list_container_files(self, wap_id: str, path: str) -> FileListing:
        """List the absolute directory ``path``.

        Raises ``NotFound`` if it does not exist and ``BadRequest(code="invalid_path")``
        if it is not a directory.
        """

    @abc.abstractmethod
    async def read_container_file(self, wap_id: str, path: str, *, max_bytes: int) -> FileContent:
        """Read the whole file at absolute ``path`` into memory.

        Raises ``NotFound`` if it does not exist, and ``PayloadTooLarge`` if it is
        bigger than ``max_bytes`` (known from ``Content-Length`` without reading,
        or found while reading).
        """

    @abc.abstractmethod
    async def open_container_file(self, wap_id: str, path: str) -> Stream[bytes]:
        """Start streaming the file at absolute ``path``; the caller must close the stream.

        Errors that WAP answers up front (``NotFound`` ...) are raised here, before
        any chunk; a failure mid-file is raised while iterating.
        """

    @abc.abstractmethod
    async def write_container_file(
        self, wap_id: str, path: str, content: bytes, *, if_match: str | None = None
    ) -> WriteResult:
        """Create or replace the file at absolute ``path`` with ``content``.

        With ``if_match`` (an ETag), raises ``PreconditionFailed`` if the file has
        changed or does not exist. Never retried.
        """

    @abc.abstractmethod
    async def delete_container_file(
        self, wap_id: str, path: str, *, if_match: str | None = None
    ) -> DeleteResult:
        """Delete the file at absolute ``path``.

        Raises ``NotFound`` if it does not exist and ``PreconditionFailed`` if
        ``if_match`` no longer matches. Never retried.
        """

    @abc.abstractmethod
    async def get_container_health(self, wap_id: str) -> ContainerHealth:
        """One container's health."""

    @abc.abstractmethod
    async def get_all_container_health(self) -> HealthSummary:
        """Health and resources of every container WAP runs (every account's)."""

    @abc.abstractmethod
    async def get_container_stats(self, wap_id: str) -> ContainerStats:
        """One sample of the container's resource usage."""

    @abc.abstractmethod
    async def get_container_logs(self, wap_id: str, options: LogOptions) -> list[str]:
        """The container's log lines, oldest first, without their ``\\n``."""

    @abc.abstractmethod
    async def follow_container_logs(self, wap_id: str, options: LogOptions) -> Stream[str]:
        """Start following the container's log; iterate the answer for lines.

        Errors WAP answers up front (``NotFound`` ...) are raised here. The stream
        waits for new lines with no read timeout, and ends when WAP ends it (the
        container stopped); the caller must close it.
        """

    @abc.abstractmethod
    async def get_container_env(self, wap_id: str) -> EnvVariables:
        """The container's environment variables, unmasked."""

    @abc.abstractmethod
    async def update_container_env(
        self, wap_id: str, set: Mapping[str, str], unset: Sequence[str]
    ) -> EnvUpdate:
        """Set and unset environment variables in one change. Never retried."""

    @abc.abstractmethod
    async def ping(self) -> None:
        """Whether WAP Core answers and accepts our credentials, as cheaply as the adapter
        can tell (the readiness probe): returns, or raises like any other method."""
