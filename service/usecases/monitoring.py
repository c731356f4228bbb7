"""Health (one and all), stats and logs of the caller's agents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from service import errors
from service.domain import OwnedContainer
from service.errors import FieldError
from service.repository import AbstractContainerRepository
from service.sessions import Caller
from service.usecases.ownership import Ownership
from service.usecases.streams import StreamGate
from service.wap import MAX_LOG_TAIL, AbstractWap, LogOptions, Stream
from service.wap_types import ContainerHealth, ContainerStats, HealthEntry

HEALTH_STATES = ("healthy", "unhealthy", "starting", "none", "unknown")
DEFAULT_TAIL = 100  # as the contract's default for `tail`


@dataclass(frozen=True)
class SummaryItem:
    container: OwnedContainer
    entry: HealthEntry | None  # None: WAP did not report this container


@dataclass(frozen=True)
class HealthSummary:
    items: Sequence[SummaryItem]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(HEALTH_STATES, 0)
        for item in self.items:
            counts[item.entry.health if item.entry else "unknown"] += 1
        return counts


@dataclass(frozen=True)
class SummariseHealth:
    """The health of every container the caller owns: one WAP call, filtered here."""

    repository: AbstractContainerRepository
    wap: AbstractWap

    async def __call__(self, caller: Caller) -> HealthSummary:
        mine = await self.repository.list_owned(caller.account_id)
        if not mine:
            return HealthSummary(())
        reported = {e.id: e for e in (await self.wap.get_all_container_health()).containers}
        return HealthSummary(tuple(SummaryItem(c, reported.get(c.wap_id)) for c in mine))


@dataclass(frozen=True)
class _ContainerQuery:
    ownership: Ownership
    wap: AbstractWap


class GetHealth(_ContainerQuery):
    async def __call__(self, caller: Caller, container_id: str) -> ContainerHealth:
        container = await self.ownership.container(caller, container_id)
        return await self.wap.get_container_health(container.wap_id)


class GetStats(_ContainerQuery):
    async def __call__(self, caller: Caller, container_id: str) -> ContainerStats:
        container = await self.ownership.container(caller, container_id)
        return await self.wap.get_container_stats(container.wap_id)


def log_options(tail: object, since: object, timestamps: bool) -> LogOptions:
    """The last ``tail`` lines (``DEFAULT_TAIL`` when not given), optionally since ``since``
    (a timezone-aware moment); ``BadRequest`` naming the query parameter otherwise."""
    if tail is None:
        tail = DEFAULT_TAIL
    if isinstance(tail, bool) or not isinstance(tail, int) or not 1 <= tail <= MAX_LOG_TAIL:
        raise _bad_query("tail", f"must be an integer from 1 to {MAX_LOG_TAIL}")
    if since is not None and (not isinstance(since, datetime) or since.utcoffset() is None):
        raise _bad_query("since", "must be an RFC 3339 date-time with an offset")
    return LogOptions(tail=tail, since=since, timestamps=timestamps)


def _bad_query(name: str, why: str) -> errors.BadRequest:
    return errors.BadRequest(
        f"The query parameter {name} {why}.",
        code="invalid_request",
        errors=[FieldError(f"query.{name}", why)],
    )


class ReadLogs(_ContainerQuery):
    async def __call__(self, caller: Caller, container_id: str, options: LogOptions) -> list[str]:
        container = await self.ownership.container(caller, container_id)
        return await self.wap.get_container_logs(container.wap_id, options)


@dataclass(frozen=True)
class FollowLogs(_ContainerQuery):
    """The recent lines, then each new one as it is logged, within the stream bounds (it
    ends when they are reached: the client reconnects with ``since``). The caller closes
    the stream."""

    streams: StreamGate

    async def __call__(self, caller: Caller, container_id: str, options: LogOptions) -> Stream[str]:
        container = await self.ownership.container(caller, container_id)
        return await self.streams.open(
            caller,
            lambda: self.wap.follow_container_logs(container.wap_id, options),
            on_limit="end",
        )
