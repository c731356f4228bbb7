"""Synthetic health and resource usage: plausible numbers that drift over time.

Stopped containers report health `none` and zero usage; a (re)started container is
`starting` for `starting_seconds`, then `healthy` (unless its health is forced).
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wap_stub.state import Container


def health_of(c: Container, now: datetime, starting_seconds: float) -> str:
    if c.status == "stopped":
        return "none"
    if c.status == "restarting":
        return "starting"
    if c.health_override is not None:
        return c.health_override
    if c.started_at is not None and now - c.started_at < timedelta(seconds=starting_seconds):
        return "starting"
    return "healthy"


def _wave(c: Container, now: datetime, period: float) -> float:
    """A value in [0, 1] that drifts with time, with a different phase per container."""
    phase = int(hashlib.sha256(c.id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return (math.sin(now.timestamp() / period + phase * math.tau) + 1) / 2


def usage(c: Container, now: datetime) -> dict[str, Any]:
    if c.status == "stopped":
        return {"cpuPercent": 0.0, "memoryBytes": 0, "memoryLimitBytes": c.memory_limit_bytes}
    return {
        "cpuPercent": round(1 + 40 * _wave(c, now, 3.0), 2),
        "memoryBytes": int(c.memory_limit_bytes * (0.2 + 0.3 * _wave(c, now, 7.0))),
        "memoryLimitBytes": c.memory_limit_bytes,
    }


def stats(c: Container, now: datetime) -> dict[str, Any]:
    """Usage plus counters that grow with uptime (all zero while stopped)."""
    up = 0.0 if c.started_at is None else max((now - c.started_at).total_seconds(), 0.0)
    return {
        **usage(c, now),
        "networkRxBytes": int(up * 2048),
        "networkTxBytes": int(up * 1024),
        "blockReadBytes": int(up * 512),
        "blockWriteBytes": int(up * 256),
        "pids": 0 if c.status == "stopped" else 4 + round(4 * _wave(c, now, 11.0)),
    }
