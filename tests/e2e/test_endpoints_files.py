"""Files: list, read, write, delete within capabilities and access parameters."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.conftest import running_service
from tests.fixtures.contract import assert_contract
from tests.operations import ALICE_BARE, ALICE_MAIN, ALICE_READONLY

FILES = f"/v1/agents/{ALICE_MAIN}/files"


def _code(response: Any) -> str:
    assert_contract(response)
    return str(response.json()["code"])


def test_listing_without_a_path_shows_the_allowed_roots(service: Any, alice: Any) -> None:
    body = assert_contract(service.client.get(FILES, headers=alice)).json()
    roots = {e["path"]: e["writable"] for e in body["entries"]}
    assert roots == {"/app/config": True, "/app/data": True, "/app/logs": False}
    assert all(e["type"] == "directory" for e in body["entries"])


def test_listing_a_directory_marks_what_is_writable(service: Any, alice: Any) -> None:
    body = assert_contract(
        service.client.get(FILES, params={"path": "/app/config"}, headers=alice)
    ).json()
    names = {e["name"]: e for e in body["entries"]}
    assert names["agent.yaml"]["type"] == "file" and names["agent.yaml"]["writable"] is True
    assert names["instructions"]["type"] == "directory"
    logs = service.client.get(FILES, params={"path": "/app/logs"}, headers=alice).json()
    assert [e["writable"] for e in logs["entries"]] == [False]


def test_reading_a_text_file_answers_json_with_its_etag(service: Any, alice: Any) -> None:
    response = assert_contract(service.client.get(f"{FILES}/app/config/agent.yaml", headers=alice))
    body = response.json()
    assert body["encoding"] == "utf-8" and body["content"].startswith("name: researcher")
    assert body["path"] == "/app/config/agent.yaml" and body["size"] == len(body["content"])
    assert response.headers["etag"] == body["etag"]


def test_a_written_file_reads_back_and_a_binary_one_comes_as_base64(
    service: Any, alice: Any
) -> None:
    created = service.client.put(
        f"{FILES}/app/data/new.txt", json={"content": "hé\n"}, headers=alice
    )
    assert assert_contract(created).json()["action"] == "created"
    updated = service.client.put(f"{FILES}/app/data/new.txt", json={"content": "v2"}, headers=alice)
    assert updated.json()["action"] == "updated"
    assert service.client.get(f"{FILES}/app/data/new.txt", headers=alice).json()["content"] == "v2"
    blob = bytes(range(256))
    service.client.put(
        f"{FILES}/app/data/blob.bin",
        json={"content": base64.b64encode(blob).decode(), "encoding": "base64"},
        headers=alice,
    )
    body = assert_contract(service.client.get(f"{FILES}/app/data/blob.bin", headers=alice)).json()
    assert body["encoding"] == "base64" and base64.b64decode(body["content"]) == blob


def test_raw_reads_stream_the_bytes(service: Any, alice: Any) -> None:
    response = service.client.get(
        f"{FILES}/app/config/agent.yaml", headers={**alice, "Accept": "application/octet-stream"}
    )
    assert_contract(response)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content.startswith(b"name: researcher") and response.headers["etag"]


def test_if_match_protects_against_silent_overwrites(service: Any, alice: Any) -> None:
    path = f"{FILES}/app/config/agent.yaml"
    etag = service.client.get(path, headers=alice).json()["etag"]
    first = service.client.put(path, json={"content": "a"}, headers={**alice, "If-Match": etag})
    assert assert_contract(first).status_code == 200
    second = service.client.put(path, json={"content": "b"}, headers={**alice, "If-Match": etag})
    assert second.status_code == 412 and _code(second) == "precondition_failed"
    assert service.client.get(path, headers=alice).json()["content"] == "a"


def test_delete_removes_the_file_and_a_missing_one_is_a_404(service: Any, alice: Any) -> None:
    path = f"{FILES}/app/data/notes.txt"
    deleted = assert_contract(service.client.delete(path, headers=alice))
    assert deleted.status_code == 200 and deleted.json()["action"] == "deleted"
    assert _code(service.client.get(path, headers=alice)) == "not_found"
    assert _code(service.client.delete(path, headers=alice)) == "not_found"


def test_changes_under_the_instructions_dir_are_hot_reloaded_and_announced(
    recorded: Any, alice: Any
) -> None:
    path = f"{FILES}/app/config/instructions/system.md"
    body = recorded.client.put(path, json={"content": "Be brief."}, headers=alice).json()
    assert body["hotReloaded"] is True and body["restartRequired"] is False
    assert body["reloadedFiles"] == ["/app/config/instructions/system.md"]
    recorded.client.put(f"{FILES}/app/data/x.txt", json={"content": "x"}, headers=alice)
    recorded.client.delete(f"{FILES}/app/data/x.txt", headers=alice)
    seen = [
        (e.name, dict(p))
        for e, p in recorded.events.published
        if e.name != "agent-health-update"  # the health monitor publishes too
    ]
    assert [n for n, _ in seen] == [
        "agent-file-changed",
        "agent-config-reloaded",
        "agent-file-changed",
        "agent-file-changed",
    ]
    assert seen[0][1]["path"] == "/app/config/instructions/system.md"
    assert seen[0][1]["action"] == "updated" and seen[0][1]["containerId"] == ALICE_MAIN
    assert seen[1][1]["files"] == ["/app/config/instructions/system.md"]
    assert [p["action"] for _, p in seen[2:]] == ["created", "deleted"]
    seqs = [p["seq"] for _, p in seen]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4


def test_a_change_outside_the_instructions_dir_is_not_reloaded(recorded: Any, alice: Any) -> None:
    response = recorded.client.put(
        f"{FILES}/app/config/agent.yaml", json={"content": "x"}, headers=alice
    )
    body = assert_contract(response).json()
    assert (body["hotReloaded"], body["reloadedFiles"]) == (False, [])
    names = [e.name for e, _ in recorded.events.published if e.name != "agent-health-update"]
    assert names == ["agent-file-changed"]


@pytest.mark.parametrize(
    ("raw_path", "status", "code"),
    [
        ("/app/data/%2e%2e/%2e%2e/etc/passwd", 400, "invalid_path"),
        ("/app/data/%252e%252e/secret", 400, "invalid_path"),
        ("/app/data/x%00.txt", 400, "invalid_path"),
        ("/app/data/.%2Fx", 400, "invalid_path"),
        ("/etc/passwd", 403, "path_forbidden"),
        ("/app/logs/agent.log", 403, "path_forbidden"),
        ("/app/configs/evil.txt", 403, "path_forbidden"),
    ],
)
def test_writes_outside_the_writable_paths_never_reach_wap(
    service: Any, alice: Any, wap_stub: Any, raw_path: str, status: int, code: str
) -> None:
    wap_stub.clear_calls()
    url = f"{service.url}{FILES}{raw_path}"
    response = service.client.put(url, json={"content": "x"}, headers=alice)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert wap_stub.calls() == []


def test_reads_outside_the_readable_paths_are_refused(
    service: Any, alice: Any, wap_stub: Any
) -> None:
    wap_stub.clear_calls()
    assert _code(service.client.get(f"{FILES}/etc/passwd", headers=alice)) == "path_forbidden"
    listing = service.client.get(FILES, params={"path": "/app"}, headers=alice)
    assert _code(listing) == "path_forbidden"
    relative = service.client.get(FILES, params={"path": "app/config"}, headers=alice)
    assert relative.status_code == 400
    assert wap_stub.calls() == []


def test_capabilities_gate_file_operations(service: Any, alice: Any, wap_stub: Any) -> None:
    wap_stub.clear_calls()
    readonly = f"/v1/agents/{ALICE_READONLY}/files"
    assert service.client.get(f"{readonly}/app/config/agent.yaml", headers=alice).status_code == 200
    write = service.client.put(
        f"{readonly}/app/config/agent.yaml", json={"content": "x"}, headers=alice
    )
    assert _code(write) == "capability_missing"
    delete = service.client.delete(f"{readonly}/app/config/agent.yaml", headers=alice)
    assert _code(delete) == "capability_missing"
    bare = service.client.get(f"/v1/agents/{ALICE_BARE}/files", headers=alice)
    assert _code(bare) == "capability_missing"
    assert [c["operationId"] for c in wap_stub.calls()] == ["readContainerFile"]


def test_invalid_base64_is_a_422(service: Any, alice: Any) -> None:
    response = service.client.put(
        f"{FILES}/app/data/x.bin", json={"content": "***", "encoding": "base64"}, headers=alice
    )
    assert response.status_code == 422 and _code(response) == "validation_failed"


def test_the_size_limit_answers_413_both_ways(settings: Any, alice: Any, wap_stub: Any) -> None:
    small = settings.replace(max_file_bytes=16)
    with running_service(small) as running:
        big = running.client.put(
            f"{FILES}/app/data/big.txt", json={"content": "x" * 17}, headers=alice
        )
        assert big.status_code == 413 and _code(big) == "payload_too_large"
        ok = running.client.put(
            f"{FILES}/app/data/ok.txt", json={"content": "x" * 16}, headers=alice
        )
        assert ok.status_code == 200
        read = running.client.get(f"{FILES}/app/config/agent.yaml", headers=alice)
        assert read.status_code == 413 and _code(read) == "payload_too_large"
