"""One valid request per operation of ``openapi.yaml``, for tests that sweep them all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service import demo

ALICE_MAIN = demo.CONTAINERS[0]["id"]  # every capability, hot reload
ALICE_READONLY = demo.CONTAINERS[1]["id"]  # file.read + restart, nothing writable
ALICE_BARE = demo.CONTAINERS[2]["id"]  # no capabilities, no access parameters, stopped
BOB_MAIN = demo.CONTAINERS[3]["id"]
UNKNOWN = "0d5e1c1e-0000-4000-8000-00000000dead"


@dataclass(frozen=True)
class Sample:
    operation_id: str
    method: str
    path: str  # with {id} for the container id
    kwargs: dict[str, Any] = field(default_factory=dict)

    def url(self, container_id: str) -> str:
        return self.path.replace("{id}", container_id)

    @property
    def per_container(self) -> bool:
        return "{id}" in self.path


SAMPLES = [
    Sample("restartAgent", "POST", "/v1/agents/{id}/restart"),
    Sample("stopAgent", "POST", "/v1/agents/{id}/stop"),
    Sample("startAgent", "POST", "/v1/agents/{id}/start"),
    Sample(
        "updateAgentVersion", "POST", "/v1/agents/{id}/update-version", {"json": {"tag": "1.5.0"}}
    ),
    Sample("listAgentVersions", "GET", "/v1/agents/{id}/versions"),
    Sample("listAgentFiles", "GET", "/v1/agents/{id}/files", {"params": {"path": "/app/config"}}),
    Sample("readAgentFile", "GET", "/v1/agents/{id}/files/app/config/agent.yaml"),
    Sample(
        "writeAgentFile",
        "PUT",
        "/v1/agents/{id}/files/app/data/new.txt",
        {"json": {"content": "hello\n"}},
    ),
    Sample("deleteAgentFile", "DELETE", "/v1/agents/{id}/files/app/data/notes.txt"),
    Sample("listAgents", "GET", "/v1/agents", {"params": {"limit": "5"}}),
    Sample("getAgentsHealth", "GET", "/v1/agents/health"),
    Sample("getAgentHealth", "GET", "/v1/agents/{id}/health"),
    Sample("getAgentStats", "GET", "/v1/agents/{id}/stats"),
    Sample("getAgentLogs", "GET", "/v1/agents/{id}/logs", {"params": {"tail": "5"}}),
    Sample("getAgentEnv", "GET", "/v1/agents/{id}/env"),
    Sample(
        "patchAgentEnv",
        "PATCH",
        "/v1/agents/{id}/env",
        {
            "json": {"LOG_LEVEL": "debug"},
            "headers": {"Content-Type": "application/merge-patch+json"},
        },
    ),
    Sample("listAgentEvents", "GET", "/v1/agents/{id}/events", {"params": {"since": "0"}}),
    Sample("listAgentAudit", "GET", "/v1/agents/{id}/audit", {"params": {"limit": "5"}}),
]
PER_CONTAINER = [s for s in SAMPLES if s.per_container]


def request_args(sample: Sample, container_id: str, token: str | None) -> dict[str, Any]:
    kwargs = {k: (dict(v) if isinstance(v, dict) else v) for k, v in sample.kwargs.items()}
    headers = dict(kwargs.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return {"method": sample.method, "url": sample.url(container_id), "headers": headers, **kwargs}
