"""update-version under concurrency, end to end: the service (its ownership cache on) on
SQLite and on PostgreSQL, against the WAP stub over HTTP.

Fifty simultaneous requests for one container: exactly one 200, 49 × 409
(``update_in_progress`` while it runs, ``conflict`` once the container runs the tag),
WAP asked once, one ``updating``/``completed`` pair of events carrying the tag the
container really ran. A record a stopped process left ``updating`` no longer blocks.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from service import demo
from service.adapters.database import DatabaseTarget
from service.adapters.migrations import migrate
from service.adapters.pony_repository import utcnow
from service.adapters.seeding import seed
from service.settings import Settings
from tests.conftest import RunningService, running_service
from tests.fakes.events import RecordingEventPublisher
from tests.fixtures.contract import assert_contract
from tests.fixtures.events import assert_event
from tests.operations import ALICE_MAIN

VERSION_UPDATE = "agent-version-update"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, settings: Settings) -> DatabaseTarget:
    """The demo data on SQLite (``settings``' own) or on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return DatabaseTarget.from_url(settings.database_url)
    target: DatabaseTarget = request.getfixturevalue("postgres_target")
    migrate(target)
    seed(target, demo.PROJECTS, demo.CONTAINERS, demo.CATALOGUE)
    return target


@pytest.fixture
def recorded(settings: Settings, database: DatabaseTarget) -> Iterator[RunningService]:
    if database.provider == "postgresql":
        url = f"postgresql://{database.user or 'postgres'}@{database.host}:{database.port}"
        settings = settings.replace(database_url=f"{url}/{database.database}")
    events = RecordingEventPublisher()
    with running_service(settings, events=events) as running:
        running.events = events  # type: ignore[attr-defined]
        yield running


def _version_events(service: Any) -> list[dict[str, Any]]:
    return [
        assert_event(VERSION_UPDATE, payload)
        for event, payload in service.events.published
        if event.name == VERSION_UPDATE
    ]


async def _fifty_at_once(service: RunningService, headers: dict[str, str], tag: str) -> list[Any]:
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    async with httpx.AsyncClient(base_url=service.url, limits=limits, timeout=30) as client:
        return await asyncio.gather(
            *(
                client.post(
                    f"/v1/agents/{ALICE_MAIN}/update-version", json={"tag": tag}, headers=headers
                )
                for _ in range(50)
            )
        )


async def test_fifty_simultaneous_updates_give_one_winner_and_49_conflicts(
    recorded: Any, alice: dict[str, str], wap_stub: Any
) -> None:
    # Three rounds: each starts from the tag the one before left (and the cache held).
    tags = [("1.4.0", "1.5.0"), ("1.5.0", "1.3.2"), ("1.3.2", "1.5.0")]
    for round_, (old_tag, new_tag) in enumerate(tags, start=1):
        answers = await _fifty_at_once(recorded, alice, new_tag)

        won = [a for a in answers if a.status_code == 200]
        refused = [a for a in answers if a.status_code == 409]
        assert (len(won), len(refused)) == (1, 49), [a.status_code for a in answers]
        body = assert_contract(won[0]).json()
        assert (body["status"], body["oldTag"], body["newTag"]) == ("completed", old_tag, new_tag)
        assert_contract(refused[0])
        assert {a.json()["code"] for a in refused} <= {"update_in_progress", "conflict"}
        assert len(wap_stub.calls("updateContainerImage")) == round_
        assert [(e["oldTag"], e["newTag"], e["status"]) for e in _version_events(recorded)][
            -2:
        ] == [(old_tag, new_tag, "updating"), (old_tag, new_tag, "completed")]
    assert len(_version_events(recorded)) == 2 * len(tags)

    versions = assert_contract(
        recorded.client.get(f"/v1/agents/{ALICE_MAIN}/versions", headers=alice)
    ).json()
    assert versions["currentTag"] == "1.5.0"
    assert [(h["oldTag"], h["newTag"]) for h in versions["history"]] == [
        (old, new) for old, new in reversed(tags)
    ]


def test_an_update_left_updating_by_a_stopped_process_is_interrupted_and_replaced(
    recorded: Any, database: DatabaseTarget, alice: dict[str, str], wap_stub: Any
) -> None:
    left = str(uuid.uuid4())
    p = "?" if database.provider == "sqlite" else "%s"
    conn = database.connect()
    try:
        conn.cursor().execute(
            "INSERT INTO version_update (id, container_launch_id, image, old_tag, new_tag,"
            f" status, requested_by, started_at) VALUES ({p}, {p}, {p}, {p}, {p}, 'updating',"
            f" {p}, {p})",
            (
                left,
                ALICE_MAIN,
                "armory/agent-runtime",
                "1.4.0",
                "1.3.2",
                "alice",
                utcnow() - timedelta(hours=1),  # UPDATE_STALE_SECONDS is 900 by default
            ),
        )
    finally:
        conn.close()

    response = recorded.client.post(
        f"/v1/agents/{ALICE_MAIN}/update-version", json={"tag": "1.5.0"}, headers=alice
    )

    assert assert_contract(response).status_code == 200
    assert response.json()["status"] == "completed"
    assert len(wap_stub.calls("updateContainerImage")) == 1
    history = assert_contract(
        recorded.client.get(f"/v1/agents/{ALICE_MAIN}/versions", headers=alice)
    ).json()["history"]
    assert [(h["id"], h["status"]) for h in history] == [
        (response.json()["id"], "completed"),
        (left, "interrupted"),
    ]
    assert history[1]["finishedAt"] is not None and history[1]["error"]
    assert [(e["newTag"], e["status"]) for e in _version_events(recorded)] == [
        ("1.3.2", "interrupted"),
        ("1.5.0", "updating"),
        ("1.5.0", "completed"),
    ]
