"""Environment handlers: read (masked unless revealed) and JSON Merge Patch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sanic.response import HTTPResponse

from service.http.pipeline import Call, handles
from service.http.render import json_response
from service.usecases.environment import PatchEnv, ReadEnv, Variable


def _variables(variables: list[Variable]) -> list[dict[str, Any]]:
    return [{"name": v.name, "value": v.value, "masked": v.masked} for v in variables]


@dataclass(frozen=True)
class EnvRoutes:
    read_env: ReadEnv
    patch_env: PatchEnv

    @handles("getAgentEnv")
    async def read(self, call: Call) -> HTTPResponse:
        reveal = bool(call.query.get("reveal", False))
        variables = await self.read_env(call.caller, call.container_id, reveal=reveal)
        return json_response({"containerId": call.container_id, "variables": _variables(variables)})

    @handles("patchAgentEnv")
    async def patch(self, call: Call) -> HTTPResponse:
        outcome = await self.patch_env(call.caller, call.container_id, dict(call.body))
        return json_response(
            {
                "containerId": call.container_id,
                "variables": _variables(outcome.variables),
                "changed": outcome.changed,
                "restartRequired": outcome.restart_required,
            }
        )
