"""The audit trail handler: ``GET /v1/agents/{containerId}/audit``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sanic.response import HTTPResponse

from service.audit import AuditEntry
from service.http.pipeline import Call, handles
from service.http.render import iso, json_response
from service.usecases.audit import DEFAULT_LIMIT, ListAudit


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": iso(entry.at),
        "accountId": entry.account_id,
        "action": entry.action,
        "target": entry.target.as_json(),
        "outcome": entry.outcome,
        "code": entry.code,
        "requestId": entry.request_id,
    }


@dataclass(frozen=True)
class AuditRoutes:
    list_audit: ListAudit

    @handles("listAgentAudit")
    async def list(self, call: Call) -> HTTPResponse:
        query = call.query
        page = await self.list_audit(
            call.caller,
            call.container_id,
            action=query.get("action"),
            cursor=query.get("cursor"),
            limit=int(query.get("limit", DEFAULT_LIMIT)),
        )
        return json_response(
            {
                "containerId": call.container_id,
                "entries": [entry_json(e) for e in page.entries],
                "nextCursor": page.next_cursor,
            }
        )
