"""Seed JSON <-> WapState.

{
  "registry": {"armory/agent-runtime": ["1.4.2", "1.5.0"]},
  "options": {"startingSeconds": 1.0, "updateSeconds": 0.0,          # all optional
              "followMaxSeconds": 30.0, "logCapacity": 1000},
  "containers": [{
    "id": "wap-7f3a2c", "image": "armory/agent-runtime", "tag": "1.4.2",
    "status": "running",                       # running | stopped | restarting
    "instructionsDir": "/app/instructions",    # or null
    "supportsHotReload": true,
    "files": {"/app/instructions/system.md": "text",
              "/app/bin/blob": {"base64": "AAEC"}},
    "dirs": ["/app/empty"],                    # optional explicit empty directories
    "env": {"LOG_LEVEL": "info"},
    "health": "unhealthy",                     # optional forced health while running
    "memoryLimitBytes": 536870912              # optional
  }]
}
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from typing import Any

from wap_stub.errors import StubError
from wap_stub.state import Clock, Options, WapState, utc_now

_OPTION_KEYS = {
    "startingSeconds": "starting_seconds",
    "updateSeconds": "update_seconds",
    "followMaxSeconds": "follow_max_seconds",
    "logCapacity": "log_capacity",
}


def _content(path: str, value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict) and isinstance(value.get("base64"), str):
        try:
            return base64.b64decode(value["base64"], validate=True)
        except binascii.Error as exc:
            raise ValueError(f"file {path}: invalid base64") from exc
    raise ValueError(f"file {path}: content must be a string or {{'base64': str}}")


def _options(seed: dict[str, Any], base: Options) -> Options:
    raw = seed.get("options") or {}
    unknown = set(raw) - set(_OPTION_KEYS)
    if unknown:
        raise ValueError(f"unknown options: {sorted(unknown)}")
    if any(isinstance(v, bool) or not isinstance(v, int | float) or v < 0 for v in raw.values()):
        raise ValueError("options must be non-negative numbers")
    return replace(base, **{_OPTION_KEYS[k]: v for k, v in raw.items()})


def _add(state: WapState, raw: dict[str, Any], clock: Clock) -> None:
    container = state.add_container(
        raw["id"],
        raw["image"],
        raw["tag"],
        status=raw.get("status", "running"),
        instructions_dir=raw.get("instructionsDir"),
        supports_hot_reload=bool(raw.get("supportsHotReload", False)),
    )
    now = clock()
    for path in raw.get("dirs") or []:
        container.files.make_dir(path, now)
    for path, value in (raw.get("files") or {}).items():
        container.files.write(path, _content(path, value), now)
    container.env = {str(k): str(v) for k, v in (raw.get("env") or {}).items()}
    if raw.get("health") is not None:
        state.set_health(container.id, raw["health"])
    if raw.get("memoryLimitBytes") is not None:
        container.memory_limit_bytes = int(raw["memoryLimitBytes"])


def state_from_seed(
    seed: dict[str, Any], *, options: Options | None = None, clock: Clock = utc_now
) -> WapState:
    """Build a fresh state; raises ValueError (with a readable message) on a bad seed."""
    if not isinstance(seed, dict):
        raise ValueError("the seed must be a JSON object")
    state = WapState(
        seed.get("registry") or {}, options=_options(seed, options or Options()), clock=clock
    )
    for raw in seed.get("containers") or []:
        try:
            _add(state, raw, clock)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"bad container in seed ({exc!r}): {raw!r}") from exc
        except StubError as exc:
            raise ValueError(f"bad container in seed ({exc.message}): {raw!r}") from exc
    return state


def snapshot(state: WapState) -> dict[str, Any]:
    """The current state in seed format (file contents as text when UTF-8, else base64)."""

    def content(data: bytes) -> Any:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(data).decode("ascii")}

    options = {k: getattr(state.options, attr) for k, attr in _OPTION_KEYS.items()}
    return {
        "registry": {image: list(tags) for image, tags in state.registry.items()},
        "options": options,
        "containers": [
            {
                "id": c.id,
                "image": c.image,
                "tag": c.tag,
                "status": c.status,
                "instructionsDir": c.instructions_dir,
                "supportsHotReload": c.supports_hot_reload,
                "files": {p: content(n.content) for p, n in sorted(c.files.files.items())},
                "dirs": sorted(c.files.dirs),
                "env": dict(sorted(c.env.items())),
                "health": c.health_override,
                "memoryLimitBytes": c.memory_limit_bytes,
            }
            for c in state.containers.values()
        ],
    }
