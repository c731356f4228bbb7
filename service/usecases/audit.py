"""The audit trail: every state-changing use case's calls recorded in one place, and the
owner's read of a container's trail.

The composition root wraps each state-changing use case once: ``trail.audited(use_case,
WRITE_FILE)``. The wrapped use case answers exactly as before; on the way out, whatever
the way (an answer, a refusal, a WAP failure, a bug, a cancellation), one entry is
recorded, in a ``finally``, so a failing WAP never loses it:

* **who**: the caller's account; **which container**: the one the ownership check
  resolved; **what**: the action and its target, described from the call's arguments by
  the ``AuditedAction`` (never a value: no file content, no environment value);
* **outcome**: ``succeeded``, or ``failed`` with the problem code the call answered
  (``internal_error`` for a bug, ``INTERRUPTED`` for a call cancelled before it had an
  answer); a version update WAP refused answers its failed record, and is ``failed``
  ``unknown_tag``;
* **request id**: the id of the request the call serves, as the HTTP layer set it in
  ``service.request_context`` (``None`` outside a request).

Only calls that passed the ownership check are recorded: the use cases are built with
``trail.ownership``, a ``WitnessedOwnership`` that notes (in a context variable of the
call's task) the container it resolved; a call refused before that (a foreign or an
unknown container, the database down) leaves nothing, and answers as it did.

If the entry cannot be recorded (the database went away meanwhile), the call still
answers what happened to it: its change did happen (or its error stands), and answering
an error instead would have clients retry a restart or a write that took place. The lost
entry is logged at ERROR, whole (it holds no secret), under ``armory.audit``, so that
it is never lost silently. The write runs shielded: a client that goes away does not
cancel it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
import struct
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from service import audit, errors
from service.audit import AbstractAuditLog, AuditEntry, AuditPosition, AuditTarget, EnvNames
from service.clock import AbstractClock
from service.domain import COMPLETED, OwnedContainer, VersionUpdate
from service.errors import FieldError
from service.request_context import current_request_id
from service.sessions import Caller
from service.usecases import paths
from service.usecases.ownership import Ownership

log = logging.getLogger("armory.audit")

UseCase = TypeVar("UseCase", bound=Callable[..., Awaitable[Any]])
Described = tuple[str, AuditTarget]

DEFAULT_LIMIT, MAX_LIMIT = 50, 200
MAX_TEXT = 1024  # the longest text of a target kept (a file path's bound)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # no database text holds NUL; no UTF-8 form

# The container the current call's ownership check resolved (None: it did not pass).
_resolved: ContextVar[OwnedContainer | None] = ContextVar("armory_audit_resolved", default=None)


class WitnessedOwnership(Ownership):
    """``Ownership`` that notes, for the audit, the container a call was allowed."""

    async def container(self, caller: Caller, container_id: str) -> OwnedContainer:
        found = await super().container(caller, container_id)
        _resolved.set(found)
        return found


def _no_failure(result: object) -> str | None:
    return None


@dataclass(frozen=True)
class AuditedAction:
    """How one use case's calls are audited: ``describe(*args, **kwargs)`` (the call's
    arguments after the caller and the container id) names the action and its target;
    ``failure(result)`` is the problem code of an answer that reports a failure."""

    describe: Callable[..., Described]
    failure: Callable[[Any], str | None] = _no_failure


@dataclass(frozen=True)
class AuditTrail:
    """Records audited calls into ``log``; ``ownership`` is what audited use cases use."""

    log: AbstractAuditLog
    clock: AbstractClock
    ownership: WitnessedOwnership
    _writes: set[asyncio.Task[None]] = field(default_factory=set, repr=False, compare=False)

    def audited(self, use_case: UseCase, action: AuditedAction) -> UseCase:
        """``use_case``, each call of it recorded. It must be built with ``self.ownership``
        (else no call would ever be seen passing the ownership check)."""
        if getattr(use_case, "ownership", None) is not self.ownership:
            raise TypeError(f"{type(use_case).__name__} is not built with the trail's ownership")
        # The wrapper takes and answers what the use case does: to the routes it is one.
        return cast(UseCase, _Audited(self, use_case, action))

    async def record(
        self,
        caller: Caller,
        container: OwnedContainer,
        described: Described,
        code: str | None,
    ) -> None:
        """Record one call's entry; never raises but for a cancellation (module doc)."""
        action, target = described
        entry = AuditEntry(
            id=str(uuid.uuid4()),
            at=datetime.fromtimestamp(self.clock.now(), UTC),
            account_id=caller.account_id,
            container_id=container.id,
            action=action,
            target=target,
            outcome=audit.SUCCEEDED if code is None else audit.FAILED,
            code=code,
            request_id=current_request_id(),
        )
        write = asyncio.ensure_future(self._write(entry))
        self._writes.add(write)  # a reference, until it is done: a task must not vanish
        write.add_done_callback(self._writes.discard)
        await asyncio.shield(write)

    async def _write(self, entry: AuditEntry) -> None:
        try:
            await self.log.record(entry)
        except Exception as exc:
            log.error("audit entry not recorded (%s): %r", _reason(exc), entry)


