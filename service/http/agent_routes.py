"""The agent listing handler: ``GET /v1/agents``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sanic.response import HTTPResponse

from service.http.pipeline import Call, handles
from service.http.render import json_response
from service.usecases.agents import DEFAULT_LIMIT, AgentSummary, ListAgents


def agent_json(agent: AgentSummary) -> dict[str, Any]:
    c = agent.container
    return {
        "containerId": c.id,
        "projectId": c.project_id,
        "image": c.image,
        "tag": c.tag,
        "status": agent.known.status,
        "health": agent.known.health,
        "capabilities": agent.capabilities,
        "supportsHotReload": c.supports_hot_reload,
        "instructionsDir": c.instructions_dir,
        "fileRoots": [{"path": r.path, "writable": r.writable} for r in agent.file_roots],
    }


@dataclass(frozen=True)
class AgentRoutes:
    list_agents: ListAgents

    @handles("listAgents")
    async def list(self, call: Call) -> HTTPResponse:
        query = call.query
        page = await self.list_agents(
            call.caller,
            cursor=query.get("cursor"),
            limit=int(query.get("limit", DEFAULT_LIMIT)),
        )
        return json_response(
            {
                "containers": [agent_json(a) for a in page.agents],
                "nextCursor": page.next_cursor,
            }
        )
