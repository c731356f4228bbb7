"""The audit trail: every state-changing use case records who, what, which container, the
outcome and the request id, whatever the outcome, and never a value; a call refused by
the ownership check records nothing; the owner reads the trail newest first, in pages."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from service import errors
from service.audit import AuditEntry, AuditTarget, EnvNames
from service.request_context import CURRENT, RequestContext
from service.usecases import audit, environment, files, lifecycle, versions
from service.usecases.audit import AuditTrail, ListAudit, WitnessedOwnership
from tests.fakes.audit import FakeAuditLog
from tests.unit.conftest import ALICE, BARE, BOB, MINE, THEIRS, UNKNOWN, World

SECRET = "sk-live-do-not-keep-0123456789"


@dataclass
class Audited:
    """The state-changing use cases as ``service.http.app.routes`` builds them."""

    world: World
    log: FakeAuditLog
    trail: AuditTrail
    change_state: lifecycle.ChangeState
    update_version: versions.UpdateVersion
    write_file: files.WriteFile
    delete_file: files.DeleteFile
    patch_env: environment.PatchEnv

    def only_entry(self) -> AuditEntry:
        (entry,) = self.log.entries
        return entry


@pytest.fixture
def audited(world: World) -> Audited:
    log = FakeAuditLog()
    trail = AuditTrail(log, world.clock, WitnessedOwnership(world.repository))
    own, wap, events = trail.ownership, world.wap, world.events
    return Audited(
        world,
        log,
        trail,
        trail.audited(lifecycle.ChangeState(own, wap, events, world.memory), audit.CHANGE_STATE),
        trail.audited(
            versions.UpdateVersion(own, world.repository, wap, events, stale_seconds=900),
            audit.UPDATE_VERSION,
        ),
        trail.audited(files.WriteFile(own, wap, events, max_file_bytes=1 << 20), audit.WRITE_FILE),
        trail.audited(files.DeleteFile(own, wap, events), audit.DELETE_FILE),
        trail.audited(environment.PatchEnv(own, wap, ("PATH",)), audit.PATCH_ENV),
    )


def _entry(**fields: Any) -> AuditEntry:
    defaults: dict[str, Any] = {
        "account_id": "alice",
        "container_id": MINE,
        "target": AuditTarget(),
        "outcome": "succeeded",
        "code": None,
        "request_id": None,
    }
    return AuditEntry(**{**defaults, **fields})


# --- what a successful call records -------------------------------------------------------


async def test_a_restart_records_who_what_which_container_when_and_that_it_succeeded(
    audited: Audited,
) -> None:
    audited.world.clock.advance(42)
    state = await audited.change_state(ALICE, MINE, "restart")

    assert state.status == "running"
    entry = audited.only_entry()
    assert entry == _entry(
        id=entry.id, at=audited.world.clock.moment(), action="restart", target=AuditTarget()
    )


@pytest.mark.parametrize("action", ["stop", "restart"])
async def test_each_state_change_is_recorded_as_its_own_action(
    audited: Audited, action: lifecycle.Action
) -> None:
    await audited.change_state(ALICE, MINE, action)
    assert [e.action for e in audited.log.entries] == [action]


async def test_a_file_write_records_the_canonical_path_and_never_the_content(
    audited: Audited,
) -> None:
    await audited.write_file(ALICE, MINE, "/app//data/notes.md", SECRET, "utf-8", if_match=None)
    await audited.delete_file(ALICE, MINE, "/app/data/notes.md", if_match=None)

    written, deleted = audited.log.entries
    assert (written.action, written.target, written.outcome) == (
        "write-file",
        AuditTarget(path="/app/data/notes.md"),
        "succeeded",
    )
    assert (deleted.action, deleted.target) == (
        "delete-file",
        AuditTarget(path="/app/data/notes.md"),
    )
    assert SECRET not in repr(audited.log.entries)


async def test_an_env_patch_records_the_names_set_and_unset_and_never_a_value(
    audited: Audited,
) -> None:
    patch = {"OPENAI_API_KEY": SECRET, "LOG_LEVEL": "debug", "LEGACY": None}
    await audited.patch_env(ALICE, MINE, patch)

    entry = audited.only_entry()
    assert entry.action == "patch-env"
    assert entry.target == AuditTarget(
        names=EnvNames(set=("LOG_LEVEL", "OPENAI_API_KEY"), unset=("LEGACY",))
    )
    assert entry.target.as_json() == {
        "names": {"set": ["LOG_LEVEL", "OPENAI_API_KEY"], "unset": ["LEGACY"]}
    }
    assert SECRET not in repr(entry) and "debug" not in repr(entry)


async def test_a_version_update_records_its_tag(audited: Audited) -> None:
    update = await audited.update_version(ALICE, MINE, "1.5.0")
    assert update.status == "completed"
    entry = audited.only_entry()
    assert (entry.action, entry.target, entry.outcome) == (
        "update-version",
        AuditTarget(tag="1.5.0"),
        "succeeded",
    )


async def test_the_id_of_the_request_the_call_serves_is_recorded(audited: Audited) -> None:
    async def in_request(request_id: str) -> None:
        CURRENT.set(RequestContext(request_id, started=0.0))
        await audited.change_state(ALICE, MINE, "restart")

    await asyncio.create_task(in_request("req-7"))  # a task of its own, as a request has
    await audited.change_state(ALICE, MINE, "restart")  # outside a request: None
    assert [e.request_id for e in audited.log.entries] == ["req-7", None]


# --- what a failing call records ----------------------------------------------------------


@pytest.mark.parametrize(
    "error", [errors.UpstreamUnavailable(), errors.UpstreamTimeout(), errors.UpstreamError()]
)
async def test_a_wap_failure_is_recorded_with_its_code_and_raised_unchanged(
    audited: Audited, error: errors.ApiError
) -> None:
    audited.world.wap.fail_next("restart_container", error)
    with pytest.raises(type(error)) as caught:
        await audited.change_state(ALICE, MINE, "restart")

    assert caught.value is error
    entry = audited.only_entry()
    assert (entry.action, entry.outcome, entry.code) == ("restart", "failed", error.code)


async def test_a_wap_failure_of_an_env_patch_is_recorded_with_the_names(audited: Audited) -> None:
    audited.world.wap.fail_next("update_container_env", errors.UpstreamTimeout())
    with pytest.raises(errors.UpstreamTimeout):
        await audited.patch_env(ALICE, MINE, {"OPENAI_API_KEY": SECRET})

    entry = audited.only_entry()
    assert (entry.outcome, entry.code) == ("failed", "wap_timeout")
    assert entry.target == AuditTarget(names=EnvNames(set=("OPENAI_API_KEY",)))
    assert SECRET not in repr(entry)


Refusal = Callable[[Audited], Any]

REFUSALS: list[tuple[str, Refusal, str, AuditTarget]] = [
    (
        "no restart capability",
        lambda a: a.change_state(ALICE, BARE, "restart"),
        "capability_missing",
        AuditTarget(),
    ),
    (
        "outside the writable paths",
        lambda a: a.write_file(ALICE, MINE, "/app/logs/x", "x", "utf-8", if_match=None),
        "path_forbidden",
        AuditTarget(path="/app/logs/x"),
    ),
    (
        "a path with a NUL byte (kept without it)",
        lambda a: a.write_file(ALICE, MINE, "/app/data/a\x00b", "x", "utf-8", if_match=None),
        "invalid_path",
        AuditTarget(path="/app/data/a\ufffdb"),
    ),
    (
        "a stale If-Match",
        lambda a: a.delete_file(ALICE, MINE, "/app/config/agent.yaml", if_match='"stale"'),
        "precondition_failed",
        AuditTarget(path="/app/config/agent.yaml"),
    ),
    (
        "a protected variable",
        lambda a: a.patch_env(ALICE, MINE, {"PATH": SECRET}),
        "protected_variable",
        AuditTarget(names=EnvNames(set=("PATH",))),
    ),
    (
        "a tag outside the catalogue",
        lambda a: a.update_version(ALICE, MINE, "9.9.9"),
        "unknown_tag",
        AuditTarget(tag="9.9.9"),
    ),
    (
        "the tag the agent already runs",
        lambda a: a.update_version(ALICE, MINE, "1.4.0"),
        "conflict",
        AuditTarget(tag="1.4.0"),
    ),
]


@pytest.mark.parametrize(
    ("refusal", "code", "target"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
async def test_a_refusal_after_the_ownership_check_is_recorded_with_its_problem_code(
    audited: Audited, refusal: Refusal, code: str, target: AuditTarget
) -> None:
    with pytest.raises(errors.ApiError) as caught:
        await refusal(audited)

    assert caught.value.instance_code == code
    entry = audited.only_entry()
    assert (entry.outcome, entry.code, entry.target) == ("failed", code, target)
    assert SECRET not in repr(entry)


async def test_stopping_a_stopped_agent_is_recorded_as_wap_s_conflict(audited: Audited) -> None:
    await audited.change_state(ALICE, MINE, "stop")
    with pytest.raises(errors.Conflict):
        await audited.change_state(ALICE, MINE, "stop")
    assert [(e.outcome, e.code) for e in audited.log.entries] == [
        ("succeeded", None),
        ("failed", "conflict"),
    ]


async def test_a_tag_wap_refuses_answers_the_failed_update_and_is_recorded_failed(
    audited: Audited,
) -> None:
    audited.world.wap.refused_tags.add("1.5.0")
    update = await audited.update_version(ALICE, MINE, "1.5.0")

    assert update.status == "failed"  # answered, not raised
    entry = audited.only_entry()
    assert (entry.outcome, entry.code, entry.target) == (
        "failed",
        "unknown_tag",
        AuditTarget(tag="1.5.0"),
    )


async def test_a_bug_is_recorded_as_the_internal_error_it_answers(audited: Audited) -> None:
    audited.world.wap.fail_next("restart_container", RuntimeError("a bug"))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        await audited.change_state(ALICE, MINE, "restart")
    assert (audited.only_entry().outcome, audited.only_entry().code) == ("failed", "internal_error")


async def test_a_call_cancelled_before_its_answer_is_recorded_interrupted(
    audited: Audited,
) -> None:
    gate = audited.world.wap.update_gate = asyncio.Event()
    call = asyncio.ensure_future(audited.update_version(ALICE, MINE, "1.5.0"))
    for _ in range(100):  # until WAP holds the update
        await asyncio.sleep(0)
    assert audited.world.wap.calls_to("update_container_image")
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call

    entry = audited.only_entry()
    assert (entry.action, entry.outcome, entry.code) == ("update-version", "failed", "interrupted")
    gate.set()  # the update itself runs on (shielded) and records its own outcome
    for _ in range(100):
        await asyncio.sleep(0)
    (update,) = audited.world.repository.updates.values()
    assert update.status == "completed"


# --- what is not recorded -----------------------------------------------------------------


@pytest.mark.parametrize("container_id", [THEIRS, UNKNOWN])
async def test_a_foreign_or_unknown_container_is_refused_as_before_and_records_nothing(
    audited: Audited, container_id: str
) -> None:
    calls = [
        lambda: audited.change_state(ALICE, container_id, "restart"),
        lambda: audited.update_version(ALICE, container_id, "1.5.0"),
        lambda: audited.write_file(ALICE, container_id, "/app/data/x", "x", "utf-8", if_match=None),
        lambda: audited.delete_file(ALICE, container_id, "/app/data/x", if_match=None),
        lambda: audited.patch_env(ALICE, container_id, {"A": "b"}),
    ]
    for call in calls:
        with pytest.raises(errors.Forbidden) as caught:
            await call()
        assert type(caught.value) is errors.Forbidden
        assert caught.value.instance_code == "container_forbidden"
    assert audited.log.entries == []
    assert audited.world.wap.calls == []


async def test_a_database_outage_during_the_ownership_check_records_nothing(
    audited: Audited,
) -> None:
    async def down(account_id: str, container_id: str) -> None:
        raise errors.DatabaseUnavailable()

    audited.world.repository.find_owned = down  # type: ignore[method-assign]
    with pytest.raises(errors.DatabaseUnavailable):
        await audited.change_state(BOB, MINE, "restart")
    assert audited.log.entries == []


def test_a_use_case_built_without_the_trail_s_ownership_cannot_be_audited(
    audited: Audited,
) -> None:
    world = audited.world
    unwatched = lifecycle.ChangeState(world.ownership, world.wap, world.events, world.memory)
    with pytest.raises(TypeError, match="ownership"):
        audited.trail.audited(unwatched, audit.CHANGE_STATE)


# --- when the entry cannot be kept --------------------------------------------------------


async def test_a_lost_entry_leaves_a_success_a_success_and_is_logged_whole(
    audited: Audited, caplog: pytest.LogCaptureFixture
) -> None:
    audited.log.fail_with = errors.DatabaseUnavailable()
    with caplog.at_level(logging.ERROR, logger="armory.audit"):
        written = await audited.write_file(
            ALICE, MINE, "/app/data/notes.md", SECRET, "utf-8", if_match=None
        )

    assert written.action == "created"
    assert audited.world.wap.content_of(audited.world.wap_id(MINE), "/app/data/notes.md")
    (record,) = caplog.records
    message = record.getMessage()
    assert "audit entry not recorded (database_unavailable)" in message
    assert all(part in message for part in ("'alice'", MINE, "write-file", "/app/data/notes.md"))
    assert SECRET not in message


async def test_a_lost_entry_leaves_a_failure_s_own_error(
    audited: Audited, caplog: pytest.LogCaptureFixture
) -> None:
    audited.log.fail_with = RuntimeError("disk full")
    audited.world.wap.fail_next("restart_container", errors.UpstreamTimeout())
    with (
        caplog.at_level(logging.ERROR, logger="armory.audit"),
        pytest.raises(errors.UpstreamTimeout),
    ):
        await audited.change_state(ALICE, MINE, "restart")
    assert "audit entry not recorded (RuntimeError)" in caplog.records[0].getMessage()


# --- reading the trail --------------------------------------------------------------------


def _list(audited: Audited) -> ListAudit:
    return ListAudit(audited.world.ownership, audited.log)


async def test_the_owner_reads_the_trail_newest_first_in_pages_that_join_up(
    audited: Audited,
) -> None:
    for n in range(7):
        audited.world.clock.advance(1 if n % 2 else 0)  # entries sharing an instant, too
        await audited.change_state(ALICE, MINE, "restart")
    newest_first = sorted(audited.log.entries, key=lambda e: e.position, reverse=True)

    pages, cursor = [], None
    while True:
        page = await _list(audited)(ALICE, MINE, cursor=cursor, limit=3)
        pages.append([e.id for e in page.entries])
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for p in pages for i in p] == [e.id for e in newest_first]


async def test_the_trail_filters_by_action(audited: Audited) -> None:
    await audited.change_state(ALICE, MINE, "stop")
    await audited.patch_env(ALICE, MINE, {"A": "1"})
    await audited.change_state(ALICE, MINE, "start")

    page = await _list(audited)(ALICE, MINE, action="patch-env")
    assert [e.action for e in page.entries] == ["patch-env"]
    assert page.next_cursor is None
    assert (await _list(audited)(ALICE, MINE, action="delete-file")).entries == []


async def test_a_page_exactly_as_long_as_the_trail_has_no_next_cursor(audited: Audited) -> None:
    for _ in range(2):
        await audited.change_state(ALICE, MINE, "restart")
    page = await _list(audited)(ALICE, MINE, limit=2)
    assert (len(page.entries), page.next_cursor) == (2, None)


@pytest.mark.parametrize("container_id", [THEIRS, UNKNOWN])
async def test_another_account_cannot_read_the_trail_and_learns_nothing(
    audited: Audited, container_id: str
) -> None:
    await audited.change_state(BOB, THEIRS, "restart")
    with pytest.raises(errors.Forbidden) as caught:
        await _list(audited)(ALICE, container_id)
    assert caught.value.instance_code == "container_forbidden"
    assert caught.value.detail == (
        "This container does not exist or does not belong to your account."
    )


@pytest.mark.parametrize("cursor", ["", "x", "AAAA", "!" * 32, "é" * 32, "A" * 31 + "="])
async def test_a_cursor_this_api_did_not_give_is_a_400(audited: Audited, cursor: str) -> None:
    with pytest.raises(errors.BadRequest) as caught:
        await _list(audited)(ALICE, MINE, cursor=cursor)
    assert caught.value.instance_code == "invalid_request"
    assert caught.value.errors[0].field == "query.cursor"


@pytest.mark.parametrize("cursor", ["A" * 32, "_" * 32, "-" * 32, "AZaz09-_" * 4])
async def test_every_cursor_the_contract_allows_is_a_position(
    audited: Audited, cursor: str
) -> None:
    await audited.change_state(ALICE, MINE, "restart")
    page = await _list(audited)(ALICE, MINE, cursor=cursor)
    assert page.next_cursor is None  # a page, maybe empty: never an error


def test_a_cursor_names_the_position_it_was_made_from(audited: Audited) -> None:
    entry = _entry(
        id="0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
        at=audited.world.clock.moment(),
        action="restart",
    )
    cursor = audit.encode_cursor(entry.position)
    assert len(cursor) == 32
    assert audit.decode_cursor(cursor) == entry.position
    later = dataclasses.replace(entry, at=entry.at.replace(microsecond=1))
    assert audit.decode_cursor(audit.encode_cursor(later.position)) == later.position
