"""Restart, stop and start an agent: needs the ``restart`` capability."""

from __future__ import annotations

from typing import Literal

from service.domain import CAP_RESTART
from service.sessions import Caller
from service.usecases.ownership import Ownership
from service.wap import AbstractWap
from service.wap_types import ContainerState

Action = Literal["restart", "stop", "start"]


class ChangeState:
    """Asks WAP to restart, stop or start one of the caller's agents."""

    def __init__(self, ownership: Ownership, wap: AbstractWap) -> None:
        self._ownership = ownership
        self._wap = wap

    async def __call__(self, caller: Caller, container_id: str, action: Action) -> ContainerState:
        container = await self._ownership.with_capability(caller, container_id, CAP_RESTART)
        if action == "restart":
            return await self._wap.restart_container(container.wap_id)
        if action == "stop":
            return await self._wap.stop_container(container.wap_id)
        return await self._wap.start_container(container.wap_id)
