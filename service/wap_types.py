"""WAP's answers, as the port hands them to the use cases: frozen dataclasses, no I/O.

``service.wap.AbstractWap`` returns these; ``service.adapters.wap_answers`` reads
WAP Core's JSON into them, and the fakes build them directly. Timestamps are
timezone-aware ``datetime`` objects; ETags are kept exactly as WAP sends them (a
quoted entity tag, ``"<hex>"``) so they can be handed back in ``If-Match`` and an
``ETag`` header unchanged. The ``..._STATUSES`` / ``ENTRY_TYPES`` tuples list the
values of their ``Literal`` type, for checking an answer against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from typing import Literal

ContainerStatus = Literal["running", "stopped", "restarting"]
HealthStatus = Literal["healthy", "unhealthy", "starting", "none"]
EntryType = Literal["file", "directory"]

CONTAINER_STATUSES: tuple[ContainerStatus, ...] = ("running", "stopped", "restarting")
HEALTH_STATUSES: tuple[HealthStatus, ...] = ("healthy", "unhealthy", "starting", "none")
ENTRY_TYPES: tuple[EntryType, ...] = ("file", "directory")


# -- lifecycle -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerState:
    """A container's state after restart / stop / start."""

    id: str
    status: ContainerStatus
    changed_at: datetime


@dataclass(frozen=True)
class ImageUpdate:
    """The outcome of ``update_container_image``."""

    id: str
    image: str
    previous_tag: str
    tag: str
    status: str


# -- files ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileEntry:
    name: str
    path: str
    type: EntryType
    size: int
    modified_at: datetime


@dataclass(frozen=True)
class FileListing:
    path: str
    entries: tuple[FileEntry, ...]


@dataclass(frozen=True)
class FileContent:
    """A whole file, read into memory."""

    content: bytes
    content_type: str
    etag: str | None
    last_modified: datetime | None
    size: int


@dataclass(frozen=True)
class FileChange:
    """What WAP did about a changed file: hot-reloaded it (and which files), or needs a
    restart for it to take effect. The flags are keyword-only in every subclass."""

    path: str
    _: KW_ONLY
    hot_reloaded: bool
    reloaded_files: tuple[str, ...]
    restart_required: bool


@dataclass(frozen=True)
class WriteResult(FileChange):
    created: bool
    size: int
    etag: str
    modified_at: datetime


@dataclass(frozen=True)
class DeleteResult(FileChange):
    deleted: bool


# -- health and stats ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerHealth:
    """One container's health (``GET /containers/{wapId}/health``)."""

    id: str
    status: ContainerStatus
    health: HealthStatus
    started_at: datetime | None
    checked_at: datetime
    failing_streak: int


@dataclass(frozen=True)
class ContainerResources:
    cpu_percent: float
    memory_bytes: int
    memory_limit_bytes: int


@dataclass(frozen=True)
class HealthEntry:
    """One container in the bulk health report."""

    id: str
    status: ContainerStatus
    health: HealthStatus
    checked_at: datetime
    resources: ContainerResources


@dataclass(frozen=True)
class HealthSummary:
    containers: tuple[HealthEntry, ...]


@dataclass(frozen=True)
class ContainerStats:
    id: str
    cpu_percent: float
    memory_bytes: int
    memory_limit_bytes: int
    network_rx_bytes: int
    network_tx_bytes: int
    block_read_bytes: int
    block_write_bytes: int
    pids: int
    sampled_at: datetime


# -- env -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvVariables:
    id: str
    variables: Mapping[str, str]


@dataclass(frozen=True)
class EnvUpdate:
    id: str
    variables: Mapping[str, str]
    restart_required: bool
