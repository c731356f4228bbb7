"""What a QA run changed on its target containers, put back through the API itself.

Schemathesis really writes: it sets and unsets environment variables, stops and starts
containers, updates versions, writes and deletes files. ``capture`` reads, before the run,
what of that each target container has (its run state, its image tag, its environment
with values revealed, the files under its writable roots with their content);
``restore`` puts back whatever differs afterwards, in an order that works (a stopped
container is started before anything else is read or written, and stopped again last);
``differences`` says what still differs. Only the API is used, so the same code serves
the embedded stack and a deployment given by URL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

MAX_DEPTH = 8  # directory levels walked under a writable root
MAX_FILES = 2000  # files looked at per container
ENV_PATCH_LIMIT = 200  # variables one patch may name (openapi.yaml)


@dataclass
class FileCopy:
    content: str
    encoding: str
    etag: str


@dataclass
class ContainerState:
    """What a run may change of one container; a part that could not be read is None."""

    status: str | None = None
    tag: str | None = None
    env: dict[str, str] | None = None
    files: dict[str, FileCopy] | None = None
    writable_roots: tuple[str, ...] = ()


@dataclass
class Restorer:
    """Reads and puts back the state of ``containers`` with ``client`` (authenticated)."""

    client: httpx.Client
    containers: tuple[str, ...]
    log: list[str] = field(default_factory=list)

    def _get(self, container: str, url: str, **params: str) -> Any:
        answer = self.client.get(f"/v1/agents/{container}{url}", params=params)
        return answer.json() if answer.status_code == 200 else None

    def _do(self, method: str, container: str, url: str, what: str, **kwargs: Any) -> None:
        answer = self.client.request(method, f"/v1/agents/{container}{url}", **kwargs)
        outcome = "done" if answer.status_code == 200 else f"{answer.status_code} {answer.text}"
        self.log.append(f"{container}: {what}: {outcome[:200]}")

    # -- reading ---------------------------------------------------------------------------

    def capture(self) -> dict[str, ContainerState]:
        return {container: self._state(container) for container in self.containers}

    def _state(self, container: str) -> ContainerState:
        state = ContainerState()
        health = self._get(container, "/health")
        state.status = health["status"] if health else None
        versions = self._get(container, "/versions")
        state.tag = versions["currentTag"] if versions else None
        env = self._get(container, "/env", reveal="true")
        if env is not None:
            state.env = {v["name"]: v["value"] for v in env["variables"]}
        roots = self._get(container, "/files")
        if roots is not None:
            state.writable_roots = tuple(e["path"] for e in roots["entries"] if e["writable"])
            state.files = self._files(container, state.writable_roots)
        return state

    def _files(self, container: str, roots: Iterable[str]) -> dict[str, FileCopy]:
        found: dict[str, FileCopy] = {}
        pending = [(root, 0) for root in roots]
        while pending and len(found) < MAX_FILES:
            directory, depth = pending.pop()
            listing = self._get(container, "/files", path=directory)
            for entry in listing["entries"] if listing else ():
                if entry["type"] == "directory" and depth < MAX_DEPTH:
                    pending.append((entry["path"], depth + 1))
                elif entry["type"] == "file":
                    read = self._get(container, f"/files/{quote(entry['path'].lstrip('/'))}")
                    if read is not None:
                        found[entry["path"]] = FileCopy(
                            read["content"], read["encoding"], read["etag"]
                        )
        return found

    # -- putting back ----------------------------------------------------------------------

    def restore(self, before: Mapping[str, ContainerState]) -> None:
        for container, was in before.items():
            now = self._state(container)
            if was.status == "running" and now.status == "stopped":
                self._do("POST", container, "/start", "started again")
                now = self._state(container)
            if was.tag is not None and now.tag not in (None, was.tag):
                body = {"tag": was.tag}
                self._do("POST", container, "/update-version", f"back to {was.tag}", json=body)
            if was.env is not None and now.env is not None:
                self._put_env_back(container, was.env, now.env)
            if was.files is not None and now.files is not None:
                self._put_files_back(container, was.files, now.files)
            if was.status == "stopped" and self._state(container).status != "stopped":
                self._do("POST", container, "/stop", "stopped again")

    def _put_env_back(self, container: str, was: Mapping[str, str], now: Mapping[str, str]) -> None:
        patch: dict[str, str | None] = {name: None for name in now if name not in was}
        patch.update({name: value for name, value in was.items() if now.get(name) != value})
        names = sorted(patch)
        for start in range(0, len(names), ENV_PATCH_LIMIT):
            chunk = {name: patch[name] for name in names[start : start + ENV_PATCH_LIMIT]}
            what = f"environment: {len(chunk)} variables put back"
            headers = {"Content-Type": "application/merge-patch+json"}
            self._do("PATCH", container, "/env", what, json=chunk, headers=headers)

    def _put_files_back(
        self, container: str, was: Mapping[str, FileCopy], now: Mapping[str, FileCopy]
    ) -> None:
        for path in sorted(set(now) - set(was)):
            self._do("DELETE", container, f"/files/{quote(path.lstrip('/'))}", f"{path} deleted")
        for path, copy in sorted(was.items()):
            current = now.get(path)
            if current is None or current.etag != copy.etag:
                body = {"content": copy.content, "encoding": copy.encoding}
                url = f"/files/{quote(path.lstrip('/'))}"
                self._do("PUT", container, url, f"{path} written back", json=body)

    # -- checking --------------------------------------------------------------------------

    def differences(self, before: Mapping[str, ContainerState]) -> list[str]:
        """What still differs from ``before`` (empty: everything is as it was)."""
        found = []
        for container, was in before.items():
            now = self._state(container)
            for part in ("status", "tag", "env"):
                then, later = getattr(was, part), getattr(now, part)
                if then != later:
                    found.append(f"{container}: {part} {then!r}, now {later!r}")
            if was.files is not None and now.files is not None:
                was_tags = {p: c.etag for p, c in was.files.items()}
                now_tags = {p: c.etag for p, c in now.files.items()}
                if was_tags != now_tags:
                    changed = sorted(set(was_tags.items()) ^ set(now_tags.items()))
                    found.append(f"{container}: files differ: {[p for p, _ in changed][:10]}")
        return found
