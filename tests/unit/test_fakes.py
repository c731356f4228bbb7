"""The fakes keep the promises of the ports they stand in for.

Unit tests of the use cases rely on these behaviours; each is checked here, in
memory (no network, no database, no stand-in).
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime

import pytest

from service import errors
from service.domain import OwnedContainer
from service.events import FILE_CHANGED, HEALTH_UPDATE, AgentEvent
from service.wap import LogOptions
from tests.fakes.clock import FixedClock
from tests.fakes.events import RecordingEventPublisher
from tests.fakes.repository import FakeContainerRepository
from tests.fakes.wap import FakeWap


def _repository() -> tuple[FakeContainerRepository, OwnedContainer]:
    repository = FakeContainerRepository(clock=FixedClock())
    mine = repository.add_container("c-1", account_id="alice", tag="1.0.0")
    repository.add_container("c-2", account_id="bob")
    return repository, mine


# --- FakeContainerRepository ----------------------------------------------------------


async def test_a_foreign_container_is_none_exactly_like_an_unknown_one() -> None:
    repository, mine = _repository()
    assert await repository.find_owned("alice", "c-1") == mine
    assert await repository.find_owned("alice", "c-2") is None  # bob's
    assert await repository.find_owned("alice", "c-404") is None
    assert repository.count("find_owned") == 3


async def test_a_second_update_of_a_container_is_refused_while_the_first_runs() -> None:
    repository, mine = _repository()
    first = await repository.begin_update(mine, "1.1.0", "alice")
    assert first.status == "updating" and first.old_tag == "1.0.0"
    with pytest.raises(errors.UpdateInProgress):
        await repository.begin_update(mine, "1.2.0", "alice")
    other = await repository.begin_update(repository.containers["c-2"], "1.1.0", "bob")
    assert other.status == "updating"  # one at a time per container, not overall


async def test_a_completed_update_moves_the_tag_and_frees_the_container() -> None:
    repository, mine = _repository()
    update = await repository.begin_update(mine, "1.1.0", "alice")
    done = await repository.finish_update(update.id, succeeded=True)
    assert (done.status, done.error, done.finished_at is not None) == ("completed", None, True)
    moved = await repository.find_owned("alice", "c-1")
    assert moved is not None and moved.tag == "1.1.0"
    again = await repository.begin_update(moved, "1.2.0", "alice")
    assert [u.id for u in await repository.history("c-1")] == [again.id, update.id]


async def test_a_failed_update_keeps_the_tag_and_records_why() -> None:
    repository, mine = _repository()
    update = await repository.begin_update(mine, "1.1.0", "alice")
    failed = await repository.finish_update(update.id, succeeded=False, error="WAP said no")
    assert (failed.status, failed.error) == ("failed", "WAP said no")
    kept = await repository.find_owned("alice", "c-1")
    assert kept is not None and kept.tag == "1.0.0"


async def test_the_catalogue_is_newest_first() -> None:
    repository, _ = _repository()
    repository.add_catalogue("armory/agent", "1.0.0", "1.1.0", "1.2.0")
    tags = [e.tag for e in await repository.catalogue("armory/agent")]
    assert tags == ["1.2.0", "1.1.0", "1.0.0"]
    assert await repository.catalogue("other/image") == []


# --- FakeWap --------------------------------------------------------------------------


def _wap() -> FakeWap:
    wap = FakeWap(clock=FixedClock())
    wap.add_container(
        "w-1",
        files={"/app/notes.txt": b"hello", "/app/config/instructions/main.md": b"Be kind."},
        hot_reload_dirs=("/app/config/instructions",),
        env={"MODE": "fast"},
        logs=["one", "two", "three"],
    )
    return wap


async def test_fail_next_raises_once_and_the_call_is_still_recorded() -> None:
    wap = _wap()
    wap.fail_next("restart_container", errors.UpstreamTimeout())
    with pytest.raises(errors.UpstreamTimeout):
        await wap.restart_container("w-1")
    assert (await wap.restart_container("w-1")).status == "running"
    assert wap.calls == [("restart_container", ("w-1",)), ("restart_container", ("w-1",))]
    with pytest.raises(ValueError):
        wap.fail_next("restart", errors.UpstreamError())  # not a port method: a typo


async def test_stopping_a_stopped_container_and_starting_a_running_one_conflict() -> None:
    wap = _wap()
    with pytest.raises(errors.Conflict):
        await wap.start_container("w-1")
    assert (await wap.stop_container("w-1")).status == "stopped"
    with pytest.raises(errors.Conflict):
        await wap.stop_container("w-1")
    assert (await wap.start_container("w-1")).status == "running"


async def test_an_unknown_wap_id_is_not_found() -> None:
    with pytest.raises(errors.NotFound):
        await _wap().get_container_env("w-404")


async def test_a_write_with_a_stale_if_match_is_refused_and_changes_nothing() -> None:
    wap = _wap()
    with pytest.raises(errors.PreconditionFailed):
        await wap.write_container_file("w-1", "/app/notes.txt", b"new", if_match='"stale"')
    assert wap.content_of("w-1", "/app/notes.txt") == b"hello"
    current = (await wap.read_container_file("w-1", "/app/notes.txt", max_bytes=100)).etag
    assert current == '"' + hashlib.sha256(b"hello").hexdigest()[:32] + '"'
    written = await wap.write_container_file("w-1", "/app/notes.txt", b"new", if_match=current)
    assert (written.created, written.size, wap.content_of("w-1", "/app/notes.txt")) == (
        False,
        3,
        b"new",
    )
    with pytest.raises(errors.PreconditionFailed):  # If-Match on a file that does not exist
        await wap.write_container_file("w-1", "/app/other.txt", b"x", if_match=current)


async def test_a_write_under_a_hot_reload_dir_is_reported_hot_reloaded() -> None:
    wap = _wap()
    path = "/app/config/instructions/extra.md"
    reloaded = await wap.write_container_file("w-1", path, b"Be brief.")
    assert (reloaded.created, reloaded.hot_reloaded, reloaded.reloaded_files) == (
        True,
        True,
        (path,),
    )
    plain = await wap.write_container_file("w-1", "/app/data.txt", b"1")
    assert (plain.hot_reloaded, plain.reloaded_files, plain.restart_required) == (False, (), False)


async def test_a_listing_is_derived_from_the_stored_paths() -> None:
    wap = _wap()
    listing = await wap.list_container_files("w-1", "/app/")
    assert listing.path == "/app"
    assert [(e.name, e.path, e.type, e.size) for e in listing.entries] == [
        ("config", "/app/config", "directory", 0),
        ("notes.txt", "/app/notes.txt", "file", 5),
    ]
    with pytest.raises(errors.BadRequest) as not_a_dir:
        await wap.list_container_files("w-1", "/app/notes.txt")
    assert not_a_dir.value.instance_code == "invalid_path"
    with pytest.raises(errors.NotFound):
        await wap.list_container_files("w-1", "/nowhere")


async def test_deleting_the_last_file_of_a_directory_keeps_the_directory() -> None:
    wap = _wap()
    deleted = await wap.delete_container_file("w-1", "/app/config/instructions/main.md")
    assert (deleted.deleted, deleted.hot_reloaded) == (True, True)
    listing = await wap.list_container_files("w-1", "/app/config/instructions")
    assert listing.entries == ()
    with pytest.raises(errors.NotFound):
        await wap.delete_container_file("w-1", "/app/config/instructions/main.md")


async def test_a_read_bigger_than_max_bytes_is_too_large_and_a_stream_closes() -> None:
    wap = _wap()
    with pytest.raises(errors.PayloadTooLarge):
        await wap.read_container_file("w-1", "/app/notes.txt", max_bytes=4)
    with pytest.raises(errors.NotFound):
        await wap.open_container_file("w-1", "/app/missing.txt")
    wap.chunk_size = 2
    async with await wap.open_container_file("w-1", "/app/notes.txt") as stream:
        assert (stream.size, stream.content_type) == (5, "text/plain; charset=utf-8")
        assert wap.streams_open == 1
        assert [chunk async for chunk in stream] == [b"he", b"ll", b"o"]
    assert wap.streams_open == 0


async def test_logs_honour_tail_and_a_followed_log_is_a_stream_of_lines() -> None:
    wap = _wap()
    assert await wap.get_container_logs("w-1", LogOptions(tail=2)) == ["two", "three"]
    stamped = await wap.get_container_logs("w-1", LogOptions(tail=1, timestamps=True))
    assert stamped == ["2026-01-01T00:00:00.000000Z three"]
    stream = await wap.follow_container_logs("w-1", LogOptions())
    assert [line async for line in stream] == ["one", "two", "three"]
    assert wap.streams_open == 0


async def test_an_env_update_needs_a_restart_only_when_something_changed() -> None:
    wap = _wap()
    same = await wap.update_container_env("w-1", {"MODE": "fast"}, ["ABSENT"])
    assert same.restart_required is False
    changed = await wap.update_container_env("w-1", {"LEVEL": "2"}, ["MODE"])
    assert (dict(changed.variables), changed.restart_required) == ({"LEVEL": "2"}, True)


async def test_health_is_settable_and_a_stopped_container_reports_none() -> None:
    wap = _wap()
    wap.add_container("w-2", status="stopped")
    wap.set_health("w-1", "unhealthy")
    one = await wap.get_container_health("w-1")
    assert (one.health, one.failing_streak) == ("unhealthy", 3)
    summary = await wap.get_all_container_health()
    assert [(e.id, e.health, e.resources.memory_bytes) for e in summary.containers] == [
        ("w-1", "unhealthy", 128 << 20),
        ("w-2", "none", 0),
    ]


async def test_an_image_update_refuses_an_unknown_tag_and_a_concurrent_update() -> None:
    wap = _wap()
    wap.refused_tags.add("9.9.9")
    with pytest.raises(errors.Unprocessable) as unknown:
        await wap.update_container_image("w-1", "armory/agent", "9.9.9")
    assert unknown.value.instance_code == "unknown_tag"
    wap.update_gate = asyncio.Event()
    first = asyncio.create_task(wap.update_container_image("w-1", "armory/agent", "1.1.0"))
    await asyncio.sleep(0)
    assert wap.containers["w-1"].status == "restarting"
    with pytest.raises(errors.UpdateInProgress):
        await wap.update_container_image("w-1", "armory/agent", "1.2.0")
    wap.update_gate.set()
    done = await first
    assert (done.previous_tag, done.tag, wap.containers["w-1"].tag) == ("1.0.0", "1.1.0", "1.1.0")


# --- RecordingEventPublisher and FixedClock -------------------------------------------


async def test_events_are_numbered_per_container_and_replayed_after_a_seq() -> None:
    clock = FixedClock(1_700_000_000.0)
    events = RecordingEventPublisher(clock=clock)
    for container_id in ("c-1", "c-1", "c-2", "c-1"):
        event = AgentEvent(FILE_CHANGED, container_id, "p", "alice", {"containerId": container_id})
        await events.publish(event)
    clock.advance(1.5)
    last = await events.publish(AgentEvent(HEALTH_UPDATE, "c-2", "p", "alice", {}))
    assert [p["seq"] for _, p in events.published] == [1, 2, 1, 3, 2]
    assert last["time"] == datetime.fromtimestamp(1_700_000_001.5, UTC).isoformat()
    assert [e["data"]["seq"] for e in await events.since("c-1", 1)] == [2, 3]
    assert events.names() == [FILE_CHANGED] * 4 + [HEALTH_UPDATE]
