"""Restart, stop and start an agent: needs the ``restart`` capability.

After WAP has done it, the owner's sockets hear of it at once: ``agent-health-update``
with the run state WAP answered, the health that state implies (``none`` once stopped,
``starting`` after a restart or start: the container's health check has yet to run) and
no ``resources`` (the health poll measures them). The same state is noted in the health
memory, so the listing shows it and the next health poll announces whatever WAP then
reports differently (the checked health, with resources). Neither the event nor the
note can fail the call: WAP has changed the container's state already. WAP refusing a
stop or a start (409) is answered in words that say why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from service import errors
from service.domain import CAP_RESTART, OwnedContainer
from service.events import HEALTH_UPDATE, AbstractEventPublisher, AgentEvent
from service.health_memory import AbstractHealthMemory, KnownHealth
from service.sessions import Caller
from service.usecases.ownership import Ownership
from service.wap import AbstractWap
from service.wap_types import ContainerState

log = logging.getLogger("armory.lifecycle")

Action = Literal["restart", "stop", "start"]

# What WAP's 409 means for each action (WAP's own words never reach a client).
_CONFLICTS = {
    "stop": "The container is already stopped.",
    "start": "The container is not stopped: it is already running or restarting.",
}


def implied_health(state: ContainerState) -> KnownHealth:
    """What a container's state right after a lifecycle action says of its health."""
    return KnownHealth(state.status, "none" if state.status == "stopped" else "starting")


def state_event(container: OwnedContainer, known: KnownHealth) -> AgentEvent:
    return AgentEvent.about(
        container, HEALTH_UPDATE, status=known.status, health=known.health, resources=None
    )


@dataclass(frozen=True)
class ChangeState:
    """Asks WAP to restart, stop or start one of the caller's agents, then announces it."""

    ownership: Ownership
    wap: AbstractWap
    events: AbstractEventPublisher
    memory: AbstractHealthMemory

    async def __call__(self, caller: Caller, container_id: str, action: Action) -> ContainerState:
        container = await self.ownership.with_capability(caller, container_id, CAP_RESTART)
        try:
            if action == "restart":
                state = await self.wap.restart_container(container.wap_id)
            elif action == "stop":
                state = await self.wap.stop_container(container.wap_id)
            else:
                state = await self.wap.start_container(container.wap_id)
        except errors.Conflict as exc:
            if type(exc) is not errors.Conflict or action not in _CONFLICTS:
                raise
            raise errors.Conflict(_CONFLICTS[action]) from exc
        known = implied_health(state)
        try:
            await self.memory.note(container.id, known)
        except Exception as exc:  # Redis away: the next poll announces the state anyway
            log.warning("the health memory did not take %s's new state: %r", container.id, exc)
        await self.events.publish(state_event(container, known))
        return state
