"""The Socket.io payloads the service emits keep ``contracts/events.yaml``.

The REST endpoints are driven (a file written, replaced and deleted, with and without hot
reload; a container stopped and started; a version updated; a container's health changed)
with a recording event publisher in place of the Socket.io one, and every payload it
recorded, exactly as it would be emitted, is validated against the event's schema in
contracts/events.yaml.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from service.events import EVENT_NAMES
from tests.contract.schemas import REPO_ROOT
from tests.fakes.events import RecordingEventPublisher
from tests.operations import ALICE_MAIN, ALICE_READONLY

EVENTS_CONTRACT = REPO_ROOT / "contracts" / "events.yaml"


def record_events(served: Any, events: RecordingEventPublisher) -> RecordingEventPublisher:
    """Drive every event-emitting endpoint (and a health change) with ``events`` in place."""
    with served(events=events, env={"HEALTH_POLL_SECONDS": "0.1"}, health_monitor=True) as stack:
        headers = {"Authorization": f"Bearer {stack.token('alice')}"}
        with httpx.Client(base_url=f"{stack.url}/v1/agents/{ALICE_MAIN}", headers=headers) as api:
            instructions = "/files/app/config/instructions/extra.md"
            steps = [
                api.put("/files/app/data/new.txt", json={"content": "one\n"}),
                api.put("/files/app/data/new.txt", json={"content": "two\n"}),
                api.put(instructions, json={"content": "Be brief.\n"}),  # hot-reloaded
                api.delete(instructions),
                api.delete("/files/app/data/new.txt"),
                api.post("/stop"),  # announced at once, resources null
                api.post("/start"),
                api.post("/update-version", json={"tag": "1.5.0"}),
            ]
            assert [r.status_code for r in steps] == [200] * len(steps), [r.text for r in steps]
        stack.wap.set_health("wap-alice-summariser", "unhealthy")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _health_changed(events, ALICE_READONLY):
            time.sleep(0.05)
    return events


def _health_changed(events: RecordingEventPublisher, container_id: str) -> bool:
    return any(
        e.name == "agent-health-update"
        and e.container_id == container_id
        and p.get("health") == "unhealthy"
        for e, p in events.published
    )


def invalid_payloads(events: RecordingEventPublisher) -> list[str]:
    """Every recorded payload that breaks contracts/events.yaml, with why."""
    if not EVENTS_CONTRACT.exists():
        pytest.skip(f"{EVENTS_CONTRACT.name} does not exist yet: no event contract to check")
    from tests.fixtures.events import assert_event

    found = []
    for event, payload in events.published:
        try:
            assert_event(event.name, payload)
        except AssertionError as exc:
            found.append(str(exc))
    return found


def test_every_emitted_payload_keeps_the_event_contract(served: Any) -> None:
    events = record_events(served, RecordingEventPublisher())
    assert set(events.names()) == set(EVENT_NAMES)
    assert invalid_payloads(events) == []
    changes = [p["action"] for e, p in events.published if e.name == "agent-file-changed"]
    assert changes == ["created", "updated", "created", "deleted", "deleted"]
    updates = [p["status"] for e, p in events.published if e.name == "agent-version-update"]
    assert updates == ["updating", "completed"]
    assert _health_changed(events, ALICE_READONLY)
    lifecycle = [
        (p["status"], p["health"])
        for e, p in events.published
        if e.name == "agent-health-update" and p["resources"] is None
    ]
    assert lifecycle == [("stopped", "none"), ("running", "starting")]
