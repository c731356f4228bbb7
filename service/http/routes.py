"""Handlers, one per operationId of ``openapi.yaml``: parse, call a use case, serialize."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from sanic.response import HTTPResponse

from service.domain import OwnedContainer
from service.http.app import Call, Handler
from service.http.render import json_response, problem_stream_guard, sse_line
from service.usecases import environment, files, lifecycle, monitoring, versions
from service.usecases.ownership import owned_container
from service.wap import LogOptions


async def _mine(call: Call) -> OwnedContainer:
    return await owned_container(call.services.repository, call.caller, call.container_id)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _file_path(call: Call) -> str:
    return "/" + str(call.valid.path["path"]).lstrip("/")


# --- lifecycle ------------------------------------------------------------------------------


def _lifecycle(action: str) -> Handler:
    async def handler(call: Call) -> HTTPResponse:
        container = await _mine(call)
        state = await lifecycle.change_state(call.services.wap, container, action)
        return json_response(
            {
                "containerId": container.id,
                "status": state.status,
                "changedAt": _iso(state.changed_at),
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
        "startedAt": _iso(update.started_at),
        "finishedAt": _iso(update.finished_at),
        "error": update.error,
    }


async def update_agent_version(call: Call) -> HTTPResponse:
    container = await _mine(call)
    s = call.services
    update = await versions.update_version(
        s.repository, s.wap, s.events, container, call.valid.body["tag"], call.caller.account_id
    )
    return json_response(_update_json(update))


async def list_agent_versions(call: Call) -> HTTPResponse:
    container = await _mine(call)
    found = await versions.list_versions(call.services.repository, container)
    return json_response(
        {
            "containerId": container.id,
            "image": container.image,
            "currentTag": container.tag,
            "available": [
                {
                    "tag": v.tag,
                    "releasedAt": _iso(v.released_at),
                    "notes": v.notes,
                    "current": v.tag == container.tag,
                }
                for v in found.available
            ],
            "history": [_update_json(u) for u in found.history],
        }
    )


# --- files ----------------------------------------------------------------------------------


async def list_agent_files(call: Call) -> HTTPResponse:
    container = await _mine(call)
    raw = call.valid.query.get("path")
    if raw is None:
        entries: list[dict[str, Any]] = [
            {
                "name": root.path.rsplit("/", 1)[-1] or "/",
                "path": root.path,
                "type": "directory",
                "size": None,
                "modifiedAt": None,
                "writable": root.writable,
            }
            for root in files.list_roots(container)
        ]
        return json_response({"containerId": container.id, "path": None, "entries": entries})
    listing = await files.list_files(call.services.wap, container, raw)
    entries = [
        {
            "name": e.name,
            "path": e.path,
            "type": e.type,
            "size": e.size,
            "modifiedAt": _iso(e.modified_at),
            "writable": files.is_writable(container, e.path),
        }
        for e in listing.entries
    ]
    return json_response({"containerId": container.id, "path": listing.path, "entries": entries})


def _wants_raw(call: Call) -> bool:
    accept = call.request.headers.get("accept", "")
    return "application/octet-stream" in accept and "application/json" not in accept


async def read_agent_file(call: Call) -> HTTPResponse:
    container = await _mine(call)
    wap, settings = call.services.wap, call.services.settings
    if _wants_raw(call):
        stream = await files.open_file(wap, container, _file_path(call))
        headers: dict[str, str] = {"ETag": stream.etag} if stream.etag else {}
        if stream.size is not None:
            headers["Content-Length"] = str(stream.size)
        async with stream, problem_stream_guard():
            response = await call.request.respond(
                content_type="application/octet-stream", headers=headers
            )
            async for chunk in stream:
                await response.send(chunk)
            await response.eof()
        return response  # type: ignore[no-any-return]
    path, content = await files.read_file(
        wap, container, _file_path(call), max_bytes=settings.max_file_bytes
    )
    try:
        text, encoding = content.content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = base64.b64encode(content.content).decode("ascii"), "base64"
    body = {
        "containerId": container.id,
        "path": path,
        "encoding": encoding,
        "content": text,
        "size": content.size,
        "modifiedAt": _iso(content.last_modified or datetime.now(UTC)),
        "etag": content.etag,
    }
    return json_response(body, headers={"ETag": content.etag} if content.etag else None)


def _if_match(call: Call) -> str | None:
    value = call.request.headers.get("if-match")
    return str(value) if value else None


async def write_agent_file(call: Call) -> HTTPResponse:
    container = await _mine(call)
    s = call.services
    body = call.valid.body
    data = files.decode_content(
        body["content"], body.get("encoding", "utf-8"), max_bytes=s.settings.max_file_bytes
    )
    path, result = await files.write_file(
        s.wap, s.events, container, _file_path(call), data, if_match=_if_match(call)
    )
    payload = {
        "containerId": container.id,
        "path": path,
        "action": "created" if result.created else "updated",
        "size": result.size,
        "etag": result.etag,
        "hotReloaded": result.hot_reloaded,
        "reloadedFiles": list(result.reloaded_files),
        "restartRequired": result.restart_required,
    }
    return json_response(payload, headers={"ETag": result.etag})


async def delete_agent_file(call: Call) -> HTTPResponse:
    container = await _mine(call)
    s = call.services
    path, result = await files.delete_file(
        s.wap, s.events, container, _file_path(call), if_match=_if_match(call)
    )
    return json_response(
        {
            "containerId": container.id,
            "path": path,
            "action": "deleted",
            "hotReloaded": result.hot_reloaded,
            "reloadedFiles": list(result.reloaded_files),
            "restartRequired": result.restart_required,
        }
    )


# --- health, stats, logs --------------------------------------------------------------------


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
            "checkedAt": _iso(item.entry.checked_at) if item.entry else None,
            "resources": _resources(item.entry) if item.entry else None,
        }
        for item in summary.items
    ]
    return json_response(
        {"containers": containers, "counts": summary.counts, "total": len(containers)}
    )


async def get_agent_health(call: Call) -> HTTPResponse:
    container = await _mine(call)
    h = await call.services.wap.get_container_health(container.wap_id)
    return json_response(
        {
            "containerId": container.id,
            "status": h.status,
            "health": h.health,
            "startedAt": _iso(h.started_at),
            "checkedAt": _iso(h.checked_at),
            "failingStreak": h.failing_streak,
        }
    )


async def get_agent_stats(call: Call) -> HTTPResponse:
    container = await _mine(call)
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
            "sampledAt": _iso(st.sampled_at),
        }
    )


async def get_agent_logs(call: Call) -> HTTPResponse:
    container = await _mine(call)
    q = call.valid.query
    since = q.get("since")
    if isinstance(since, str):
        since = datetime.fromisoformat(since.replace("Z", "+00:00"))
    options = LogOptions(
        tail=q.get("tail", 100), since=since, timestamps=q.get("timestamps", False)
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
    container = await _mine(call)
    variables = await environment.read_env(call.services.wap, container)
    reveal = bool(call.valid.query.get("reveal", False))
    return json_response({"containerId": container.id, "variables": _variables(variables, reveal)})


async def patch_agent_env(call: Call) -> HTTPResponse:
    container = await _mine(call)
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


HANDLERS: dict[str, Handler] = {
    "restartAgent": _lifecycle("restart"),
    "stopAgent": _lifecycle("stop"),
    "startAgent": _lifecycle("start"),
    "updateAgentVersion": update_agent_version,
    "listAgentVersions": list_agent_versions,
    "listAgentFiles": list_agent_files,
    "readAgentFile": read_agent_file,
    "writeAgentFile": write_agent_file,
    "deleteAgentFile": delete_agent_file,
    "getAgentsHealth": get_agents_health,
    "getAgentHealth": get_agent_health,
    "getAgentStats": get_agent_stats,
    "getAgentLogs": get_agent_logs,
    "getAgentEnv": get_agent_env,
    "patchAgentEnv": patch_agent_env,
}

from service.http.event_routes import EVENT_HANDLERS  # noqa: E402

HANDLERS.update(EVENT_HANDLERS)
