"""The stub's state machine: containers, lifecycle, files, env, logs, health. No HTTP.

Every public method answers with plain values shaped like the WAP contract's schemas
(camelCase dicts) or raises a `wap_stub.errors.StubError`. Time comes from `clock`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from wap_stub import metrics
from wap_stub.errors import Conflict, InvalidRequest, NotFound, UnknownTag
from wap_stub.files import FileNode, FileTree, normalise

Clock = Callable[[], datetime]
STATUSES = ("running", "stopped", "restarting")
HEALTHS = ("healthy", "unhealthy", "starting", "none")


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass
class Options:
    starting_seconds: float = 1.0  # a (re)started container reports `starting` this long
    update_seconds: float = 0.0  # an image update holds the container this long (409 meanwhile)
    follow_max_seconds: float = 30.0  # a followed log stream ends after this long at most
    log_capacity: int = 1000  # lines kept per container


@dataclass
class LogLine:
    seq: int
    at: datetime
    text: str

    def render(self, timestamps: bool) -> str:
        return f"{iso(self.at)} {self.text}" if timestamps else self.text


@dataclass
class Container:
    id: str
    image: str
    tag: str
    status: str
    started_at: datetime | None
    changed_at: datetime
    instructions_dir: str | None
    supports_hot_reload: bool
    logs: deque[LogLine]
    files: FileTree = field(default_factory=FileTree)
    env: dict[str, str] = field(default_factory=dict)
    memory_limit_bytes: int = 512 * 1024 * 1024
    health_override: str | None = None
    updating: bool = False
    next_seq: int = 1


class WapState:
    def __init__(
        self,
        registry: dict[str, list[str]] | None = None,
        *,
        options: Options | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.registry = {image: list(tags) for image, tags in (registry or {}).items()}
        self.options = options or Options()
        self.clock = clock
        self.containers: dict[str, Container] = {}

    # -- containers -----------------------------------------------------------
    def add_container(
        self,
        id: str,
        image: str,
        tag: str,
        *,
        status: str = "running",
        instructions_dir: str | None = None,
        supports_hot_reload: bool = False,
        started_at: datetime | None = None,
    ) -> Container:
        if status not in STATUSES:
            raise ValueError(f"container {id}: status must be one of {STATUSES}")
        if id in self.containers:
            raise ValueError(f"container {id} is seeded twice")
        now = self.clock()
        if status != "stopped" and started_at is None:
            started_at = now - timedelta(hours=1)  # seeded containers are past `starting`
        container = Container(
            id=id,
            image=image,
            tag=tag,
            status=status,
            started_at=None if status == "stopped" else started_at,
            changed_at=now,
            instructions_dir=normalise(instructions_dir, directory=True)
            if instructions_dir
            else None,
            supports_hot_reload=supports_hot_reload,
            logs=deque(maxlen=self.options.log_capacity),
        )
        self.containers[id] = container
        self.log(id, f"[wap] container {id} created from {image}:{tag}")
        if status != "stopped":
            self._boot_lines(container)
        return container

    def get(self, id: str) -> Container:
        container = self.containers.get(id)
        if container is None:
            raise NotFound(f"no container {id}")
        return container

    def _state(self, c: Container) -> dict[str, Any]:
        return {"id": c.id, "status": c.status, "changedAt": iso(c.changed_at)}

    def _boot_lines(self, c: Container) -> None:
        self.log(c.id, f"[agent] starting {c.image}:{c.tag}")
        self.log(c.id, "[agent] loaded instructions" if c.instructions_dir else "[agent] ready")

    def _run(self, c: Container, how: str) -> None:
        c.status, c.started_at = "running", self.clock()
        c.changed_at = c.started_at
        self.log(c.id, f"[wap] container {how}")
        self._boot_lines(c)

    def restart(self, id: str) -> dict[str, Any]:
        c = self.get(id)
        if c.status != "stopped":
            self.log(id, "[wap] container stopping for restart")
        self._run(c, "restarted")
        return self._state(c)

    def stop(self, id: str) -> dict[str, Any]:
        c = self.get(id)
        if c.status == "stopped":
            raise Conflict(f"container {id} is already stopped")
        self.log(id, "[wap] container stopped")
        c.status, c.started_at, c.changed_at = "stopped", None, self.clock()
        return self._state(c)

    def start(self, id: str) -> dict[str, Any]:
        c = self.get(id)
        if c.status != "stopped":
            raise Conflict(f"container {id} is already {c.status}")
        self._run(c, "started")
        return self._state(c)

    # -- image updates --------------------------------------------------------
    def begin_update(self, id: str, image: str, tag: str) -> None:
        """Check and reserve an update; `finish_update` applies it."""
        c = self.get(id)
        if c.updating:
            raise Conflict(f"an image update of {id} is already running", code="update_in_progress")
        if tag not in self.registry.get(image, []):
            raise UnknownTag(f"{image}:{tag} is not in the registry")
        c.updating = True
        c.status, c.changed_at = "restarting", self.clock()
        self.log(id, f"[wap] pulling {image}:{tag}")

    def finish_update(self, id: str, image: str, tag: str) -> dict[str, Any]:
        c = self.get(id)
        previous = c.tag
        c.image, c.tag, c.updating = image, tag, False
        self._run(c, f"recreated: image updated from {previous} to {tag}")
        return {
            "id": id,
            "image": image,
            "previousTag": previous,
            "tag": tag,
            "status": "completed",
        }

    # -- files ----------------------------------------------------------------
    def list_files(self, id: str, path: str) -> dict[str, Any]:
        c = self.get(id)
        entries = c.files.list(path, self.clock())
        return {
            "path": normalise(path, directory=True),
            "entries": [
                {
                    "name": e.name,
                    "path": e.path,
                    "type": e.type,
                    "size": e.size,
                    "modifiedAt": iso(e.modified_at),
                }
                for e in entries
            ],
        }

    def read_file(self, id: str, path: str) -> FileNode:
        return self.get(id).files.read(path)

    def _reload(self, c: Container, path: str) -> dict[str, Any]:
        base = c.instructions_dir
        under = base is not None and (base == "/" or path.startswith(base + "/"))
        if under and c.supports_hot_reload:
            self.log(c.id, f"[agent] hot-reloaded {path}")
            return {"hotReloaded": True, "reloadedFiles": [path], "restartRequired": False}
        return {"hotReloaded": False, "reloadedFiles": [], "restartRequired": under}

    def write_file(
        self, id: str, path: str, content: bytes, if_match: str | None = None
    ) -> dict[str, Any]:
        c = self.get(id)
        node, created = c.files.write(path, content, self.clock(), if_match)
        path = normalise(path)
        return {
            "path": path,
            "created": created,
            "size": len(node.content),
            "etag": node.etag,
            "modifiedAt": iso(node.modified_at),
            **self._reload(c, path),
        }

    def delete_file(self, id: str, path: str, if_match: str | None = None) -> dict[str, Any]:
        c = self.get(id)
        c.files.delete(path, self.clock(), if_match)
        path = normalise(path)
        return {"path": path, "deleted": True, **self._reload(c, path)}

    # -- env ------------------------------------------------------------------
    def get_env(self, id: str) -> dict[str, Any]:
        return {"id": id, "variables": dict(sorted(self.get(id).env.items()))}

    def patch_env(
        self, id: str, set: dict[str, str] | None = None, unset: list[str] | None = None
    ) -> dict[str, Any]:
        c = self.get(id)
        set, unset = set or {}, unset or []
        both = sorted(set.keys() & unset)
        if both:
            raise InvalidRequest(f"variables both set and unset: {', '.join(both)}")
        changed = [k for k, v in set.items() if c.env.get(k) != v]
        changed += [k for k in unset if k in c.env]
        c.env.update(set)
        for name in unset:
            c.env.pop(name, None)
        if changed:
            self.log(id, f"[wap] environment changed: {', '.join(sorted(changed))}")
        return {**self.get_env(id), "restartRequired": bool(changed)}

    # -- logs -----------------------------------------------------------------
    def log(self, id: str, text: str) -> LogLine:
        c = self.get(id)
        for part in text.splitlines() or [""]:
            line = LogLine(c.next_seq, self.clock(), part)
            c.next_seq += 1
            c.logs.append(line)
        return line

    def logs(
        self, id: str, *, tail: int | None = None, since: datetime | None = None
    ) -> list[LogLine]:
        lines = [ln for ln in self.get(id).logs if since is None or ln.at >= since]
        return lines[-tail:] if tail else lines

    def logs_after(self, id: str, seq: int) -> list[LogLine]:
        return [ln for ln in self.get(id).logs if ln.seq > seq]

    def last_seq(self, id: str) -> int:
        return self.get(id).next_seq - 1

    # -- health and stats (synthetic, see wap_stub.metrics) ---------------------
    def health_of(self, c: Container) -> str:
        return metrics.health_of(c, self.clock(), self.options.starting_seconds)

    def set_health(self, id: str, health: str | None) -> None:
        """Force a running container's health (None = back to the synthetic one)."""
        if health is not None and health not in HEALTHS:
            raise ValueError(f"health must be one of {HEALTHS}")
        self.get(id).health_override = health

    def all_health(self) -> dict[str, Any]:
        now = self.clock()
        return {
            "containers": [
                {
                    "id": c.id,
                    "status": c.status,
                    "health": self.health_of(c),
                    "checkedAt": iso(now),
                    "resources": metrics.usage(c, now),
                }
                for c in self.containers.values()
            ]
        }

    def health(self, id: str) -> dict[str, Any]:
        c = self.get(id)
        health = self.health_of(c)
        return {
            "id": id,
            "status": c.status,
            "health": health,
            "startedAt": iso(c.started_at) if c.started_at else None,
            "checkedAt": iso(self.clock()),
            "failingStreak": 3 if health == "unhealthy" else 0,
        }

    def stats(self, id: str) -> dict[str, Any]:
        now = self.clock()
        return {"id": id, **metrics.stats(self.get(id), now), "sampledAt": iso(now)}
