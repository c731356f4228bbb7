"""Agent files: listing, reading (buffered and streamed), writing and deleting, and the
``agent-file-changed`` / ``agent-config-reloaded`` events a change publishes.

Path and capability rules are in test_paths.py and test_ownership.py.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from service import errors
from service.domain import CAP_FILE_READ, CAP_FILE_WRITE
from service.events import CONFIG_RELOADED, FILE_CHANGED
from service.usecases import files
from service.wap_types import FileContent
from tests.fakes.clock import DEFAULT_EPOCH
from tests.fakes.wap import FakeWap
from tests.fakes.wap_files import FakeFile, etag_of
from tests.unit.conftest import ALICE, IMAGE, INSTRUCTIONS, MINE, World

MAX_BYTES = 64
NO_RELOAD = "a11ce000-0000-4000-8000-0000000000c1"


def _list(world: World) -> files.ListFiles:
    return files.ListFiles(world.ownership, world.wap)


def _read(world: World, wap: FakeWap | None = None, *, limit: int = MAX_BYTES) -> files.ReadFile:
    wap = wap or world.wap
    return files.ReadFile(world.ownership, wap, max_file_bytes=limit, clock=world.clock)


def _write(world: World) -> files.WriteFile:
    return files.WriteFile(world.ownership, world.wap, world.events, max_file_bytes=MAX_BYTES)


def _delete(world: World) -> files.DeleteFile:
    return files.DeleteFile(world.ownership, world.wap, world.events)


def _events(world: World) -> list[tuple[str, dict[str, object]]]:
    return [(event.name, dict(event.data)) for event, _ in world.events.published]


def _changed(path: str, action: str) -> tuple[str, dict[str, object]]:
    return (FILE_CHANGED, {"containerId": MINE, "path": path, "action": action})


def _content(world: World, path: str) -> bytes | None:
    return world.wap.content_of(world.wap_id(MINE), path)


# --- ListFiles --------------------------------------------------------------------------


async def test_a_listing_answers_wap_s_entries_with_their_writable_flag(world: World) -> None:
    listing = await _list(world)(ALICE, MINE, "/app/config/")
    assert listing.path == "/app/config"
    assert [(e.name, e.path, e.type, e.size, e.writable) for e in listing.entries] == [
        ("agent.yaml", "/app/config/agent.yaml", "file", 12, True),
        ("instructions", INSTRUCTIONS, "directory", 0, True),
    ]
    assert world.wap.calls == [("list_container_files", (world.wap_id(MINE), "/app/config"))]


async def test_entries_of_a_read_only_root_are_not_writable(world: World) -> None:
    listing = await _list(world)(ALICE, MINE, "/app/logs")
    assert [(e.path, e.writable) for e in listing.entries] == [("/app/logs/agent.log", False)]


# --- ReadFile ---------------------------------------------------------------------------


async def test_a_utf8_file_is_read_as_text_with_wap_s_metadata(world: World) -> None:
    text, modified = "héllo ✓\n", datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    data = text.encode("utf-8")
    world.wap.containers[world.wap_id(MINE)].files["/app/data/note.txt"] = FakeFile(data, modified)

    found = await _read(world)(ALICE, MINE, "/app/data/note.txt")

    assert (found.path, found.content, found.encoding) == ("/app/data/note.txt", text, "utf-8")
    assert (found.size, found.etag, found.modified_at) == (len(data), etag_of(data), modified)


async def test_a_file_that_is_not_utf8_is_read_as_base64(world: World) -> None:
    found = await _read(world, limit=1024)(ALICE, MINE, "/app/data/blob.bin")
    assert found.encoding == "base64"
    assert base64.b64decode(found.content) == bytes(range(256))
    assert found.size == 256


class _NoLastModifiedWap(FakeWap):
    """A WAP that sends no Last-Modified with a file."""

    async def read_container_file(self, wap_id: str, path: str, *, max_bytes: int) -> FileContent:
        found = await super().read_container_file(wap_id, path, max_bytes=max_bytes)
        return FileContent(found.content, found.content_type, found.etag, None, found.size)


async def test_modified_at_falls_back_to_the_clock_when_wap_gives_no_last_modified(
    world: World,
) -> None:
    wap = _NoLastModifiedWap(clock=world.clock)
    wap.containers = world.wap.containers
    world.clock.advance(90)  # the files were written at the epoch: the read is 90 s later

    found = await _read(world, wap)(ALICE, MINE, "/app/config/agent.yaml")

    assert found.modified_at == datetime.fromtimestamp(DEFAULT_EPOCH + 90, UTC)
    assert found.modified_at.tzinfo is not None


async def test_a_file_above_the_limit_is_too_large_to_read(world: World) -> None:
    with pytest.raises(errors.PayloadTooLarge) as caught:
        await _read(world, limit=255)(ALICE, MINE, "/app/data/blob.bin")
    assert (caught.value.status, caught.value.instance_code) == (413, "payload_too_large")


async def test_a_file_of_exactly_the_limit_is_read(world: World) -> None:
    found = await _read(world, limit=256)(ALICE, MINE, "/app/data/blob.bin")
    assert found.size == 256


async def test_reading_a_missing_file_answers_wap_s_not_found(world: World) -> None:
    with pytest.raises(errors.NotFound):
        await _read(world)(ALICE, MINE, "/app/config/missing.yaml")


# --- OpenFile ---------------------------------------------------------------------------


async def test_an_opened_file_streams_its_bytes_and_closes(world: World) -> None:
    world.wap.chunk_size = 100
    stream = await files.OpenFile(world.ownership, world.wap, world.streams)(
        ALICE, MINE, "/app/data/blob.bin"
    )
    assert (stream.size, stream.etag) == (256, etag_of(bytes(range(256))))
    assert world.wap.streams_open == 1
    chunks = [chunk async for chunk in stream]
    assert [len(c) for c in chunks] == [100, 100, 56]
    assert b"".join(chunks) == bytes(range(256))
    assert world.wap.streams_open == 0


# --- WriteFile --------------------------------------------------------------------------


async def test_writing_a_new_file_publishes_one_created_event(world: World) -> None:
    written = await _write(world)(ALICE, MINE, "/app/data/new.txt", "hello", "utf-8", if_match=None)
    assert (written.path, written.action, written.result.created) == (
        "/app/data/new.txt",
        "created",
        True,
    )
    assert _content(world, "/app/data/new.txt") == b"hello"
    assert _events(world) == [_changed("/app/data/new.txt", "created")]
    event, payload = world.events.published[0]
    assert (event.container_id, event.project_id, event.account_id) == (
        MINE,
        "project-alice",
        "alice",
    )
    assert payload["seq"] == 1


async def test_replacing_a_file_publishes_one_updated_event(world: World) -> None:
    path = "/app/config/agent.yaml"
    written = await _write(world)(ALICE, MINE, path, "name: new\n", "utf-8", if_match=None)
    assert written.action == "updated"
    assert _content(world, path) == b"name: new\n"
    assert _events(world) == [_changed(path, "updated")]


async def test_base64_content_is_decoded_before_it_is_written(world: World) -> None:
    data = bytes([0, 255, 128, 10])
    encoded = base64.b64encode(data).decode()
    await _write(world)(ALICE, MINE, "/app/data/raw.bin", encoded, "base64", if_match=None)
    assert _content(world, "/app/data/raw.bin") == data


@pytest.mark.parametrize("content", ["not base64!", "aGVsbG8", "aGVs\nbG8=", "aGVsbG8=é"])
async def test_invalid_base64_is_unprocessable_and_never_reaches_wap(
    world: World, content: str
) -> None:
    with pytest.raises(errors.Unprocessable) as caught:
        await _write(world)(ALICE, MINE, "/app/data/raw.bin", content, "base64", if_match=None)
    assert (caught.value.status, caught.value.instance_code) == (422, "validation_failed")
    assert [e.field for e in caught.value.errors] == ["body.content"]
    assert world.wap.calls == []
    assert world.events.published == []


OVERSIZE = {
    "ascii text": ("a" * (MAX_BYTES + 1), "utf-8"),
    "multi-byte text": ("é" * (MAX_BYTES // 2 + 1), "utf-8"),  # fewer characters than bytes
    "base64": (base64.b64encode(b"\x00" * (MAX_BYTES + 1)).decode(), "base64"),
}


@pytest.mark.parametrize(("content", "encoding"), OVERSIZE.values(), ids=OVERSIZE.keys())
async def test_content_over_the_limit_is_refused_without_calling_wap(
    world: World, content: str, encoding: files.Encoding
) -> None:
    with pytest.raises(errors.PayloadTooLarge) as caught:
        await _write(world)(ALICE, MINE, "/app/data/big.bin", content, encoding, if_match=None)
    assert (caught.value.status, caught.value.instance_code) == (413, "payload_too_large")
    assert caught.value.extra == {"limit": MAX_BYTES}
    assert world.wap.calls == []
    assert world.events.published == []


async def test_the_limit_counts_decoded_bytes_not_base64_characters(world: World) -> None:
    encoded = base64.b64encode(b"\x01" * MAX_BYTES).decode()
    assert len(encoded) > MAX_BYTES
    await _write(world)(ALICE, MINE, "/app/data/full.bin", encoded, "base64", if_match=None)
    assert _content(world, "/app/data/full.bin") == b"\x01" * MAX_BYTES


async def test_a_matching_if_match_lets_the_write_through(world: World) -> None:
    path = "/app/config/agent.yaml"
    tag = etag_of(b"name: agent\n")
    written = await _write(world)(ALICE, MINE, path, "name: b\n", "utf-8", if_match=tag)
    assert written.action == "updated"
    assert _content(world, path) == b"name: b\n"


async def test_a_stale_if_match_fails_the_write_and_publishes_nothing(world: World) -> None:
    path = "/app/config/agent.yaml"
    stale = etag_of(b"something else")
    with pytest.raises(errors.PreconditionFailed) as caught:
        await _write(world)(ALICE, MINE, path, "name: b\n", "utf-8", if_match=stale)
    assert (caught.value.status, caught.value.instance_code) == (412, "precondition_failed")
    assert _content(world, path) == b"name: agent\n"
    assert world.events.published == []


async def test_a_write_under_the_hot_reload_dir_also_publishes_config_reloaded(
    world: World,
) -> None:
    path = f"{INSTRUCTIONS}/system.md"
    written = await _write(world)(ALICE, MINE, path, "# Be brief\n", "utf-8", if_match=None)
    assert written.result.hot_reloaded
    assert _events(world) == [
        _changed(path, "updated"),
        (CONFIG_RELOADED, {"containerId": MINE, "files": [path]}),
    ]


async def test_a_write_outside_the_hot_reload_dir_publishes_no_config_reloaded(
    world: World,
) -> None:
    await _write(world)(ALICE, MINE, "/app/config/other.yaml", "a: 1\n", "utf-8", if_match=None)
    assert [name for name, _ in _events(world)] == [FILE_CHANGED]


@pytest.fixture
def no_reload(world: World) -> World:
    """Alice's agent that does not support hot reload, on a WAP that hot-reloads anyway."""
    added = world.repository.add_container(
        NO_RELOAD,
        account_id="alice",
        project_id="project-alice",
        image=IMAGE,
        capabilities=(CAP_FILE_READ, CAP_FILE_WRITE),
        access=world.repository.containers[MINE].access,
        supports_hot_reload=False,
    )
    world.wap.add_container(added.wap_id, image=IMAGE, hot_reload_dirs=(INSTRUCTIONS,))
    return world


