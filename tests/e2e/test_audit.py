"""The audit trail end to end, against the WAP stub over HTTP: what alice's changes leave
in her container's trail (a WAP failure included), that no value reaches the trail nor
the database, that another account's refused call leaves nothing, and that nobody but
the owner reads it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.contract import assert_contract
from tests.operations import ALICE_MAIN, UNKNOWN

SECRET = "sk-live-e2e-never-in-the-trail-5f3c9a"
AUDIT = f"/v1/agents/{ALICE_MAIN}/audit"
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


def _trail(service: Any, headers: dict[str, str], **params: str) -> dict[str, Any]:
    response = assert_contract(service.client.get(AUDIT, params=params, headers=headers))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _changes(service: Any, alice: dict[str, str], wap_stub: Any) -> list[httpx.Response]:
    """Alice's four changes, oldest first: a restart, a file write, an env patch holding a
    secret value, and a stop WAP fails."""
    client = service.client
    restarted = client.post(f"/v1/agents/{ALICE_MAIN}/restart", headers=alice)
    written = client.put(
        f"/v1/agents/{ALICE_MAIN}/files/app/data/audit.txt",
        json={"content": "hello\n"},
        headers=alice,
    )
    patched = client.patch(
        f"/v1/agents/{ALICE_MAIN}/env",
        json={"OPENAI_API_KEY": SECRET, "LOG_LEVEL": "debug", "LEGACY_MODE": None},
        headers={**alice, **MERGE_PATCH},
    )
    wap_stub.fault("status", "stopContainer", status=500)
    failed = client.post(f"/v1/agents/{ALICE_MAIN}/stop", headers=alice)
    assert [r.status_code for r in (restarted, written, patched, failed)] == [200, 200, 200, 502]
    assert failed.json()["code"] == "wap_error"
    return [restarted, written, patched, failed]


def test_each_change_is_listed_newest_first_with_its_outcome_and_request_id(
    service: Any, alice: dict[str, str], wap_stub: Any
) -> None:
    calls = _changes(service, alice, wap_stub)

    body = _trail(service, alice)
    assert body["containerId"] == ALICE_MAIN and body["nextCursor"] is None
    entries = body["entries"]
    listed = [(e["action"], e["target"], e["outcome"], e["code"]) for e in entries]
    assert listed == [
        ("stop", {}, "failed", "wap_error"),
        (
            "patch-env",
            {"names": {"set": ["LOG_LEVEL", "OPENAI_API_KEY"], "unset": ["LEGACY_MODE"]}},
            "succeeded",
            None,
        ),
        ("write-file", {"path": "/app/data/audit.txt"}, "succeeded", None),
        ("restart", {}, "succeeded", None),
    ]
    assert {e["accountId"] for e in entries} == {"alice"}
    assert [e["requestId"] for e in entries] == [
        r.headers.get("x-request-id") for r in reversed(calls)
    ]
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)


def test_an_env_value_reaches_neither_the_trail_nor_the_database(
    service: Any, alice: dict[str, str], wap_stub: Any, settings: Any
) -> None:
    _changes(service, alice, wap_stub)

    answered = service.client.get(AUDIT, headers=alice)
    assert "OPENAI_API_KEY" in answered.text and SECRET not in answered.text
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT * FROM audit_entry").fetchall()
    assert len(rows) == 4
    assert SECRET not in repr(rows)
    for stored in database.parent.glob(database.name + "*"):  # the file, its journal or WAL
        assert SECRET.encode() not in stored.read_bytes()


def test_the_trail_pages_through_its_cursor_and_filters_by_action(
    service: Any, alice: dict[str, str], wap_stub: Any
) -> None:
    _changes(service, alice, wap_stub)
    everything = [e["id"] for e in _trail(service, alice)["entries"]]

    first = _trail(service, alice, limit="3")
    second = _trail(service, alice, limit="3", cursor=first["nextCursor"])
    assert first["nextCursor"] is not None and second["nextCursor"] is None
    assert [e["id"] for e in first["entries"] + second["entries"]] == everything
    assert [e["action"] for e in _trail(service, alice, action="write-file")["entries"]] == [
        "write-file"
    ]
    bad = assert_contract(service.client.get(AUDIT, params={"cursor": "nope"}, headers=alice))
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_request"


def test_another_account_neither_writes_into_nor_reads_the_owner_s_trail(
    service: Any, alice: dict[str, str], token: Any
) -> None:
    bob = service.as_(token("bob"))
    refused = service.client.post(f"/v1/agents/{ALICE_MAIN}/restart", headers=bob)
    assert refused.status_code == 403
    assert _trail(service, alice)["entries"] == []  # bob's refused call left nothing

    foreign = assert_contract(service.client.get(AUDIT, headers=bob))
    unknown = assert_contract(service.client.get(f"/v1/agents/{UNKNOWN}/audit", headers=bob))
    assert foreign.status_code == unknown.status_code == 403
    assert foreign.json()["code"] == "container_forbidden"
    foreign_body, unknown_body = foreign.json(), unknown.json()
    foreign_body.pop("instance"), unknown_body.pop("instance")
    assert foreign_body == unknown_body
