"""The audit log port: who changed what on which container, how it ended, in which request.

Every state-changing call (restart, stop, start, update-version, file write and delete,
env patch) that passed authentication and the ownership check leaves one ``AuditEntry``;
``service.usecases.audit`` records them, in one place, and lets the owner read a
container's trail newest first (``listAgentAudit``). A call refused by the ownership
check (a foreign or an unknown container) leaves nothing: it must not write into
someone else's trail.

An entry never holds a value the caller sent: a file's path but not its content, the
names an environment patch sets and unsets but not their values, a version update's tag.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# The audited actions, as the contract names them (the `action` filter of listAgentAudit).
RESTART, STOP, START = "restart", "stop", "start"
UPDATE_VERSION = "update-version"
WRITE_FILE, DELETE_FILE = "write-file", "delete-file"
PATCH_ENV = "patch-env"
ACTIONS = (RESTART, STOP, START, UPDATE_VERSION, WRITE_FILE, DELETE_FILE, PATCH_ENV)

SUCCEEDED, FAILED = "succeeded", "failed"
OUTCOMES = (SUCCEEDED, FAILED)
# The code of a call that ended without an answer (the client went away, the response
# timed out): WAP may have acted on it.
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class EnvNames:
    """The names an environment patch set and unset (never their values), sorted."""

    set: tuple[str, ...] = ()
    unset: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditTarget:
    """What an action was aimed at beyond the container: a file's path, a version
    update's tag, an environment patch's names; nothing for restart, stop and start."""

    path: str | None = None
    tag: str | None = None
    names: EnvNames | None = None

    def as_json(self) -> dict[str, Any]:
        """The contract's ``AuditTarget`` object (what is stored, and what is answered)."""
        found: dict[str, Any] = {}
        if self.path is not None:
            found["path"] = self.path
        if self.tag is not None:
            found["tag"] = self.tag
        if self.names is not None:
            found["names"] = {"set": list(self.names.set), "unset": list(self.names.unset)}
        return found

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> AuditTarget:
        names = value.get("names")
        return cls(
            path=value.get("path"),
            tag=value.get("tag"),
            names=None
            if names is None
            else EnvNames(tuple(names.get("set", ())), tuple(names.get("unset", ()))),
        )


@dataclass(frozen=True, order=True)
class AuditPosition:
    """Where an entry sits in a trail: trails are newest first by ``at``, then ``id``."""

    at: datetime
    id: str


@dataclass(frozen=True)
class AuditEntry:
    """One audited call. ``code`` is the problem code the call answered (``None`` when
    it ``succeeded``; ``INTERRUPTED`` when it ended without an answer); ``at`` (aware,
    UTC) is when its outcome was known; ``request_id`` the request's id, when known."""

    id: str  # a UUID
    at: datetime
    account_id: str
    container_id: str
    action: str  # one of ACTIONS
    target: AuditTarget
    outcome: str  # one of OUTCOMES
    code: str | None
    request_id: str | None

    @property
    def position(self) -> AuditPosition:
        return AuditPosition(self.at, self.id)


class AbstractAuditLog(abc.ABC):
    """Keeps audit entries, and reads a container's back, newest first.

    ``record`` raises ``errors.DatabaseUnavailable`` when the database cannot be reached
    (any other failure of the store propagates too): deciding what a lost entry means
    for the call is the recorder's business, not the store's.
    """

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Open connections; called once before the first call."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    @abc.abstractmethod
    async def record(self, entry: AuditEntry) -> None:
        """Keep ``entry`` (its ``id`` is new)."""

    @abc.abstractmethod
    async def list(
        self,
        container_id: str,
        *,
        action: str | None = None,
        before: AuditPosition | None = None,
        limit: int,
    ) -> Sequence[AuditEntry]:
        """At most ``limit`` entries of the container, newest first (by ``at``, then by
        ``id``): only ``action``'s when given, only those older than ``before`` (in that
        order) when given. Whoever made them: the caller checked the container is theirs."""
