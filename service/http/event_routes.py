"""The catch-up handler: ``GET /v1/agents/{containerId}/events?since=SEQ``."""

from __future__ import annotations

from dataclasses import dataclass

from sanic.response import HTTPResponse

from service.http.pipeline import Call, handles
from service.http.render import json_response
from service.usecases.catch_up import CatchUp


@dataclass(frozen=True)
class EventRoutes:
    catch_up: CatchUp

    @handles("listAgentEvents")
    async def since(self, call: Call) -> HTTPResponse:
        missed = await self.catch_up(
            call.caller, call.container_id, int(call.query.get("since", 0))
        )
        return json_response(
            {
                "containerId": call.container_id,
                "events": list(missed.events),
                "latestSeq": missed.latest_seq,
            }
        )