async def test_a_container_without_hot_reload_publishes_no_config_reloaded(
    no_reload: World,
) -> None:
    write = _write(no_reload)
    await write(ALICE, NO_RELOAD, f"{INSTRUCTIONS}/system.md", "x", "utf-8", if_match=None)
    assert [event.name for event, _ in no_reload.events.published] == [FILE_CHANGED]


@pytest.mark.parametrize(
    "error",
    [errors.UpstreamError(), errors.UpstreamTimeout(), errors.BadRequest(code="invalid_path")],
    ids=lambda e: type(e).__name__,
)
async def test_a_failed_write_publishes_nothing(world: World, error: errors.ApiError) -> None:
    world.wap.fail_next("write_container_file", error)
    with pytest.raises(type(error)) as caught:
        await _write(world)(ALICE, MINE, "/app/data/new.txt", "x", "utf-8", if_match=None)
    assert caught.value is error
    assert world.events.published == []


# --- DeleteFile -------------------------------------------------------------------------


async def test_deleting_a_file_publishes_one_deleted_event(world: World) -> None:
    path = "/app/config/agent.yaml"
    deleted = await _delete(world)(ALICE, MINE, "//app/config//agent.yaml", if_match=None)
    assert (deleted.path, deleted.result.deleted) == (path, True)
    assert _content(world, path) is None
    assert _events(world) == [_changed(path, "deleted")]


