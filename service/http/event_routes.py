"""The catch-up handler: ``GET /v1/agents/{containerId}/events?since=SEQ``."""

from __future__ import annotations

from sanic.response import HTTPResponse

from service.http.pipeline import Call, handles
from service.http.render import json_response
from service.usecases.catch_up import CatchUp


class EventRoutes:
    def __init__(self, catch_up: CatchUp) -> None:
        self._catch_up = catch_up

    @handles("listAgentEvents")
    async def since(self, call: Call) -> HTTPResponse:
        missed = await self._catch_up(
            call.caller, call.container_id, int(call.query.get("since", 0))
        )
        return json_response(
            {
                "containerId": call.container_id,
                "events": list(missed.events),
                "latestSeq": missed.latest_seq,
            }
        )
