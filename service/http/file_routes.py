"""File handlers: list, read (JSON or streamed raw), write, delete."""

from __future__ import annotations

from dataclasses import dataclass

from sanic.response import HTTPResponse

from service.http.pipeline import Call, handles
from service.http.render import API_HEADERS, iso, json_response, problem_stream_guard
from service.usecases.files import DeleteFile, ListFiles, OpenFile, ReadFile, WriteFile

OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True)
class FileRoutes:
    list_files: ListFiles
    read_file: ReadFile
    open_file: OpenFile
    write_file: WriteFile
    delete_file: DeleteFile

    @handles("listAgentFiles")
    async def list(self, call: Call) -> HTTPResponse:
        listing = await self.list_files(call.caller, call.container_id, call.query.get("path"))
        entries = [
            {
                "name": e.name,
                "path": e.path,
                "type": e.type,
                "size": e.size,
                "modifiedAt": iso(e.modified_at),
                "writable": e.writable,
            }
            for e in listing.entries
        ]
        return json_response(
            {"containerId": call.container_id, "path": listing.path, "entries": entries}
        )

    @handles("readAgentFile")
    async def read(self, call: Call) -> HTTPResponse:
        if call.prefers(OCTET_STREAM, over="application/json"):
            return await self._stream(call)
        found = await self.read_file(call.caller, call.container_id, call.file_path)
        body = {
            "containerId": call.container_id,
            "path": found.path,
            "encoding": found.encoding,
            "content": found.content,
            "size": found.size,
            "modifiedAt": iso(found.modified_at),
            "etag": found.etag,
        }
        return json_response(body, headers={"ETag": found.etag} if found.etag else None)

    async def _stream(self, call: Call) -> HTTPResponse:
        stream = await self.open_file(call.caller, call.container_id, call.file_path)
        headers = dict(API_HEADERS)
        if stream.etag:
            headers["ETag"] = stream.etag
        if stream.size is not None:
            headers["Content-Length"] = str(stream.size)
        async with stream, problem_stream_guard():
            response = await call.request.respond(content_type=OCTET_STREAM, headers=headers)
            async for chunk in stream:
                await response.send(chunk)
            await response.eof()
        return response  # type: ignore[no-any-return]

    @handles("writeAgentFile")
    async def write(self, call: Call) -> HTTPResponse:
        body = call.body
        written = await self.write_file(
            call.caller,
            call.container_id,
            call.file_path,
            body["content"],
            body.get("encoding", "utf-8"),
            if_match=call.header("If-Match"),
        )
        result = written.result
        payload = {
            "containerId": call.container_id,
            "path": written.path,
            "action": written.action,
            "size": result.size,
            "etag": result.etag,
            "hotReloaded": result.hot_reloaded,
            "reloadedFiles": list(result.reloaded_files),
            "restartRequired": result.restart_required,
        }
        return json_response(payload, headers={"ETag": result.etag})

    @handles("deleteAgentFile")
    async def delete(self, call: Call) -> HTTPResponse:
        deleted = await self.delete_file(
            call.caller, call.container_id, call.file_path, if_match=call.header("If-Match")
        )
        result = deleted.result
        return json_response(
            {
                "containerId": call.container_id,
                "path": deleted.path,
                "action": "deleted",
                "hotReloaded": result.hot_reloaded,
                "reloadedFiles": list(result.reloaded_files),
                "restartRequired": result.restart_required,
            }
        )
