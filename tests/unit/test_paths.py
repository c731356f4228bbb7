"""Path rules and access parameters: ``service.usecases.paths`` and the file use cases.

MINE's roots: /app/config and /app/data writable, /app/logs read-only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from service import errors
from service.domain import CAP_FILE_READ, CAP_FILE_WRITE, AccessParameters
from service.usecases import files, paths
from tests.unit.conftest import ALICE, IMAGE, MINE, World

MAX_BYTES = 1 << 20
NO_ACCESS = "a11ce000-0000-4000-8000-0000000000b1"  # file.read + file.write, no access params
READS_ONLY = "a11ce000-0000-4000-8000-0000000000b2"  # file.read only, MINE's roots

FileCall = Callable[[World, str, str], Awaitable[object]]


@pytest.fixture
def more(world: World) -> World:
    access = world.repository.containers[MINE].access
    for container_id, capabilities, given in (
        (NO_ACCESS, (CAP_FILE_READ, CAP_FILE_WRITE), None),
        (READS_ONLY, (CAP_FILE_READ,), access),
    ):
        added = world.repository.add_container(
            container_id,
            account_id="alice",
            project_id="project-alice",
            image=IMAGE,
            capabilities=capabilities,
            access=given,
        )
        world.wap.add_container(
            added.wap_id, image=IMAGE, files={"/app/config/agent.yaml": b"name: agent\n"}
        )
    return world


def _list(w: World, container_id: str, path: str) -> Awaitable[object]:
    return files.ListFiles(w.ownership, w.wap)(ALICE, container_id, path)


def _read(w: World, container_id: str, path: str) -> Awaitable[object]:
    use_case = files.ReadFile(w.ownership, w.wap, max_file_bytes=MAX_BYTES, clock=w.clock)
    return use_case(ALICE, container_id, path)


def _open(w: World, container_id: str, path: str) -> Awaitable[object]:
    return files.OpenFile(w.ownership, w.wap, w.streams)(ALICE, container_id, path)


def _write(w: World, container_id: str, path: str) -> Awaitable[object]:
    use_case = files.WriteFile(w.ownership, w.wap, w.events, max_file_bytes=MAX_BYTES)
    return use_case(ALICE, container_id, path, "x", "utf-8", if_match=None)


def _delete(w: World, container_id: str, path: str) -> Awaitable[object]:
    return files.DeleteFile(w.ownership, w.wap, w.events)(ALICE, container_id, path, if_match=None)


FILE_CALLS: dict[str, FileCall] = {
    "list": _list,
    "read": _read,
    "open": _open,
    "write": _write,
    "delete": _delete,
}
READS = ("list", "read", "open")
CHANGES = ("write", "delete")


# --- normalise_path ---------------------------------------------------------------------

INVALID = {
    "relative": "app/config/agent.yaml",
    "empty": "",
    "dot segment": "/app/./config/agent.yaml",
    "trailing dot": "/app/config/.",
    "dot-dot segment": "/app/config/../../etc/passwd",
    "trailing dot-dot": "/app/config/..",
    "NUL byte": "/app/config/agent.yaml\x00.txt",
    "line feed": "/app/config/agent.yaml\n",
    "carriage return": "/app/config/a\rb.yaml",
    "escape": "/app/config/\x1b[31m.yaml",
    "delete": "/app/config/a\x7f.yaml",
    "C1 control": "/app/config/a\x85.yaml",
    "lone surrogate": "/app/config/a\ud800.yaml",
    "backslash": "/app/config\\agent.yaml",
    "backslash traversal": "/app/config/..\\..\\etc",
    "encoded dot-dot": "/app/config/%2e%2e/%2e%2e/etc/passwd",
    "encoded dot-dot upper": "/app/config/%2E%2E/secret",
    "encoded slash": "/app/config%2F..%2Fsecret",
    "double encoding": "/app/config/%252e%252e/secret",
    "over-long": "/app/data/" + "a" * (paths.MAX_PATH - len("/app/data/") + 1),
}


@pytest.mark.parametrize("raw", INVALID.values(), ids=INVALID.keys())
def test_an_invalid_path_is_a_bad_request(raw: str) -> None:
    with pytest.raises(errors.BadRequest) as caught:
        paths.normalise_path(raw)
    assert (caught.value.status, caught.value.instance_code) == (400, "invalid_path")
    assert [e.field for e in caught.value.errors] == ["path"]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("//app///config/", "/app/config"),
        ("/app/config/", "/app/config"),
        ("/app//data//blob.bin", "/app/data/blob.bin"),
        ("/", "/"),
        ("///", "/"),
        ("/app/config/...hidden", "/app/config/...hidden"),
    ],
)
def test_a_path_is_canonicalised(raw: str, canonical: str) -> None:
    assert paths.normalise_path(raw) == canonical


def test_a_path_of_exactly_the_maximum_length_is_accepted() -> None:
    raw = "/app/data/" + "a" * (paths.MAX_PATH - len("/app/data/"))
    assert len(raw) == paths.MAX_PATH
    assert paths.normalise_path(raw) == raw


# --- readable and writable roots --------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["/app/config", "/app/config/agent.yaml", "/app/data/deep/x.bin", "/app/logs/agent.log"],
)
def test_a_path_under_any_root_is_readable(world: World, raw: str) -> None:
    assert paths.readable(world.repository.containers[MINE], raw) == raw


@pytest.mark.parametrize(
    "raw",
    ["/", "/etc/passwd", "/app", "/app/configuration", "/app/config-old/x", "/app/log", "/apps"],
)
def test_a_path_outside_the_readable_roots_is_forbidden(world: World, raw: str) -> None:
    with pytest.raises(errors.PathForbidden) as caught:
        paths.readable(world.repository.containers[MINE], raw)
    assert (caught.value.status, caught.value.instance_code) == (403, "path_forbidden")


@pytest.mark.parametrize("raw", ["/app/config/new.yaml", "/app/data", "/app/data/a/b.txt"])
def test_a_path_under_a_writable_root_is_writable(world: World, raw: str) -> None:
    assert paths.writable(world.repository.containers[MINE], raw) == raw


@pytest.mark.parametrize(
    "raw", ["/app/logs/agent.log", "/app/logs", "/app/configuration/x", "/app/data2/x", "/tmp/x"]
)
def test_a_path_outside_the_writable_roots_cannot_be_written(world: World, raw: str) -> None:
    with pytest.raises(errors.PathForbidden) as caught:
        paths.writable(world.repository.containers[MINE], raw)
    assert caught.value.instance_code == "path_forbidden"


# --- through the file use cases ---------------------------------------------------------


@pytest.mark.parametrize("name", FILE_CALLS)
@pytest.mark.parametrize(
    ("raw", "refusal", "code"),
    [
        ("/app/config/%2e%2e/%2e%2e/etc/passwd", errors.BadRequest, "invalid_path"),
        ("/app/configuration/agent.yaml", errors.PathForbidden, "path_forbidden"),
    ],
    ids=["an-encoded-traversal", "a-prefix-that-is-not-a-directory-boundary"],
)
async def test_the_file_use_cases_refuse_a_path_outside_the_roots_before_wap(
    world: World, name: str, raw: str, refusal: type[errors.ApiError], code: str
) -> None:
    with pytest.raises(refusal) as caught:
        await FILE_CALLS[name](world, MINE, raw)
    assert caught.value.instance_code == code
    assert world.wap.calls == []
    assert world.events.published == []


@pytest.mark.parametrize("name", READS)
async def test_a_read_only_root_is_readable(world: World, name: str) -> None:
    target = "/app/logs" if name == "list" else "/app/logs/agent.log"
    result = await FILE_CALLS[name](world, MINE, target)
    assert len(world.wap.calls) == 1
    aclose = getattr(result, "aclose", None)
    if aclose is not None:
        await aclose()


@pytest.mark.parametrize("name", CHANGES)
async def test_a_read_only_root_is_not_writable(world: World, name: str) -> None:
    with pytest.raises(errors.PathForbidden) as caught:
        await FILE_CALLS[name](world, MINE, "/app/logs/agent.log")
    assert caught.value.instance_code == "path_forbidden"
    assert world.wap.calls == []
    assert world.wap.content_of(world.wap_id(MINE), "/app/logs/agent.log") == b"started\n"
    assert world.events.published == []


async def test_the_canonical_path_is_what_wap_and_the_event_are_given(world: World) -> None:
    write = files.WriteFile(world.ownership, world.wap, world.events, max_file_bytes=MAX_BYTES)
    written = await write(ALICE, MINE, "//app///data//new.txt", "x", "utf-8", if_match=None)
    assert written.path == "/app/data/new.txt"
    assert world.wap.calls == [("write_container_file", (world.wap_id(MINE), written.path, b"x"))]
    assert [dict(event.data)["path"] for event, _ in world.events.published] == [written.path]


@pytest.mark.parametrize("name", [*FILE_CALLS, "list roots"])
async def test_a_container_without_access_parameters_allows_no_file_access(
    more: World, name: str
) -> None:
    with pytest.raises(errors.PathForbidden) as caught:
        if name == "list roots":
            await files.ListFiles(more.ownership, more.wap)(ALICE, NO_ACCESS, None)
        else:
            await FILE_CALLS[name](more, NO_ACCESS, "/app/config/agent.yaml")
    assert caught.value.instance_code == "path_forbidden"
    assert more.wap.calls == []
    assert more.events.published == []


# --- the roots listing ------------------------------------------------------------------


async def test_the_roots_listing_shows_each_root_and_whether_it_is_writable(
    world: World,
) -> None:
    listing = await files.ListFiles(world.ownership, world.wap)(ALICE, MINE, None)
    assert listing.path is None
    assert [(e.name, e.path, e.type, e.size, e.writable) for e in listing.entries] == [
        ("config", "/app/config", "directory", None, True),
        ("data", "/app/data", "directory", None, True),
        ("logs", "/app/logs", "directory", None, False),
    ]
    assert world.wap.calls == []


async def test_without_file_write_no_root_is_listed_as_writable(more: World) -> None:
    listing = await files.ListFiles(more.ownership, more.wap)(ALICE, READS_ONLY, None)
    assert [(e.path, e.writable) for e in listing.entries] == [
        ("/app/config", False),
        ("/app/data", False),
        ("/app/logs", False),
    ]


async def test_a_root_given_as_writable_and_read_only_is_listed_once_as_writable(
    world: World,
) -> None:
    access = AccessParameters(writable_paths=("/srv",), read_only_paths=("/srv", "/etc/agent"))
    added = world.repository.add_container(
        "a11ce000-0000-4000-8000-0000000000b3",
        account_id="alice",
        capabilities=(CAP_FILE_READ, CAP_FILE_WRITE),
        access=access,
    )
    listing = await files.ListFiles(world.ownership, world.wap)(ALICE, added.id, None)
    assert [(e.name, e.path, e.writable) for e in listing.entries] == [
        ("srv", "/srv", True),
        ("agent", "/etc/agent", False),
    ]
