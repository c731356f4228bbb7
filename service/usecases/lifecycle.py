"""Restart, stop and start an agent: need the ``restart`` capability."""

from __future__ import annotations

from service.domain import CAP_RESTART, OwnedContainer
from service.usecases.ownership import require_capability
from service.wap import AbstractWap, ContainerState

ACTIONS = ("restart", "stop", "start")


async def change_state(wap: AbstractWap, container: OwnedContainer, action: str) -> ContainerState:
    require_capability(container, CAP_RESTART)
    if action == "restart":
        return await wap.restart_container(container.wap_id)
    if action == "stop":
        return await wap.stop_container(container.wap_id)
    if action == "start":
        return await wap.start_container(container.wap_id)
    raise ValueError(f"unknown lifecycle action {action!r}")
