"""The file tree of a ``FakeWap`` container, with ``wap_stub``'s rules and the port's errors.

Paths are absolute and canonical (no empty, ``.`` or ``..`` segment). A directory
exists implicitly (an ancestor of a file or of an explicit directory) or explicitly
(``dirs``: an empty directory, or the parent of a deleted file, which outlives its
last file). A path of the wrong kind raises ``BadRequest(code="invalid_path")``, a
missing one ``NotFound``, a stale ``If-Match`` ``PreconditionFailed``: what
``WapClient`` raises for the stub's answers. ETags are a quoted hex digest of the
content, as the stub computes them. A change under a hot-reload directory is reported
hot-reloaded, one under a restart directory as needing a restart.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from service import errors
from service.wap_types import DeleteResult, FileContent, FileEntry, FileListing, WriteResult


def etag_of(content: bytes) -> str:
    """WAP's ETag of ``content``: a quoted hex digest (as ``wap_stub`` computes it)."""
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def content_type(content: bytes) -> str:
    """The type WAP announces for a file: UTF-8 text, or else bytes."""
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain; charset=utf-8"


def normal(path: str, *, directory: bool = False) -> str:
    """``path`` in canonical form (a directory may end in ``/``), or ``invalid_path``."""
    if not path.startswith("/") or "\x00" in path:
        raise errors.BadRequest(f"{path!r} is not an absolute path", code="invalid_path")
    if path == "/":
        return path
    if directory and path.endswith("/"):
        path = path[:-1]
    if any(part in ("", ".", "..") for part in path.split("/")[1:]):
        raise errors.BadRequest(f"{path!r} has empty, '.' or '..' segments", code="invalid_path")
    return path


def under(path: str, directory: str) -> bool:
    return directory == "/" or path.startswith(directory + "/")


def ancestors(path: str) -> list[str]:
    """Every proper ancestor directory of ``path``, nearest first, ``/`` last."""
    found: list[str] = []
    while path != "/":
        path = path.rsplit("/", 1)[0] or "/"
        found.append(path)
    return found


@dataclass
class FakeFile:
    content: bytes
    modified_at: datetime

    @property
    def etag(self) -> str:
        return etag_of(self.content)


@dataclass
class FakeTree:
    """Files by canonical path, the explicit directories, and the directories whose changes
    WAP reloads or restarts for; tests may change them all."""

    files: dict[str, FakeFile] = field(default_factory=dict)
    dirs: dict[str, datetime] = field(default_factory=dict)  # explicit (e.g. empty) directories
    hot_reload_dirs: tuple[str, ...] = ()  # a change under one is hot-reloaded
    restart_dirs: tuple[str, ...] = ()  # a change under one needs a restart

    def is_dir(self, path: str) -> bool:
        return path == "/" or path in self.dirs or any(under(p, path) for p in self.paths())

    def paths(self) -> tuple[str, ...]:
        return (*self.files, *self.dirs)

    def listing(self, path: str, now: datetime) -> FileListing:
        """The directory's children by name; a directory's mtime is its newest content's
        (``now`` for one with none)."""
        path = normal(path, directory=True)
        if path in self.files:
            raise errors.BadRequest(f"{path} is not a directory", code="invalid_path")
        if not self.is_dir(path):
            raise errors.NotFound(f"No directory {path}.")
        prefix = "" if path == "/" else path
        children: dict[str, FileEntry] = {}
        for p in self.paths():
            if not under(p, path):
                continue
            name = p[len(prefix) + 1 :].split("/", 1)[0]
            child = f"{prefix}/{name}"
            node = self.files.get(child)
            if node is not None:
                children[name] = FileEntry(name, child, "file", len(node.content), node.modified_at)
            else:
                times = [f.modified_at for q, f in self.files.items() if under(q, child)]
                times += [t for q, t in self.dirs.items() if q == child or under(q, child)]
                children[name] = FileEntry(name, child, "directory", 0, max(times, default=now))
        return FileListing(path, tuple(children[name] for name in sorted(children)))

    def file(self, path: str) -> FakeFile:
        return self._file(path)[1]

    def read(self, path: str, max_bytes: int) -> FileContent:
        path, node = self._file(path)
        size = len(node.content)
        if size > max_bytes:
            raise errors.PayloadTooLarge(f"{path} is {size} bytes, more than {max_bytes}.")
        kind = content_type(node.content)
        return FileContent(node.content, kind, node.etag, node.modified_at, size)

    def write(self, path: str, content: bytes, now: datetime, if_match: str | None) -> WriteResult:
        path = normal(path)
        if path == "/" or (path not in self.files and self.is_dir(path)):
            raise errors.BadRequest(f"{path} is a directory", code="invalid_path")
        if any(a in self.files for a in ancestors(path)):
            raise errors.BadRequest(f"A parent of {path} is not a directory", code="invalid_path")
        self._check_if_match(path, if_match)
        created = path not in self.files
        node = self.files[path] = FakeFile(bytes(content), now)
        size, change = len(node.content), self._change(path)
        return WriteResult(path, created, size, node.etag, node.modified_at, **change)

    def delete(self, path: str, now: datetime, if_match: str | None) -> DeleteResult:
        path, _ = self._file(path)
        self._check_if_match(path, if_match)
        del self.files[path]
        parent = ancestors(path)[0]
        if parent != "/" and not self.is_dir(parent):
            self.dirs[parent] = now  # a real directory outlives its last file
        return DeleteResult(path, True, **self._change(path))

    def _file(self, path: str) -> tuple[str, FakeFile]:
        path = normal(path)
        node = self.files.get(path)
        if node is None:
            if self.is_dir(path):
                raise errors.BadRequest(f"{path} is a directory", code="invalid_path")
            raise errors.NotFound(f"No file {path}.")
        return path, node

    def _change(self, path: str) -> dict[str, Any]:
        """``FileChange``'s flags for a change at ``path``, as WAP reports them."""
        if any(under(path, d) for d in self.hot_reload_dirs):
            return {"hot_reloaded": True, "reloaded_files": (path,), "restart_required": False}
        restart = any(under(path, d) for d in self.restart_dirs)
        return {"hot_reloaded": False, "reloaded_files": (), "restart_required": restart}

    def _check_if_match(self, path: str, if_match: str | None) -> None:
        if if_match is None:
            return
        node = self.files.get(path)
        if node is None:
            raise errors.PreconditionFailed(f"If-Match given but {path} does not exist.")
        if if_match.strip() not in ("*", node.etag):
            raise errors.PreconditionFailed(f"If-Match {if_match} does not match the ETag.")
