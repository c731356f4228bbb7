"""A stateful, in-process WAP Core for unit tests: the port-level twin of ``wap_stub``.

``FakeWap`` keeps containers by WAP id and answers as ``wap_stub`` (through
``WapClient``) would: the same 409s for stopping a stopped container or starting a
running one, the same file tree rules (implicit directories, ``invalid_path`` for a
path of the wrong kind, a parent directory outliving its last file), the same ETags
(a quoted hex digest of the content) and hot-reload answers. Two test hooks: calls are
recorded in ``calls``, and ``fail_next(method, error)`` makes the next call of a method
raise ``error``. The file tree is ``tests.fakes.wap_files``.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from service import errors
from service.clock import AbstractClock, SystemClock
from service.wap import AbstractWap, LogOptions, Stream
from service.wap_types import (
    CONTAINER_STATUSES,
    HEALTH_STATUSES,
    ContainerHealth,
    ContainerResources,
    ContainerState,
    ContainerStats,
    ContainerStatus,
    DeleteResult,
    EnvUpdate,
    EnvVariables,
    FileContent,
    FileListing,
    HealthEntry,
    HealthStatus,
    HealthSummary,
    ImageUpdate,
    WriteResult,
)
from tests.fakes.wap_files import FakeFile, FakeTree, content_type, normal

PORT_METHODS = frozenset(AbstractWap.__abstractmethods__)
DEFAULT_RESOURCES = ContainerResources(5.0, 128 << 20, 512 << 20)  # cpu %, memory, its limit


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(kw_only=True)
class FakeContainer(FakeTree):
    """One container's state, its file tree included; tests may read and change it directly."""

    id: str
    status: ContainerStatus
    health: HealthStatus  # reported while running ("none" when stopped, "starting" restarting)
    image: str
    tag: str
    changed_at: datetime
    started_at: datetime | None
    env: dict[str, str] = field(default_factory=dict)
    logs: list[tuple[datetime, str]] = field(default_factory=list)
    resources: ContainerResources = DEFAULT_RESOURCES
    failing_streak: int | None = None  # None: 3 when unhealthy, else 0 (as the stub says)
    updating: bool = False  # an image update runs: another one is refused

    def reported_health(self) -> HealthStatus:
        if self.status == "stopped":
            return "none"
        return "starting" if self.status == "restarting" else self.health


