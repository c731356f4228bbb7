"""Plain domain values shared by the use cases, the ports and the adapters."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

CAP_FILE_READ = "file.read"
CAP_FILE_WRITE = "file.write"
CAP_RESTART = "restart"


@dataclass(frozen=True)
class AccessParameters:
    """Where an agent's files may be touched. ``None`` on a container means: nowhere."""

    writable_paths: tuple[str, ...] = ()
    read_only_paths: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, value: Any) -> AccessParameters | None:
        if not isinstance(value, dict):
            return None

        def paths(key: str) -> tuple[str, ...]:
            items = value.get(key) or []
            if not isinstance(items, list):
                return ()
            return tuple(_normal_root(p) for p in items if isinstance(p, str) and p.startswith("/"))

        return cls(writable_paths=paths("writablePaths"), read_only_paths=paths("readOnlyPaths"))

    @property
    def readable_roots(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.writable_paths + self.read_only_paths))

    def can_read(self, path: str) -> bool:
        return _under_any(path, self.readable_roots)

    def can_write(self, path: str) -> bool:
        return _under_any(path, self.writable_paths)


def _normal_root(path: str) -> str:
    return posixpath.normpath(path) if path != "/" else "/"


def _under_any(path: str, roots: Iterable[str]) -> bool:
    for root in roots:
        if root == "/" or path == root or path.startswith(root + "/"):
            return True
    return False


@dataclass(frozen=True)
class OwnedContainer:
    """A container launch as its owner sees it; never carries another account's data."""

    id: str
    account_id: str
    project_id: str
    wap_id: str
    image: str
    tag: str
    status: str
    capabilities: frozenset[str] = frozenset()
    access: AccessParameters | None = None
    instructions_dir: str | None = None
    supports_hot_reload: bool = False

    def hot_reloads(self, path: str) -> bool:
        """Whether a change to ``path`` is one the agent hot-reloads: it supports hot
        reload and ``path`` lies under its instructions directory."""
        return (
            self.supports_hot_reload
            and self.instructions_dir is not None
            and _under_any(path, (self.instructions_dir,))
        )


@dataclass(frozen=True)
class CatalogueEntry:
    image: str
    tag: str
    released_at: datetime
    notes: str | None = None


# A version update's statuses. ``interrupted``: the process running it stopped before it
# recorded an outcome (found ``updating`` past ``UPDATE_STALE_SECONDS``); whether WAP
# applied the new tag is unknown.
UPDATING, COMPLETED, FAILED, INTERRUPTED = "updating", "completed", "failed", "interrupted"
UPDATE_STATUSES = (UPDATING, COMPLETED, FAILED, INTERRUPTED)


def stale_update_reason(older_than: timedelta) -> str:
    """The ``error`` of an update marked ``interrupted`` after ``older_than``."""
    return (
        f"No outcome was recorded within {older_than.total_seconds():g} s: "
        "the process running the update stopped."
    )


@dataclass(frozen=True)
class VersionUpdate:
    id: str
    container_id: str
    image: str
    old_tag: str
    new_tag: str
    status: str  # one of UPDATE_STATUSES
    requested_by: str
    started_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
