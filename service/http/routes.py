"""Handlers, one per operationId of ``openapi.yaml``: parse, call a use case, serialize."""

from __future__ import annotations

from typing import Any

from sanic.response import HTTPResponse

from service.http import file_routes, status_routes
from service.http.app import Call, Handler
from service.http.common import iso, mine
from service.http.render import json_response
from service.usecases import lifecycle, versions

# --- lifecycle ------------------------------------------------------------------------------


def _lifecycle(action: str) -> Handler:
    async def handler(call: Call) -> HTTPResponse:
        container = await mine(call)
        state = await lifecycle.change_state(call.services.wap, container, action)
        return json_response(
            {
                "containerId": container.id,
                "status": state.status,
                "changedAt": iso(state.changed_at),
            }
        )

    return handler


# --- versions -------------------------------------------------------------------------------


def _update_json(update: Any) -> dict[str, Any]:
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


async def update_agent_version(call: Call) -> HTTPResponse:
    container = await mine(call)
    s = call.services
    update = await versions.update_version(
        s.repository, s.wap, s.events, container, call.valid.body["tag"], call.caller.account_id
    )
    return json_response(_update_json(update))


async def list_agent_versions(call: Call) -> HTTPResponse:
    container = await mine(call)
    found = await versions.list_versions(call.services.repository, container)
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
            "history": [_update_json(u) for u in found.history],
        }
    )


HANDLERS: dict[str, Handler] = {
    "restartAgent": _lifecycle("restart"),
    "stopAgent": _lifecycle("stop"),
    "startAgent": _lifecycle("start"),
    "updateAgentVersion": update_agent_version,
    "listAgentVersions": list_agent_versions,
    "listAgentFiles": file_routes.list_agent_files,
    "readAgentFile": file_routes.read_agent_file,
    "writeAgentFile": file_routes.write_agent_file,
    "deleteAgentFile": file_routes.delete_agent_file,
    "getAgentsHealth": status_routes.get_agents_health,
    "getAgentHealth": status_routes.get_agent_health,
    "getAgentStats": status_routes.get_agent_stats,
    "getAgentLogs": status_routes.get_agent_logs,
    "getAgentEnv": status_routes.get_agent_env,
    "patchAgentEnv": status_routes.patch_agent_env,
}

from service.http.event_routes import EVENT_HANDLERS  # noqa: E402

HANDLERS.update(EVENT_HANDLERS)
