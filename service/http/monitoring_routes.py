"""Health (one and all), stats and logs handlers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sanic.response import HTTPResponse

from service.http.pipeline import Call, handles
from service.http.render import API_HEADERS, iso, json_response, problem_stream_guard, sse_line
from service.usecases.monitoring import (
    FollowLogs,
    GetHealth,
    GetStats,
    ReadLogs,
    SummariseHealth,
    log_options,
)
from service.wap_types import HealthEntry


def _resources(entry: HealthEntry) -> dict[str, Any]:
    r = entry.resources
    return {
        "cpuPercent": r.cpu_percent,
        "memoryBytes": r.memory_bytes,
        "memoryLimitBytes": r.memory_limit_bytes,
    }


@dataclass(frozen=True)
class MonitoringRoutes:
    summarise_health: SummariseHealth
    get_health: GetHealth
    get_stats: GetStats
    read_logs: ReadLogs
    follow_logs: FollowLogs

    @handles("getAgentsHealth")
    async def summary(self, call: Call) -> HTTPResponse:
        summary = await self.summarise_health(call.caller)
        containers = [
            {
                "containerId": item.container.id,
                "projectId": item.container.project_id,
                "status": item.entry.status if item.entry else "unknown",
                "health": item.entry.health if item.entry else "unknown",
                "checkedAt": iso(item.entry.checked_at) if item.entry else None,
                "resources": _resources(item.entry) if item.entry else None,
            }
            for item in summary.items
        ]
        return json_response(
            {"containers": containers, "counts": summary.counts, "total": len(containers)}
        )

    @handles("getAgentHealth")
    async def health(self, call: Call) -> HTTPResponse:
        h = await self.get_health(call.caller, call.container_id)
        return json_response(
            {
                "containerId": call.container_id,
                "status": h.status,
                "health": h.health,
                "startedAt": iso(h.started_at),
                "checkedAt": iso(h.checked_at),
                "failingStreak": h.failing_streak,
            }
        )

    @handles("getAgentStats")
    async def stats(self, call: Call) -> HTTPResponse:
        st = await self.get_stats(call.caller, call.container_id)
        return json_response(
            {
                "containerId": call.container_id,
                "cpuPercent": st.cpu_percent,
                "memoryBytes": st.memory_bytes,
                "memoryLimitBytes": st.memory_limit_bytes,
                "networkRxBytes": st.network_rx_bytes,
                "networkTxBytes": st.network_tx_bytes,
                "blockReadBytes": st.block_read_bytes,
                "blockWriteBytes": st.block_write_bytes,
                "pids": st.pids,
                "sampledAt": iso(st.sampled_at),
            }
        )

    @handles("getAgentLogs")
    async def logs(self, call: Call) -> HTTPResponse:
        q = call.query
        options = log_options(q.get("tail"), q.get("since"), bool(q.get("timestamps", False)))
        if not q.get("follow", False):
            lines = await self.read_logs(call.caller, call.container_id, options)
            return json_response({"containerId": call.container_id, "lines": lines})
        stream = await self.follow_logs(call.caller, call.container_id, options)
        async with stream, problem_stream_guard():
            response = await call.request.respond(
                content_type="text/event-stream",
                headers={**API_HEADERS, "X-Accel-Buffering": "no"},
            )
            async for line in stream:
                await response.send(sse_line(line))
            await response.send(b"event: end\ndata: \n\n")
            await response.eof()
        return response  # type: ignore[no-any-return]
