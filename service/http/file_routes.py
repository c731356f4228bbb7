"""File handlers: list, read (JSON or streamed raw), write, delete."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from sanic.response import HTTPResponse

from service.http.app import Call
from service.http.common import file_path, iso, mine
from service.http.render import json_response, problem_stream_guard
from service.usecases import files


async def list_agent_files(call: Call) -> HTTPResponse:
    container = await mine(call)
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
            "modifiedAt": iso(e.modified_at),
            "writable": files.is_writable(container, e.path),
        }
        for e in listing.entries
    ]
    return json_response({"containerId": container.id, "path": listing.path, "entries": entries})


def _wants_raw(call: Call) -> bool:
    accept = call.request.headers.get("accept", "")
    return "application/octet-stream" in accept and "application/json" not in accept


async def read_agent_file(call: Call) -> HTTPResponse:
    container = await mine(call)
    wap, settings = call.services.wap, call.services.settings
    if _wants_raw(call):
        stream = await files.open_file(wap, container, file_path(call))
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
        wap, container, file_path(call), max_bytes=settings.max_file_bytes
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
        "modifiedAt": iso(content.last_modified or datetime.now(UTC)),
        "etag": content.etag,
    }
    return json_response(body, headers={"ETag": content.etag} if content.etag else None)


def _if_match(call: Call) -> str | None:
    value = call.request.headers.get("if-match")
    return str(value) if value else None


async def write_agent_file(call: Call) -> HTTPResponse:
    container = await mine(call)
    s = call.services
    body = call.valid.body
    data = files.decode_content(
        body["content"], body.get("encoding", "utf-8"), max_bytes=s.settings.max_file_bytes
    )
    path, result = await files.write_file(
        s.wap, s.events, container, file_path(call), data, if_match=_if_match(call)
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
    container = await mine(call)
    s = call.services
    path, result = await files.delete_file(
        s.wap, s.events, container, file_path(call), if_match=_if_match(call)
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
