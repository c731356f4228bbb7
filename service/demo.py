"""Demo data for ``armory-agents dev`` and ``seed-demo``: two accounts, their projects,
containers that differ in capabilities, access parameters, instructions dir and hot
reload, and a version catalogue. ``wap_seed()`` gives the same containers to the WAP stub.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

PROJECTS = [
    {"id": "5f0c6a52-1d7e-4c11-9a40-0b6f5d3e8a01", "account_id": "alice", "name": "Research"},
    {"id": "5f0c6a52-1d7e-4c11-9a40-0b6f5d3e8a02", "account_id": "bob", "name": "Support bots"},
]

# The fully enabled runtime agent: every capability, its instructions hot-reloaded.
# accessParameters holds configDir as launches store it (the spec's JSON); nothing reads it.
_FULL_RUNTIME: dict[str, Any] = {
    "image": "armory/agent-runtime",
    "tag": "1.4.0",
    "status": "running",
    "agent_capabilities": ["file.read", "file.write", "restart", "hot-reload"],
    "access_parameters": {
        "writablePaths": ["/app/config", "/app/data"],
        "readOnlyPaths": ["/app/logs"],
        "configDir": "/app/config",
    },
    "instructions_dir": "/app/config/instructions",
    "supports_hot_reload": True,
}

CONTAINERS: list[dict[str, Any]] = [
    {
        "id": "a11ce000-0000-4000-8000-000000000001",
        "account_id": "alice",
        "project_id": PROJECTS[0]["id"],
        "wap_container_id": "wap-alice-researcher",
        **_FULL_RUNTIME,
    },
    {
        "id": "a11ce000-0000-4000-8000-000000000002",
        "account_id": "alice",
        "project_id": PROJECTS[0]["id"],
        "wap_container_id": "wap-alice-summariser",
        "image": "armory/agent-runtime",
        "tag": "1.3.2",
        "status": "running",
        "agent_capabilities": ["file.read", "restart"],
        "access_parameters": {"writablePaths": [], "readOnlyPaths": ["/app/config", "/app/logs"]},
        "instructions_dir": "/app/config/instructions",
        "supports_hot_reload": False,
    },
    {
        "id": "a11ce000-0000-4000-8000-000000000003",
        "account_id": "alice",
        "project_id": PROJECTS[0]["id"],
        "wap_container_id": "wap-alice-sandbox",
        "image": "armory/browser-agent",
        "tag": "0.9.1",
        "status": "stopped",
        "agent_capabilities": [],
        "access_parameters": None,
        "instructions_dir": None,
        "supports_hot_reload": False,
    },
    {
        "id": "b0b00000-0000-4000-8000-000000000001",
        "account_id": "bob",
        "project_id": PROJECTS[1]["id"],
        "wap_container_id": "wap-bob-helpdesk",
        **_FULL_RUNTIME,
    },
    {
        "id": "b0b00000-0000-4000-8000-000000000002",
        "account_id": "bob",
        "project_id": PROJECTS[1]["id"],
        "wap_container_id": "wap-bob-triage",
        "image": "armory/browser-agent",
        "tag": "0.9.0",
        "status": "running",
        "agent_capabilities": ["file.read", "file.write"],
        "access_parameters": {"writablePaths": ["/workspace"], "readOnlyPaths": []},
        "instructions_dir": None,
        "supports_hot_reload": False,
    },
]

CATALOGUE = [
    ("armory/agent-runtime", "1.3.2", datetime(2026, 8, 4), "Tool-call retries."),
    ("armory/agent-runtime", "1.4.0", datetime(2026, 9, 21), "Hot reload of instructions."),
    ("armory/agent-runtime", "1.5.0", datetime(2026, 11, 2), "Streaming tool output."),
    ("armory/browser-agent", "0.9.0", datetime(2026, 7, 1), None),
    ("armory/browser-agent", "0.9.1", datetime(2026, 8, 15), "Headless fixes."),
    ("armory/browser-agent", "1.0.0", datetime(2026, 11, 10), "First stable release."),
]

# Tags WAP's registry knows: the catalogue, plus one WAP has that we never released.
_REGISTRY_EXTRA = {"armory/agent-runtime": ["1.6.0-rc1"]}

_FILES = {
    "/app/config/agent.yaml": "name: researcher\nmodel: large\ntemperature: 0.2\n",
    "/app/config/instructions/system.md": "You are a careful research assistant.\n",
    "/app/config/instructions/tools.md": "Use the search tool before answering.\n",
    "/app/data/notes.txt": "first note\n",
    "/app/logs/agent.log": "started\n",
    "/workspace/readme.txt": "triage workspace\n",
}


def wap_seed() -> dict[str, Any]:
    """The demo containers as the WAP stub's seed."""
    registry: dict[str, list[str]] = {}
    for image, tag, _, _ in CATALOGUE:
        registry.setdefault(image, []).append(tag)
    for image, tags in _REGISTRY_EXTRA.items():
        registry.setdefault(image, []).extend(tags)
    containers = []
    for c in CONTAINERS:
        roots = ("/workspace",) if c["wap_container_id"] == "wap-bob-triage" else ("/app",)
        containers.append(
            {
                "id": c["wap_container_id"],
                "image": c["image"],
                "tag": c["tag"],
                "status": c["status"],
                "instructionsDir": c["instructions_dir"],
                "supportsHotReload": c["supports_hot_reload"],
                "files": {p: t for p, t in _FILES.items() if p.startswith(roots)},
                "env": {
                    "AGENT_NAME": c["wap_container_id"],
                    "LOG_LEVEL": "info",
                    "OPENAI_API_KEY": "sk-demo-not-a-real-key",
                    "PATH": "/usr/local/bin:/usr/bin:/bin",
                },
            }
        )
    return {"registry": registry, "containers": containers}
