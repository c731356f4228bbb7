"""Unit tests of the WAP stub's state machine (no HTTP), on a controlled clock."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from wap_stub.errors import (
    BadPath,
    Conflict,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
    StubError,
    UnknownTag,
)
from wap_stub.seed import snapshot, state_from_seed
from wap_stub.state import Options, WapState, iso

IMAGE = "armory/agent-runtime"
SYSTEM_MD = "/app/instructions/system.md"


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def seed() -> dict[str, Any]:
    return {
        "registry": {IMAGE: ["1.4.2", "1.5.0"]},
        "containers": [
            {
                "id": "wap-hot",
                "image": IMAGE,
                "tag": "1.4.2",
                "instructionsDir": "/app/instructions",
                "supportsHotReload": True,
                "files": {
                    SYSTEM_MD: "You are helpful.\n",
                    "/app/instructions/tools/search.json": "{}",
                    "/app/bin/blob": {"base64": "/wA="},
                },
                "dirs": ["/app/empty"],
                "env": {"LOG_LEVEL": "info", "API_KEY": "k"},
            },
            {
                "id": "wap-cold",
                "image": IMAGE,
                "tag": "1.4.2",
                "status": "stopped",
                "instructionsDir": "/app/instructions",
                "supportsHotReload": False,
            },
        ],
    }


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state(clock: FakeClock) -> WapState:
    return state_from_seed(seed(), options=Options(starting_seconds=5), clock=clock)


def texts(state: WapState, wap_id: str) -> list[str]:
    return [line.text for line in state.logs(wap_id)]


# -- lifecycle ----------------------------------------------------------------
def test_a_seeded_running_container_is_healthy_and_a_stopped_one_reports_none(
    state: WapState,
) -> None:
    assert state.health("wap-hot")["health"] == "healthy"
    assert state.health("wap-hot")["startedAt"] is not None
    cold = state.health("wap-cold")
    assert (cold["status"], cold["health"], cold["startedAt"]) == ("stopped", "none", None)


def test_stopping_a_container_changes_status_health_stats_and_logs(
    state: WapState, clock: FakeClock
) -> None:
    clock.advance(10)
    answer = state.stop("wap-hot")
    assert answer == {"id": "wap-hot", "status": "stopped", "changedAt": iso(clock.now)}
    assert state.health("wap-hot")["health"] == "none"
    stats = state.stats("wap-hot")
    assert (stats["cpuPercent"], stats["memoryBytes"], stats["pids"]) == (0.0, 0, 0)
    assert texts(state, "wap-hot")[-1] == "[wap] container stopped"


def test_stopping_a_stopped_container_is_a_conflict(state: WapState) -> None:
    with pytest.raises(Conflict) as caught:
        state.stop("wap-cold")
    assert (caught.value.status, caught.value.code) == (409, "conflict")


def test_starting_a_running_container_is_a_conflict(state: WapState) -> None:
    with pytest.raises(Conflict):
        state.start("wap-hot")


def test_a_started_container_is_starting_for_the_configured_time_then_healthy(
    state: WapState, clock: FakeClock
) -> None:
    assert state.start("wap-cold")["status"] == "running"
    assert state.health("wap-cold")["startedAt"] == iso(clock.now)
    clock.advance(4.9)
    assert state.health("wap-cold")["health"] == "starting"
    clock.advance(0.2)
    assert state.health("wap-cold")["health"] == "healthy"


def test_restarting_renews_started_at_and_works_on_a_stopped_container_too(
    state: WapState, clock: FakeClock
) -> None:
    clock.advance(60)
    assert state.restart("wap-hot")["status"] == "running"
    assert state.health("wap-hot") | {"checkedAt": None} == {
        "id": "wap-hot",
        "status": "running",
        "health": "starting",
        "startedAt": iso(clock.now),
        "checkedAt": None,
        "failingStreak": 0,
    }
    assert "[wap] container restarted" in texts(state, "wap-hot")
    assert state.restart("wap-cold")["status"] == "running"


UNKNOWN_ID_CALLS: list[Callable[[WapState], object]] = [
    lambda s: s.restart("wap-nope"),
    lambda s: s.stop("wap-nope"),
    lambda s: s.start("wap-nope"),
    lambda s: s.begin_update("wap-nope", IMAGE, "1.5.0"),
    lambda s: s.list_files("wap-nope", "/"),
    lambda s: s.read_file("wap-nope", SYSTEM_MD),
    lambda s: s.write_file("wap-nope", SYSTEM_MD, b""),
    lambda s: s.delete_file("wap-nope", SYSTEM_MD),
    lambda s: s.health("wap-nope"),
    lambda s: s.stats("wap-nope"),
    lambda s: s.logs("wap-nope"),
    lambda s: s.get_env("wap-nope"),
    lambda s: s.patch_env("wap-nope", {"A": "1"}),
]


@pytest.mark.parametrize("call", UNKNOWN_ID_CALLS)
def test_every_operation_on_an_unknown_container_is_not_found(
    state: WapState, call: Callable[[WapState], object]
) -> None:
    with pytest.raises(NotFound) as caught:
        call(state)
    assert caught.value.body() == {"error": "not_found", "message": "no container wap-nope"}


# -- image updates ------------------------------------------------------------
def test_an_image_update_changes_the_tag_restarts_and_logs(
    state: WapState, clock: FakeClock
) -> None:
    state.begin_update("wap-hot", IMAGE, "1.5.0")
    assert state.health("wap-hot")["status"] == "restarting"
    assert state.health("wap-hot")["health"] == "starting"
    assert state.finish_update("wap-hot", IMAGE, "1.5.0") == {
        "id": "wap-hot",
        "image": IMAGE,
        "previousTag": "1.4.2",
        "tag": "1.5.0",
        "status": "completed",
    }
    assert state.get("wap-hot").tag == "1.5.0"
    assert state.health("wap-hot")["startedAt"] == iso(clock.now)
    assert "[wap] container recreated: image updated from 1.4.2 to 1.5.0" in texts(state, "wap-hot")


def test_an_update_to_a_tag_the_registry_lacks_is_refused_and_changes_nothing(
    state: WapState,
) -> None:
    with pytest.raises(UnknownTag) as caught:
        state.begin_update("wap-hot", IMAGE, "9.9.9")
    assert (caught.value.status, caught.value.code) == (422, "unknown_tag")
    with pytest.raises(UnknownTag):
        state.begin_update("wap-hot", "other/image", "1.5.0")
    assert (state.get("wap-hot").tag, state.get("wap-hot").status) == ("1.4.2", "running")


def test_a_second_update_while_one_runs_is_a_conflict(state: WapState) -> None:
    state.begin_update("wap-hot", IMAGE, "1.5.0")
    with pytest.raises(Conflict) as caught:
        state.begin_update("wap-hot", IMAGE, "1.4.2")
    assert caught.value.code == "update_in_progress"
    state.finish_update("wap-hot", IMAGE, "1.5.0")
    state.begin_update("wap-hot", IMAGE, "1.4.2")  # free again


# -- files --------------------------------------------------------------------
def test_listing_shows_direct_children_sorted_with_implied_and_empty_directories(
    state: WapState,
) -> None:
    assert [(e["name"], e["type"]) for e in state.list_files("wap-hot", "/app")["entries"]] == [
        ("bin", "directory"),
        ("empty", "directory"),
        ("instructions", "directory"),
    ]
    listing = state.list_files("wap-hot", "/app/instructions/")
    assert listing["path"] == "/app/instructions"
    assert [(e["path"], e["type"], e["size"]) for e in listing["entries"]] == [
        (SYSTEM_MD, "file", len(b"You are helpful.\n")),
        ("/app/instructions/tools", "directory", 0),
    ]
    assert state.list_files("wap-hot", "/app/empty")["entries"] == []
    assert [e["name"] for e in state.list_files("wap-hot", "/")["entries"]] == ["app"]


def test_listing_a_file_or_a_missing_directory_is_refused(state: WapState) -> None:
    with pytest.raises(BadPath) as caught:
        state.list_files("wap-hot", SYSTEM_MD)
    assert (caught.value.status, caught.value.code) == (400, "not_a_directory")
    with pytest.raises(NotFound):
        state.list_files("wap-hot", "/nowhere")


@pytest.mark.parametrize("path", ["relative/x", "/app/../etc", "/app//x", "/app/./x", "/a\x00b"])
def test_paths_with_odd_segments_are_invalid(state: WapState, path: str) -> None:
    with pytest.raises(BadPath) as caught:
        state.read_file("wap-hot", path)
    assert caught.value.code == "invalid_path"


def test_reading_gives_bytes_and_a_sha256_etag(state: WapState) -> None:
    node = state.read_file("wap-hot", "/app/bin/blob")
    assert node.content == b"\xff\x00"
    assert node.etag == '"' + hashlib.sha256(b"\xff\x00").hexdigest()[:32] + '"'


def test_reading_a_directory_or_a_missing_file_is_refused(state: WapState) -> None:
    with pytest.raises(BadPath) as caught:
        state.read_file("wap-hot", "/app/instructions")
    assert caught.value.code == "is_a_directory"
    with pytest.raises(NotFound):
        state.read_file("wap-hot", "/app/missing.md")


def test_writing_creates_then_replaces_and_the_change_is_visible(
    state: WapState, clock: FakeClock
) -> None:
    clock.advance(30)
    created = state.write_file("wap-cold", "/srv/new/notes.txt", b"one")
    assert (created["created"], created["size"], created["modifiedAt"]) == (
        True,
        3,
        iso(clock.now),
    )
    replaced = state.write_file("wap-cold", "/srv/new/notes.txt", b"two!", created["etag"])
    assert (replaced["created"], replaced["size"]) == (False, 4)
    assert replaced["etag"] != created["etag"]
    assert state.read_file("wap-cold", "/srv/new/notes.txt").content == b"two!"
    assert [e["name"] for e in state.list_files("wap-cold", "/srv")["entries"]] == ["new"]


def test_a_stale_if_match_or_one_on_a_missing_file_fails_the_precondition(
    state: WapState,
) -> None:
    with pytest.raises(PreconditionFailed) as caught:
        state.write_file("wap-hot", SYSTEM_MD, b"x", '"00000000000000000000000000000000"')
    assert (caught.value.status, caught.value.code) == (412, "precondition_failed")
    with pytest.raises(PreconditionFailed):
        state.write_file("wap-hot", "/app/instructions/new.md", b"x", "*")
    with pytest.raises(PreconditionFailed):
        state.delete_file("wap-hot", SYSTEM_MD, '"stale"')
    assert state.read_file("wap-hot", SYSTEM_MD).content == b"You are helpful.\n"
    assert state.write_file("wap-hot", SYSTEM_MD, b"x", "*")["created"] is False


def test_writing_below_a_file_or_onto_a_directory_is_refused(state: WapState) -> None:
    with pytest.raises(BadPath) as caught:
        state.write_file("wap-hot", SYSTEM_MD + "/child", b"x")
    assert caught.value.code == "not_a_directory"
    with pytest.raises(BadPath) as caught:
        state.write_file("wap-hot", "/app/instructions", b"x")
    assert caught.value.code == "is_a_directory"


def test_deleting_removes_the_file_but_keeps_its_directory(state: WapState) -> None:
    etag = state.read_file("wap-hot", "/app/bin/blob").etag
    assert state.delete_file("wap-hot", "/app/bin/blob", etag)["deleted"] is True
    with pytest.raises(NotFound):
        state.read_file("wap-hot", "/app/bin/blob")
    assert state.list_files("wap-hot", "/app/bin")["entries"] == []
    with pytest.raises(NotFound):
        state.delete_file("wap-hot", "/app/bin/blob")
    with pytest.raises(BadPath):
        state.delete_file("wap-hot", "/app/bin")


def test_a_change_under_instructions_dir_with_hot_reload_is_reloaded_and_logged(
    state: WapState,
) -> None:
    answer = state.write_file("wap-hot", SYSTEM_MD, b"new")
    assert (answer["hotReloaded"], answer["reloadedFiles"], answer["restartRequired"]) == (
        True,
        [SYSTEM_MD],
        False,
    )
    assert texts(state, "wap-hot")[-1] == f"[agent] hot-reloaded {SYSTEM_MD}"
    deleted = state.delete_file("wap-hot", SYSTEM_MD)
    assert (deleted["hotReloaded"], deleted["reloadedFiles"]) == (True, [SYSTEM_MD])


def test_a_change_under_instructions_dir_without_hot_reload_requires_a_restart(
    state: WapState,
) -> None:
    answer = state.write_file("wap-cold", SYSTEM_MD, b"new")
    assert (answer["hotReloaded"], answer["reloadedFiles"], answer["restartRequired"]) == (
        False,
        [],
        True,
    )


def test_a_change_outside_instructions_dir_neither_reloads_nor_requires_a_restart(
    state: WapState,
) -> None:
    for wap_id in ("wap-hot", "wap-cold"):
        answer = state.write_file(wap_id, "/app/instructions-other/x", b"")
        assert (answer["hotReloaded"], answer["reloadedFiles"], answer["restartRequired"]) == (
            False,
            [],
            False,
        )


# -- env ----------------------------------------------------------------------
def test_env_patches_set_and_unset_and_report_whether_anything_changed(state: WapState) -> None:
    assert state.get_env("wap-hot")["variables"] == {"API_KEY": "k", "LOG_LEVEL": "info"}
    answer = state.patch_env("wap-hot", {"LOG_LEVEL": "debug", "NEW": "1"}, ["API_KEY"])
    assert answer == {
        "id": "wap-hot",
        "variables": {"LOG_LEVEL": "debug", "NEW": "1"},
        "restartRequired": True,
    }
    assert state.get_env("wap-hot")["variables"] == {"LOG_LEVEL": "debug", "NEW": "1"}
    unchanged = state.patch_env("wap-hot", {"NEW": "1"}, ["NEVER_SET"])
    assert unchanged["restartRequired"] is False


def test_setting_and_unsetting_the_same_variable_is_refused(state: WapState) -> None:
    with pytest.raises(InvalidRequest):
        state.patch_env("wap-hot", {"A": "1"}, ["A"])


# -- logs ---------------------------------------------------------------------
def test_logs_filter_by_tail_and_since_and_render_timestamps(
    state: WapState, clock: FakeClock
) -> None:
    clock.advance(60)
    since = clock.now
    state.log("wap-hot", "first")
    clock.advance(1)
    state.log("wap-hot", "second\nthird")
    assert [ln.text for ln in state.logs("wap-hot", since=since)] == ["first", "second", "third"]
    assert [ln.text for ln in state.logs("wap-hot", tail=2)] == ["second", "third"]
    last = state.logs("wap-hot", tail=1)[0]
    assert last.render(timestamps=True) == f"{iso(clock.now)} third"
    assert [ln.text for ln in state.logs_after("wap-hot", last.seq - 2)] == ["second", "third"]
    assert state.last_seq("wap-hot") == last.seq


def test_the_log_buffer_keeps_only_the_latest_lines(clock: FakeClock) -> None:
    state = state_from_seed(
        {"options": {"logCapacity": 3}, "containers": [{"id": "w", "image": "i", "tag": "t"}]},
        clock=clock,
    )
    for n in range(10):
        state.log("w", f"line {n}")
    assert texts(state, "w") == ["line 7", "line 8", "line 9"]


# -- health and stats ---------------------------------------------------------
def test_usage_drifts_over_time_and_counters_grow_with_uptime(
    state: WapState, clock: FakeClock
) -> None:
    samples = []
    for _ in range(5):
        samples.append(state.stats("wap-hot"))
        clock.advance(1.3)
    assert len({s["cpuPercent"] for s in samples}) > 1
    assert len({s["memoryBytes"] for s in samples}) > 1
    assert samples[-1]["networkRxBytes"] > samples[0]["networkRxBytes"]
    assert all(0 < s["memoryBytes"] <= s["memoryLimitBytes"] for s in samples)
    bulk = state.all_health()["containers"]
    assert [(c["id"], c["health"]) for c in bulk] == [("wap-hot", "healthy"), ("wap-cold", "none")]
    assert bulk[1]["resources"]["cpuPercent"] == 0.0


def test_a_forced_unhealthy_container_reports_a_failing_streak_until_it_stops(
    state: WapState,
) -> None:
    state.set_health("wap-hot", "unhealthy")
    assert (state.health("wap-hot")["health"], state.health("wap-hot")["failingStreak"]) == (
        "unhealthy",
        3,
    )
    state.stop("wap-hot")
    assert state.health("wap-hot")["health"] == "none"
    state.set_health("wap-hot", None)
    state.start("wap-hot")
    with pytest.raises(ValueError):
        state.set_health("wap-hot", "sick")


# -- seeds --------------------------------------------------------------------
def test_a_snapshot_is_a_seed_that_rebuilds_the_same_state(
    state: WapState, clock: FakeClock
) -> None:
    state.write_file("wap-hot", "/bin/raw", b"\x80\x81")
    state.patch_env("wap-hot", {"X": "1"})
    again = state_from_seed(snapshot(state), clock=clock)
    assert snapshot(again) == snapshot(state)
    assert again.read_file("wap-hot", "/bin/raw").content == b"\x80\x81"
    assert again.options.starting_seconds == 5


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"containers": [{"id": "w"}]},
        {"containers": [{"id": "w", "image": "i", "tag": "t", "status": "paused"}]},
        {"containers": [{"id": "w", "image": "i", "tag": "t", "files": {"rel": "x"}}]},
        {"containers": [{"id": "w", "image": "i", "tag": "t", "files": {"/x": {"b": 1}}}]},
        {"containers": [{"id": "w", "image": "i", "tag": "t"}] * 2},
        {"options": {"startingSeconds": "soon"}},
        {"options": {"colour": 1}},
    ],
)
def test_a_malformed_seed_is_refused_with_a_value_error(bad: Any) -> None:
    with pytest.raises(ValueError):
        state_from_seed(bad)


def test_timestamps_always_carry_microseconds_and_a_z_so_they_sort_as_text() -> None:
    assert iso(datetime(2026, 11, 29, 10, 0, tzinfo=UTC)) == "2026-11-29T10:00:00.000000Z"


def test_every_stub_error_carries_its_status_and_code() -> None:
    errors: list[StubError] = [
        InvalidRequest("m"),
        BadPath("m", code="not_a_directory"),
        NotFound("m"),
        Conflict("m"),
        PreconditionFailed("m"),
        UnknownTag("m"),
    ]
    assert [(e.status, e.body()) for e in errors] == [
        (400, {"error": "invalid_request", "message": "m"}),
        (400, {"error": "not_a_directory", "message": "m"}),
        (404, {"error": "not_found", "message": "m"}),
        (409, {"error": "conflict", "message": "m"}),
        (412, {"error": "precondition_failed", "message": "m"}),
        (422, {"error": "unknown_tag", "message": "m"}),
    ]