class FakeWap(AbstractWap):
    """WAP Core in memory. Unknown WAP ids raise ``NotFound``, as WAP's 404 does.

    ``refused_tags`` (``"tag"`` or ``"image:tag"``) are missing from the registry:
    updating to one raises ``Unprocessable(code="unknown_tag")``. With ``update_gate``
    set, an image update holds the container ``restarting`` (and refuses a second
    update) until the event is set. ``streams_open`` counts streams not yet closed.
    """

    def __init__(
        self,
        *,
        clock: AbstractClock | None = None,
        refused_tags: Iterable[str] = (),
        chunk_size: int = 64 * 1024,
    ) -> None:
        self.clock = clock or SystemClock()
        self.refused_tags = set(refused_tags)
        self.chunk_size = chunk_size
        self.update_gate: asyncio.Event | None = None
        self.containers: dict[str, FakeContainer] = {}
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.started = False
        self._failures: dict[str, list[errors.ApiError]] = {}
        self._open: set[int] = set()
        self._stream_ids = itertools.count(1)

    @classmethod
    def with_containers(cls, *wap_ids: str, **container: Any) -> FakeWap:
        """A fake with one container per id, each added with ``add_container(**container)``."""
        wap = cls()
        for wap_id in wap_ids:
            wap.add_container(wap_id, **container)
        return wap

    # -- helpers for tests ---------------------------------------------------------------

    def add_container(
        self,
        wap_id: str,
        *,
        status: ContainerStatus = "running",
        health: HealthStatus = "healthy",
        image: str = "armory/agent",
        tag: str = "1.0.0",
        env: Mapping[str, str] | None = None,
        files: Mapping[str, bytes] | None = None,
        dirs: Iterable[str] = (),
        hot_reload_dirs: Iterable[str] = (),
        restart_dirs: Iterable[str] = (),
        logs: Iterable[str] = (),
        resources: ContainerResources = DEFAULT_RESOURCES,
    ) -> FakeContainer:
        if wap_id in self.containers:
            raise ValueError(f"container {wap_id} is added twice")
        if status not in CONTAINER_STATUSES or health not in HEALTH_STATUSES:
            raise ValueError(f"container {wap_id}: unknown status {status!r} or health {health!r}")
        now = self._now()
        container = FakeContainer(
            id=wap_id,
            status=status,
            health=health,
            image=image,
            tag=tag,
            changed_at=now,
            started_at=None if status == "stopped" else now,
            env=dict(env or {}),
            files={normal(p): FakeFile(bytes(c), now) for p, c in (files or {}).items()},
            dirs={normal(d, directory=True): now for d in dirs},
            hot_reload_dirs=tuple(normal(d, directory=True) for d in hot_reload_dirs),
            restart_dirs=tuple(normal(d, directory=True) for d in restart_dirs),
            logs=[(now, line) for line in logs],
            resources=resources,
        )
        self.containers[wap_id] = container
        return container

    def set_health(
        self,
        wap_id: str,
        health: HealthStatus,
        *,
        failing_streak: int | None = None,
        resources: ContainerResources | None = None,
    ) -> None:
        """What the container reports while running (a stopped one still says ``none``)."""
        if health not in HEALTH_STATUSES:
            raise ValueError(f"health must be one of {HEALTH_STATUSES}")
        c = self.containers[wap_id]
        c.health, c.failing_streak = health, failing_streak
        c.resources = resources or c.resources

    def add_log(self, wap_id: str, *lines: str) -> None:
        self.containers[wap_id].logs.extend((self._now(), line) for line in lines)

    def content_of(self, wap_id: str, path: str) -> bytes | None:
        found = self.containers[wap_id].files.get(path)
        return None if found is None else found.content

    def fail_next(self, method: str, error: errors.ApiError) -> None:
        """Make the next call of ``method`` raise ``error`` (queued: once per call)."""
        if method not in PORT_METHODS:
            raise ValueError(f"{method!r} is not a method of AbstractWap")
        self._failures.setdefault(method, []).append(error)

    def calls_to(self, method: str) -> list[tuple[Any, ...]]:
        return [args for name, args in self.calls if name == method]

    @property
    def streams_open(self) -> int:
        return len(self._open)

    # -- plumbing ------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock.now(), UTC)

    def _enter(self, method: str, *args: Any) -> None:
        self.calls.append((method, args))
        queued = self._failures.get(method)
        if queued:
            raise queued.pop(0)

    def _get(self, method: str, wap_id: str, *args: Any) -> FakeContainer:
        self._enter(method, wap_id, *args)
        found = self.containers.get(wap_id)
        if found is None:
            raise errors.NotFound("WAP has no such container.")
        return found

    def _closer(self) -> Callable[[], Awaitable[None]]:
        key = next(self._stream_ids)
        self._open.add(key)

        async def close() -> None:
            self._open.discard(key)

        return close

    def _run(self, c: FakeContainer) -> ContainerState:
        c.status, c.started_at = "running", self._now()
        c.changed_at = c.started_at
        return ContainerState(c.id, c.status, c.changed_at)

    # -- the port: lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        self.started = True

    async def aclose(self) -> None:
        self.started = False
        self._open.clear()

    async def restart_container(self, wap_id: str) -> ContainerState:
        return self._run(self._get("restart_container", wap_id))

    async def stop_container(self, wap_id: str) -> ContainerState:
        c = self._get("stop_container", wap_id)
        if c.status == "stopped":
            raise errors.Conflict("The container is already stopped.")
        c.status, c.started_at, c.changed_at = "stopped", None, self._now()
        return ContainerState(c.id, c.status, c.changed_at)

    async def start_container(self, wap_id: str) -> ContainerState:
        c = self._get("start_container", wap_id)
        if c.status != "stopped":
            raise errors.Conflict(f"The container is already {c.status}.")
        return self._run(c)

    async def update_container_image(self, wap_id: str, image: str, tag: str) -> ImageUpdate:
        c = self._get("update_container_image", wap_id, image, tag)
        if c.updating:
            raise errors.UpdateInProgress("An image update of the container is already running.")
        if tag in self.refused_tags or f"{image}:{tag}" in self.refused_tags:
            raise errors.Unprocessable(f"{image}:{tag} is not in the registry", code="unknown_tag")
        previous = c.tag
        if self.update_gate is not None:
            c.updating, c.status, c.changed_at = True, "restarting", self._now()
            try:
                await self.update_gate.wait()
            finally:
                c.updating = False
        c.image, c.tag = image, tag
        self._run(c)
        return ImageUpdate(wap_id, image, previous, tag, "completed")

    # -- the port: files -----------------------------------------------------------------

    async def list_container_files(self, wap_id: str, path: str) -> FileListing:
        return self._get("list_container_files", wap_id, path).listing(path, self._now())

    async def read_container_file(self, wap_id: str, path: str, *, max_bytes: int) -> FileContent:
        return self._get("read_container_file", wap_id, path).read(path, max_bytes)

    async def open_container_file(self, wap_id: str, path: str) -> Stream[bytes]:
        node = self._get("open_container_file", wap_id, path).file(path)
        content, step = node.content, self.chunk_size
        return Stream.of(
            (content[i : i + step] for i in range(0, len(content), step)),
            close=self._closer(),
            content_type=content_type(content),
            etag=node.etag,
            size=len(content),
            last_modified=node.modified_at,
        )

    async def write_container_file(
        self, wap_id: str, path: str, content: bytes, *, if_match: str | None = None
    ) -> WriteResult:
        c = self._get("write_container_file", wap_id, path, content)
        return c.write(path, content, self._now(), if_match)

    async def delete_container_file(
        self, wap_id: str, path: str, *, if_match: str | None = None
    ) -> DeleteResult:
        c = self._get("delete_container_file", wap_id, path)
        return c.delete(path, self._now(), if_match)

    # -- the port: health, stats, logs ---------------------------------------------------

    async def get_container_health(self, wap_id: str) -> ContainerHealth:
        c = self._get("get_container_health", wap_id)
        health = c.reported_health()
        streak = c.failing_streak
        if streak is None:
            streak = 3 if health == "unhealthy" else 0
        return ContainerHealth(c.id, c.status, health, c.started_at, self._now(), streak)

    async def get_all_container_health(self) -> HealthSummary:
        self._enter("get_all_container_health")
        now = self._now()
        return HealthSummary(
            tuple(
                HealthEntry(c.id, c.status, c.reported_health(), now, _usage(c))
                for c in self.containers.values()
            )
        )

    async def get_container_stats(self, wap_id: str) -> ContainerStats:
        c = self._get("get_container_stats", wap_id)
        usage, running = _usage(c), c.status != "stopped"
        return ContainerStats(
            id=c.id,
            cpu_percent=usage.cpu_percent,
            memory_bytes=usage.memory_bytes,
            memory_limit_bytes=usage.memory_limit_bytes,
            network_rx_bytes=0,
            network_tx_bytes=0,
            block_read_bytes=0,
            block_write_bytes=0,
            pids=4 if running else 0,
            sampled_at=self._now(),
        )

    async def get_container_logs(self, wap_id: str, options: LogOptions) -> list[str]:
        return _lines(self._get("get_container_logs", wap_id, options), options)

    async def follow_container_logs(self, wap_id: str, options: LogOptions) -> Stream[str]:
        # The lines there are now, then the end: a followed log that WAP closes at once.
        lines = _lines(self._get("follow_container_logs", wap_id, options), options)
        return Stream.of(lines, close=self._closer())

    # -- the port: env -------------------------------------------------------------------

    async def get_container_env(self, wap_id: str) -> EnvVariables:
        c = self._get("get_container_env", wap_id)
        return EnvVariables(c.id, dict(sorted(c.env.items())))

    async def update_container_env(
        self, wap_id: str, set: Mapping[str, str], unset: Sequence[str]
    ) -> EnvUpdate:
        c = self._get("update_container_env", wap_id, dict(set), tuple(unset))
        both = sorted(set.keys() & frozenset(unset))
        if both:
            raise errors.BadRequest(f"Variables both set and unset: {', '.join(both)}")
        changed = [k for k, v in set.items() if c.env.get(k) != v]
        changed += [k for k in unset if k in c.env]
        c.env.update(set)
        for name in unset:
            c.env.pop(name, None)
        return EnvUpdate(c.id, dict(sorted(c.env.items())), restart_required=bool(changed))

    async def ping(self) -> None:
        self._enter("ping")  # fail_next("ping", error) makes WAP unreachable for one ping


def _usage(c: FakeContainer) -> ContainerResources:
    if c.status == "stopped":
        return ContainerResources(0.0, 0, c.resources.memory_limit_bytes)
    return c.resources


def _lines(c: FakeContainer, options: LogOptions) -> list[str]:
    found = [(at, t) for at, t in c.logs if options.since is None or at >= options.since]
    if options.tail:
        found = found[-options.tail :]
    return [f"{_iso(at)} {t}" if options.timestamps else t for at, t in found]
