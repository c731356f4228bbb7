"""restart/stop/start and versions, end to end against the WAP stub over HTTP."""

from __future__ import annotations

import threading
from typing import Any

from tests.fixtures.contract import assert_contract
from tests.operations import ALICE_BARE, ALICE_MAIN, ALICE_READONLY


def test_restart_answers_the_new_state(service: Any, alice: Any, wap_stub: Any) -> None:
    response = assert_contract(
        service.client.post(f"/v1/agents/{ALICE_MAIN}/restart", headers=alice)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["containerId"] == ALICE_MAIN and body["status"] == "running"
    assert [c["path"] for c in wap_stub.calls("restartContainer")] == [
        "/containers/wap-alice-researcher/restart"
    ]


def test_stop_then_start_changes_what_health_reports(service: Any, alice: Any) -> None:
    stopped = service.client.post(f"/v1/agents/{ALICE_MAIN}/stop", headers=alice)
    assert assert_contract(stopped).json()["status"] == "stopped"
    health = service.client.get(f"/v1/agents/{ALICE_MAIN}/health", headers=alice).json()
    assert health["status"] == "stopped" and health["health"] == "none"
    again = assert_contract(service.client.post(f"/v1/agents/{ALICE_MAIN}/stop", headers=alice))
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    # In our words, whole: no placeholder, no WAP id.
    assert again.json()["detail"] == "The container is already stopped."
    started = assert_contract(service.client.post(f"/v1/agents/{ALICE_MAIN}/start", headers=alice))
    assert started.json()["status"] == "running"


def test_lifecycle_without_the_restart_capability_is_refused_before_wap(
    service: Any, alice: Any, wap_stub: Any
) -> None:
    wap_stub.clear_calls()
    for action in ("restart", "stop", "start"):
        response = service.client.post(f"/v1/agents/{ALICE_BARE}/{action}", headers=alice)
        assert_contract(response)
        assert response.status_code == 403 and response.json()["code"] == "capability_missing"
    assert wap_stub.calls() == []


def test_versions_lists_the_catalogue_with_the_current_tag_marked(service: Any, alice: Any) -> None:
    response = assert_contract(
        service.client.get(f"/v1/agents/{ALICE_MAIN}/versions", headers=alice)
    )
    body = response.json()
    assert body["image"] == "armory/agent-runtime" and body["currentTag"] == "1.4.0"
    assert [v["tag"] for v in body["available"]] == ["1.5.0", "1.4.0", "1.3.2"]
    assert [v["tag"] for v in body["available"] if v["current"]] == ["1.4.0"]
    assert body["history"] == []


def test_an_update_to_a_catalogued_tag_completes_and_is_recorded(
    recorded: Any, alice: Any, wap_stub: Any
) -> None:
    client = recorded.client
    response = assert_contract(
        client.post(f"/v1/agents/{ALICE_MAIN}/update-version", json={"tag": "1.5.0"}, headers=alice)
    )
    assert response.status_code == 200
    update = response.json()
    assert (update["oldTag"], update["newTag"], update["status"]) == ("1.4.0", "1.5.0", "completed")
    assert update["requestedBy"] == "alice" and update["finishedAt"] is not None
    assert wap_stub.calls("updateContainerImage")[0]["path"].endswith(
        "wap-alice-researcher/update-image"
    )
    versions = client.get(f"/v1/agents/{ALICE_MAIN}/versions", headers=alice).json()
    assert versions["currentTag"] == "1.5.0"
    assert [h["id"] for h in versions["history"]] == [update["id"]]
    statuses = [
        p["status"] for e, p in recorded.events.published if e.name == "agent-version-update"
    ]
    assert statuses == ["updating", "completed"]


def test_history_is_newest_first(service: Any, alice: Any) -> None:
    for tag in ("1.5.0", "1.3.2"):
        r = service.client.post(
            f"/v1/agents/{ALICE_MAIN}/update-version", json={"tag": tag}, headers=alice
        )
        assert r.status_code == 200, r.text
    history = service.client.get(f"/v1/agents/{ALICE_MAIN}/versions", headers=alice).json()[
        "history"
    ]
    assert [h["newTag"] for h in history] == ["1.3.2", "1.5.0"]


def test_an_uncatalogued_tag_is_a_422_and_wap_is_not_called(
    service: Any, alice: Any, wap_stub: Any
) -> None:
    wap_stub.clear_calls()
    response = service.client.post(
        f"/v1/agents/{ALICE_MAIN}/update-version", json={"tag": "1.6.0-rc1"}, headers=alice
    )
    assert_contract(response)
    assert response.status_code == 422 and response.json()["code"] == "unknown_tag"
    assert wap_stub.calls() == []


def test_wap_refusing_the_tag_records_a_failed_update_and_keeps_the_tag(
    recorded: Any, alice: Any, wap_stub: Any
) -> None:
    wap_stub.fault("status", "updateContainerImage", status=422, error="unknown_tag")
    response = recorded.client.post(
        f"/v1/agents/{ALICE_MAIN}/update-version", json={"tag": "1.5.0"}, headers=alice
    )
    assert assert_contract(response).status_code == 200
    assert response.json()["status"] == "failed" and response.json()["error"]
    versions = recorded.client.get(f"/v1/agents/{ALICE_MAIN}/versions", headers=alice).json()
    assert versions["currentTag"] == "1.4.0"
    assert versions["history"][0]["status"] == "failed"
    statuses = [
        p["status"] for e, p in recorded.events.published if e.name == "agent-version-update"
    ]
    assert statuses == ["updating", "failed"]


def test_a_wap_failure_during_an_update_is_a_502_and_is_recorded(
    service: Any, alice: Any, wap_stub: Any
) -> None:
    wap_stub.fault("status", "updateContainerImage", status=500)
    response = service.client.post(
        f"/v1/agents/{ALICE_MAIN}/update-version", json={"tag": "1.5.0"}, headers=alice
    )
    assert assert_contract(response).status_code == 502
    assert response.json()["code"] == "wap_error"
    history = service.client.get(f"/v1/agents/{ALICE_MAIN}/versions", headers=alice).json()[
        "history"
    ]
    assert history[0]["status"] == "failed"


def test_only_one_update_runs_at_a_time(service: Any, alice: Any, wap_stub: Any) -> None:
    wap_stub.fault("delay", "updateContainerImage", delay_seconds=1.0)
    answers: list[Any] = []

    def update() -> None:
        answers.append(
            service.client.post(
                f"/v1/agents/{ALICE_MAIN}/update-version", json={"tag": "1.5.0"}, headers=alice
            )
        )

    threads = [threading.Thread(target=update) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409]
    conflict = next(a for a in answers if a.status_code == 409)
    assert assert_contract(conflict).json()["code"] == "update_in_progress"


def test_updating_to_the_current_tag_is_a_conflict(service: Any, alice: Any) -> None:
    response = service.client.post(
        f"/v1/agents/{ALICE_READONLY}/update-version", json={"tag": "1.3.2"}, headers=alice
    )
    assert assert_contract(response).status_code == 409
