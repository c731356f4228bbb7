"""The catch-up endpoint: ``GET /v1/agents/{containerId}/events?since=SEQ``."""

from __future__ import annotations

from sanic.response import HTTPResponse, json

from service.http.app import Call, Handler
from service.http.common import mine


async def list_agent_events(call: Call) -> HTTPResponse:
    container = await mine(call)
    since = int(call.valid.query.get("since", 0))
    # The whole kept window (at most EVENT_WINDOW events): its newest seq is latestSeq.
    kept = await call.services.events.since(container.id, 0)
    latest = max((int(e["data"]["seq"]) for e in kept), default=0)
    missed = [e for e in kept if int(e["data"]["seq"]) > since]
    return json({"containerId": container.id, "events": missed, "latestSeq": latest})


EVENT_HANDLERS: dict[str, Handler] = {"listAgentEvents": list_agent_events}
