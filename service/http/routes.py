"""Handlers, one per operationId of ``openapi.yaml``: parse, call a use case, serialize."""

from __future__ import annotations

from sanic.response import HTTPResponse

from service import errors
from service.http.app import Call, Handler
from service.usecases.ownership import owned_container


async def _not_yet(call: Call) -> HTTPResponse:
    if "containerId" in call.valid.path:
        await owned_container(call.services.repository, call.caller, call.container_id)
    raise errors.NotImplementedYet(f"{call.operation.operation_id} is not implemented yet.")


HANDLERS: dict[str, Handler] = {
    op: _not_yet
    for op in (
        "restartAgent",
        "stopAgent",
        "startAgent",
        "updateAgentVersion",
        "listAgentVersions",
        "listAgentFiles",
        "readAgentFile",
        "writeAgentFile",
        "deleteAgentFile",
        "getAgentsHealth",
        "getAgentHealth",
        "getAgentStats",
        "getAgentLogs",
        "getAgentEnv",
        "patchAgentEnv",
    )
}
