"""Health (one and all), stats, logs and environment handlers."""

from __future__ import annotations

from typing import Any

from sanic.response import HTTPResponse

from service.http.app import Call
from service.http.common import iso, mine
from service.http.render import json_response, problem_stream_guard, sse_line
from service.usecases import environment, monitoring
from service.wap import LogOptions


def _resources(entry: Any) -> dict[str, Any]:
    r = entry.resources
    return {
        "cpuPercent": r.cpu_percent,
        "memoryBytes": r.memory_bytes,
        "memoryLimitBytes": r.memory_limit_bytes,
    }


async def get_agents_health(call: Call) -> HTTPResponse:
    s = call.services
    summary = await monitoring.health_summary(s.repository, s.wap, call.caller.account_id)
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


async def get_agent_health(call: Call) -> HTTPResponse:
    container = await mine(call)
    h = await call.services.wap.get_container_health(container.wap_id)
    return json_response(
        {
            "containerId": container.id,
            "status": h.status,
            "health": h.health,
            "startedAt": iso(h.started_at),
            "checkedAt": iso(h.checked_at),
            "failingStreak": h.failing_streak,
        }
    )


async def get_agent_stats(call: Call) -> HTTPResponse:
    container = await mine(call)
    st = await call.services.wap.get_container_stats(container.wap_id)
    return json_response(
        {
            "containerId": container.id,
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


async def get_agent_logs(call: Call) -> HTTPResponse:
    container = await mine(call)
    q = call.valid.query
    options = LogOptions(
        tail=q.get("tail", 100), since=q.get("since"), timestamps=q.get("timestamps", False)
    )
    wap = call.services.wap
    if not q.get("follow", False):
        lines = await wap.get_container_logs(container.wap_id, options)
        return json_response({"containerId": container.id, "lines": lines})
    stream = await wap.follow_container_logs(container.wap_id, options)
    async with stream, problem_stream_guard():
        response = await call.request.respond(
            content_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        async for line in stream:
            await response.send(sse_line(line))
        await response.send(b"event: end\ndata: \n\n")
        await response.eof()
    return response  # type: ignore[no-any-return]


# --- environment ----------------------------------------------------------------------------


def _variables(variables: dict[str, str], reveal: bool) -> list[dict[str, Any]]:
    return [
        {"name": v.name, "value": v.value, "masked": v.masked}
        for v in environment.present(variables, reveal=reveal)
    ]


async def get_agent_env(call: Call) -> HTTPResponse:
    container = await mine(call)
    variables = await environment.read_env(call.services.wap, container)
    reveal = bool(call.valid.query.get("reveal", False))
    return json_response({"containerId": container.id, "variables": _variables(variables, reveal)})


async def patch_agent_env(call: Call) -> HTTPResponse:
    container = await mine(call)
    s = call.services
    outcome = await environment.patch_env(
        s.wap, container, dict(call.valid.body), s.settings.protected_env_names
    )
    return json_response(
        {
            "containerId": container.id,
            "variables": _variables(outcome.variables, False),
            "changed": outcome.changed,
            "restartRequired": outcome.restart_required,
        }
    )