async def test_deleting_under_the_hot_reload_dir_also_publishes_config_reloaded(
    world: World,
) -> None:
    path = f"{INSTRUCTIONS}/system.md"
    await _delete(world)(ALICE, MINE, path, if_match=None)
    assert _events(world) == [
        _changed(path, "deleted"),
        (CONFIG_RELOADED, {"containerId": MINE, "files": [path]}),
    ]


async def test_a_stale_if_match_fails_the_delete_and_keeps_the_file(world: World) -> None:
    path = "/app/config/agent.yaml"
    with pytest.raises(errors.PreconditionFailed):
        await _delete(world)(ALICE, MINE, path, if_match=etag_of(b"other"))
    assert _content(world, path) == b"name: agent\n"
    assert world.events.published == []


async def test_a_matching_if_match_lets_the_delete_through(world: World) -> None:
    path = "/app/config/agent.yaml"
    await _delete(world)(ALICE, MINE, path, if_match=etag_of(b"name: agent\n"))
    assert _content(world, path) is None


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/app/config/missing.yaml", None),
        ("/app/config/agent.yaml", errors.UpstreamUnavailable()),
        ("/app/config/agent.yaml", errors.UpstreamTimeout()),
    ],
    ids=["NotFound", "UpstreamUnavailable", "UpstreamTimeout"],
)
async def test_a_failed_delete_publishes_nothing(
    world: World, path: str, error: errors.ApiError | None
) -> None:
    if error is not None:
        world.wap.fail_next("delete_container_file", error)
    with pytest.raises(errors.ApiError) as caught:
        await _delete(world)(ALICE, MINE, path, if_match=None)
    assert type(caught.value) is (errors.NotFound if error is None else type(error))
    assert world.events.published == []
