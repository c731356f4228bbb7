"""Health, stats and logs of the caller's agents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from service.domain import OwnedContainer
from service.repository import AbstractContainerRepository
from service.wap import AbstractWap, HealthEntry

HEALTH_STATES = ("healthy", "unhealthy", "starting", "none", "unknown")


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


async def health_summary(
    repository: AbstractContainerRepository, wap: AbstractWap, account_id: str
) -> HealthSummary:
    """One WAP call; only the caller's containers, each named by its Armory id."""
    mine = await repository.list_owned(account_id)
    if not mine:
        return HealthSummary(())
    reported = {entry.id: entry for entry in (await wap.get_all_container_health()).containers}
    return HealthSummary(tuple(SummaryItem(c, reported.get(c.wap_id)) for c in mine))
