"""Lifecycle and version handlers: restart, stop, start, update and list versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sanic.response import HTTPResponse

from service.domain import VersionUpdate
from service.http.pipeline import Call, handles
from service.http.render import iso, json_response
from service.usecases.lifecycle import Action, ChangeState
from service.usecases.versions import ListVersions, UpdateVersion


@dataclass(frozen=True)
class LifecycleRoutes:
    change_state: ChangeState

    async def _change(self, call: Call, action: Action) -> HTTPResponse:
        state = await self.change_state(call.caller, call.container_id, action)
        return json_response(
            {
                "containerId": call.container_id,
                "status": state.status,
                "changedAt": iso(state.changed_at),
            }
        )

    @handles("restartAgent")
    async def restart(self, call: Call) -> HTTPResponse:
        return await self._change(call, "restart")

    @handles("stopAgent")
    async def stop(self, call: Call) -> HTTPResponse:
        return await self._change(call, "stop")

    @handles("startAgent")
    async def start(self, call: Call) -> HTTPResponse:
        return await self._change(call, "start")


def update_json(update: VersionUpdate) -> dict[str, Any]:
    return {
        "id": update.id,
        "containerId": update.container_id,
        "image": update.image,
        "oldTag": update.old_tag,
        "newTag": update.new_tag,
        "status": update.status,
        "requestedBy": update.requested_by,
        "startedAt": iso(update.started_at),
        "finishedAt": iso(update.finished_at),
        "error": update.error,
    }


@dataclass(frozen=True)
class VersionRoutes:
    list_versions: ListVersions
    update_version: UpdateVersion

    @handles("updateAgentVersion")
    async def update(self, call: Call) -> HTTPResponse:
        update = await self.update_version(call.caller, call.container_id, call.body["tag"])
        return json_response(update_json(update))

    @handles("listAgentVersions")
    async def list(self, call: Call) -> HTTPResponse:
        found = await self.list_versions(call.caller, call.container_id)
        container = found.container
        return json_response(
            {
                "containerId": container.id,
                "image": container.image,
                "currentTag": container.tag,
                "available": [
                    {
                        "tag": v.tag,
                        "releasedAt": iso(v.released_at),
                        "notes": v.notes,
                        "current": v.tag == container.tag,
                    }
                    for v in found.available
                ],
                "history": [update_json(u) for u in found.history],
            }
        )
