"""An in-memory file tree of one container: absolute paths, bytes content, mtimes.

Directories exist implicitly (an ancestor of a file or of an explicit directory) or
explicitly (`dirs`, e.g. an empty directory, or the parent of a deleted file).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from wap_stub.errors import BadPath, NotFound, PreconditionFailed


@dataclass
class FileNode:
    content: bytes
    modified_at: datetime

    @property
    def etag(self) -> str:
        return etag_of(self.content)


@dataclass(frozen=True)
class Entry:
    name: str
    path: str
    type: str  # "file" | "directory"
    size: int
    modified_at: datetime


def etag_of(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def normalise(path: str, *, directory: bool = False) -> str:
    """Return the canonical form of an absolute path, or raise BadPath(invalid_path)."""
    if not path.startswith("/") or "\x00" in path:
        raise BadPath(f"{path!r} is not an absolute path")
    if path == "/":
        return path
    if directory and path.endswith("/"):
        path = path[:-1]
    if any(part in ("", ".", "..") for part in path.split("/")[1:]):
        raise BadPath(f"{path!r} has empty, '.' or '..' segments")
    return path


def parent_of(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


def ancestors_of(path: str) -> list[str]:
    """Every proper ancestor directory, nearest first, "/" last."""
    result: list[str] = []
    while path != "/":
        path = parent_of(path)
        result.append(path)
    return result


def _under(path: str, directory: str) -> bool:
    return directory == "/" or path.startswith(directory + "/")


class FileTree:
    def __init__(self) -> None:
        self.files: dict[str, FileNode] = {}
        self.dirs: dict[str, datetime] = {}

    # -- queries --------------------------------------------------------------
    def is_dir(self, path: str) -> bool:
        if path == "/" or path in self.dirs:
            return True
        return any(_under(p, path) for p in (*self.files, *self.dirs))

    def _dir_mtime(self, path: str, fallback: datetime) -> datetime:
        times = [node.modified_at for p, node in self.files.items() if _under(p, path)]
        times += [t for p, t in self.dirs.items() if p == path or _under(p, path)]
        return max(times, default=fallback)

    def list(self, path: str, now: datetime) -> list[Entry]:
        path = normalise(path, directory=True)
        if path in self.files:
            raise BadPath(f"{path} is not a directory", code="not_a_directory")
        if not self.is_dir(path):
            raise NotFound(f"no directory {path}")
        children: dict[str, Entry] = {}
        prefix = "" if path == "/" else path
        for p in (*self.files, *self.dirs):
            if not _under(p, path):
                continue
            name = p[len(prefix) + 1 :].split("/", 1)[0]
            child = f"{prefix}/{name}"
            if child in self.files:
                node = self.files[child]
                children[name] = Entry(name, child, "file", len(node.content), node.modified_at)
            else:
                mtime = self._dir_mtime(child, now)
                children[name] = Entry(name, child, "directory", 0, mtime)
        return [children[name] for name in sorted(children)]

    def read(self, path: str) -> FileNode:
        path = normalise(path)
        node = self.files.get(path)
        if node is None:
            if self.is_dir(path):
                raise BadPath(f"{path} is a directory", code="is_a_directory")
            raise NotFound(f"no file {path}")
        return node

    # -- changes --------------------------------------------------------------
    def _check_if_match(self, path: str, if_match: str | None) -> None:
        if if_match is None:
            return
        node = self.files.get(path)
        if node is None:
            raise PreconditionFailed(f"If-Match given but {path} does not exist")
        if if_match.strip() != "*" and if_match.strip() != node.etag:
            raise PreconditionFailed(f"If-Match {if_match} does not match the current ETag")

    def write(
        self, path: str, content: bytes, now: datetime, if_match: str | None = None
    ) -> tuple[FileNode, bool]:
        """Create or replace a file; returns (node, created)."""
        path = normalise(path)
        if path == "/" or (path not in self.files and self.is_dir(path)):
            raise BadPath(f"{path} is a directory", code="is_a_directory")
        for ancestor in ancestors_of(path):
            if ancestor in self.files:
                raise BadPath(f"{ancestor} is not a directory", code="not_a_directory")
        self._check_if_match(path, if_match)
        created = path not in self.files
        node = FileNode(bytes(content), now)
        self.files[path] = node
        return node, created

    def delete(self, path: str, now: datetime, if_match: str | None = None) -> None:
        path = normalise(path)
        if path not in self.files:
            if self.is_dir(path):
                raise BadPath(f"{path} is a directory", code="is_a_directory")
            raise NotFound(f"no file {path}")
        self._check_if_match(path, if_match)
        del self.files[path]
        parent = parent_of(path)
        if parent != "/" and not self.is_dir(parent):
            self.dirs[parent] = now  # a real directory outlives its last file

    def make_dir(self, path: str, now: datetime) -> None:
        path = normalise(path, directory=True)
        for candidate in (path, *ancestors_of(path)):
            if candidate in self.files:
                raise BadPath(f"{candidate} is not a directory", code="not_a_directory")
        if path != "/":
            self.dirs[path] = now
