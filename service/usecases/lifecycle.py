"""Restart, stop and start an agent: needs the ``restart`` capability."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from service.domain import CAP_RESTART
from service.sessions import Caller
from service.usecases.ownership import Ownership
from service.wap import AbstractWap
from service.wap_types import ContainerState

Action = Literal["restart", "stop", "start"]


@dataclass(frozen=True)
class ChangeState:
    """Asks WAP to restart, stop or start one of the caller's agents."""

    ownership: Ownership
    wap: AbstractWap

    async def __call__(self, caller: Caller, container_id: str, action: Action) -> ContainerState:
        container = await self.ownership.with_capability(caller, container_id, CAP_RESTART)
        if action == "restart":
            return await self.wap.restart_container(container.wap_id)
        if action == "stop":
            return await self.wap.stop_container(container.wap_id)
        return await self.wap.start_container(container.wap_id)
