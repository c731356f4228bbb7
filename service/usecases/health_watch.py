"""The health watch: one poll of WAP's bulk health, and what counts as a change.

Rules:

* One ``wap.get_all_container_health()`` call; WAP's ids are mapped to our
  containers with one repository query; ids we do not know are ignored.
* A change of a container's ``health`` or run ``status`` publishes
  ``agent-health-update`` ``{containerId, status, health, resources}``. Resources alone
  changing (they change on every poll) does not.
* The first observation of a container counts as a change: a container that has just
  been launched (or that WAP reports again after it had vanished) announces its
  health once. What was seen is kept in the health memory, so a takeover by another
  instance does not re-announce every container when that memory is shared. A
  restart, stop or start through the API notes there the state it implies
  (``service.usecases.lifecycle``): the next poll announces what WAP then reports
  differently.

Scheduling (the interval, one poller per deployment) is the real-time layer's
business: see ``service.realtime.health``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from service.domain import OwnedContainer
from service.events import HEALTH_UPDATE, AbstractEventPublisher, AgentEvent
from service.health_memory import AbstractHealthMemory, KnownHealth
from service.repository import AbstractContainerRepository
from service.wap import AbstractWap
from service.wap_types import HealthEntry


def health_changes(
    previous: Mapping[str, KnownHealth],
    containers: Sequence[OwnedContainer],
    entries: Mapping[str, HealthEntry],
) -> tuple[list[AgentEvent], dict[str, KnownHealth]]:
    """The events to publish, and what to remember (containerId → ``KnownHealth``)."""
    current: dict[str, KnownHealth] = {}
    changed: list[AgentEvent] = []
    for container in containers:
        entry = entries.get(container.wap_id)
        if entry is None:
            continue
        seen = KnownHealth(entry.status, entry.health)
        current[container.id] = seen
        if previous.get(container.id) != seen:
            changed.append(health_event(container, entry))
    return changed, current


def health_event(container: OwnedContainer, entry: HealthEntry) -> AgentEvent:
    return AgentEvent.about(
        container,
        HEALTH_UPDATE,
        status=entry.status,
        health=entry.health,
        resources={
            "cpuPercent": entry.resources.cpu_percent,
            "memoryBytes": entry.resources.memory_bytes,
            "memoryLimitBytes": entry.resources.memory_limit_bytes,
        },
    )


@dataclass(frozen=True)
class PollHealth:
    """Polls WAP once and publishes the changes; returns how many were published."""

    wap: AbstractWap
    repository: AbstractContainerRepository
    events: AbstractEventPublisher
    memory: AbstractHealthMemory

    async def __call__(self) -> int:
        summary = await self.wap.get_all_container_health()
        entries = {entry.id: entry for entry in summary.containers}
        containers = await self.repository.list_by_wap_ids(list(entries))
        changed, current = health_changes(await self.memory.load(), containers, entries)
        for event in changed:
            await self.events.publish(event)
        await self.memory.save(current)
        return len(changed)