def _reason(exc: Exception) -> str:
    return exc.instance_code if isinstance(exc, errors.ApiError) else type(exc).__name__


class _Audited:
    """A use case whose calls ``trail`` records (``AuditTrail.audited``)."""

    def __init__(self, trail: AuditTrail, use_case: Callable[..., Any], action: AuditedAction):
        self._trail = trail
        self._use_case = use_case
        self._action = action

    async def __call__(self, caller: Caller, container_id: str, *args: Any, **kwargs: Any) -> Any:
        described = self._action.describe(*args, **kwargs)
        scope = _resolved.set(None)
        code: str | None = audit.INTERRUPTED  # until the call ends with an answer or error
        try:
            result = await self._use_case(caller, container_id, *args, **kwargs)
            code = self._action.failure(result)
            return result
        except errors.ApiError as exc:
            code = exc.instance_code
            raise
        except Exception:
            code = errors.ApiError.code  # what the client is answered: a 500
            raise
        finally:
            allowed = _resolved.get()
            _resolved.reset(scope)
            if allowed is not None:
                await self._trail.record(caller, allowed, described, code)


# --- what each audited use case records ---------------------------------------------------


def kept(text: str) -> str:
    """A client's text as the trail keeps it: at most ``MAX_TEXT`` characters, NUL and
    lone surrogates (which no database text holds) replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text[:MAX_TEXT])


def _file_target(raw: str) -> AuditTarget:
    try:
        return AuditTarget(path=paths.normalise_path(raw))
    except errors.BadRequest:
        return AuditTarget(path=kept(raw))  # refused as invalid_path: kept as it came


def _change_state(action: str) -> Described:
    return action, AuditTarget()


def _update_version(tag: str) -> Described:
    return audit.UPDATE_VERSION, AuditTarget(tag=kept(tag))


def _write_file(raw: str, content: str, encoding: str, *, if_match: str | None) -> Described:
    return audit.WRITE_FILE, _file_target(raw)  # the path only: never the content


def _delete_file(raw: str, *, if_match: str | None) -> Described:
    return audit.DELETE_FILE, _file_target(raw)


def _patch_env(patch: Mapping[str, str | None]) -> Described:
    names = EnvNames(
        set=tuple(sorted(kept(n) for n, value in patch.items() if value is not None)),
        unset=tuple(sorted(kept(n) for n, value in patch.items() if value is None)),
    )
    return audit.PATCH_ENV, AuditTarget(names=names)


def _update_failure(update: VersionUpdate) -> str | None:
    # UpdateVersion answers (rather than raises) a failed record only when WAP refused
    # the tag (its 422); every other failure is raised.
    return None if update.status == COMPLETED else "unknown_tag"


CHANGE_STATE = AuditedAction(_change_state)
UPDATE_VERSION = AuditedAction(_update_version, _update_failure)
WRITE_FILE = AuditedAction(_write_file)
DELETE_FILE = AuditedAction(_delete_file)
PATCH_ENV = AuditedAction(_patch_env)


# --- reading the trail -----------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_LATEST = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _MICROSECOND
# A cursor: the last listed entry's time (microseconds since the epoch) and id, in
# base64url: 24 bytes, 32 characters, so that every string of 32 such characters (what
# openapi.yaml allows) is a position, and none reveals more than the entry it follows.
_CURSOR = struct.Struct(">Q16s")


def encode_cursor(position: AuditPosition) -> str:
    micros = (position.at - _EPOCH) // _MICROSECOND
    packed = _CURSOR.pack(micros, uuid.UUID(position.id).bytes)
    return base64.urlsafe_b64encode(packed).decode("ascii")


def decode_cursor(cursor: str) -> AuditPosition:
    """The position ``cursor`` names, or 400 ``invalid_request``."""
    try:
        packed = base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True)
        micros, id_bytes = _CURSOR.unpack(packed)
    except (UnicodeEncodeError, binascii.Error, struct.error):
        raise errors.BadRequest(
            "cursor is not one this API gave (use nextCursor as it was answered).",
            errors=[FieldError("query.cursor", "is not a cursor this API gave")],
        ) from None
    at = _EPOCH + min(micros, _LATEST) * _MICROSECOND
    return AuditPosition(at, str(uuid.UUID(bytes=id_bytes)))


@dataclass(frozen=True)
class AuditPage:
    entries: Sequence[AuditEntry]
    next_cursor: str | None  # None: no older entry


@dataclass(frozen=True)
class ListAudit:
    """A page of the caller's container's trail, newest first (no WAP call)."""

    ownership: Ownership
    log: AbstractAuditLog

    async def __call__(
        self,
        caller: Caller,
        container_id: str,
        *,
        action: str | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> AuditPage:
        container = await self.ownership.container(caller, container_id)
        before = None if cursor is None else decode_cursor(cursor)
        limit = max(1, min(limit, MAX_LIMIT))
        # One more than the page: whether an older entry exists, without a count.
        found = await self.log.list(container.id, action=action, before=before, limit=limit + 1)
        page = list(found[:limit])
        more = len(found) > limit
        return AuditPage(page, encode_cursor(page[-1].position) if more else None)
