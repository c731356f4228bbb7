"""Monitoring: the caller's health summary (one WAP call, filtered here), one container's
health and stats, and its logs (read or followed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service import errors
from service.sessions import Caller
from service.usecases import monitoring
from service.usecases.monitoring import (
    DEFAULT_TAIL,
    HEALTH_STATES,
    FollowLogs,
    GetHealth,
    GetStats,
    ReadLogs,
    SummariseHealth,
    log_options,
)
from service.wap import LogOptions
from tests.unit.conftest import ALICE, BARE, BOB, MINE, THEIRS, UNKNOWN, World

CAROL = Caller("carol", "session-carol", 4_102_444_800.0)  # owns no container


def _summarise(world: World) -> SummariseHealth:
    return SummariseHealth(world.repository, world.wap)


# --- SummariseHealth ------------------------------------------------------------------


async def test_the_summary_holds_only_the_callers_containers_from_one_wap_call(
    world: World,
) -> None:
    world.wap.set_health(world.wap_id(THEIRS), "starting")
    summary = await _summarise(world)(ALICE)
    assert sorted(item.container.id for item in summary.items) == sorted([MINE, BARE])
    assert all(item.container.account_id == "alice" for item in summary.items)
    assert world.wap.calls == [("get_all_container_health", ())]
    assert summary.counts["starting"] == 0  # bob's container, reported by WAP, is not counted


async def test_each_item_carries_what_wap_reported_for_that_container(world: World) -> None:
    world.wap.set_health(world.wap_id(MINE), "unhealthy")
    summary = await _summarise(world)(ALICE)
    entries = {item.container.id: item.entry for item in summary.items}
    mine, bare = entries[MINE], entries[BARE]
    assert mine is not None and (mine.id, mine.health) == (world.wap_id(MINE), "unhealthy")
    assert bare is not None and (bare.id, bare.health) == (world.wap_id(BARE), "healthy")


async def test_the_summary_counts_every_health_state_and_unknown_for_an_unreported_container(
    world: World,
) -> None:
    world.wap.set_health(world.wap_id(MINE), "unhealthy")
    del world.wap.containers[world.wap_id(BARE)]  # WAP no longer reports it
    summary = await _summarise(world)(ALICE)
    assert summary.counts == {
        "healthy": 0,
        "unhealthy": 1,
        "starting": 0,
        "none": 0,
        "unknown": 1,
    }
    assert list(summary.counts) == list(HEALTH_STATES)
    assert {i.container.id: i.entry for i in summary.items}[BARE] is None


async def test_a_stopped_container_counts_as_none(world: World) -> None:
    world.wap.containers[world.wap_id(BARE)].status = "stopped"
    counts = (await _summarise(world)(ALICE)).counts
    assert (counts["healthy"], counts["none"], counts["unknown"]) == (1, 1, 0)


async def test_bob_sees_only_his_own_container(world: World) -> None:
    summary = await _summarise(world)(BOB)
    assert [item.container.id for item in summary.items] == [THEIRS]
    assert summary.counts["healthy"] == 1 and sum(summary.counts.values()) == 1


async def test_an_account_with_no_containers_gets_an_empty_summary_without_asking_wap(
    world: World,
) -> None:
    summary = await _summarise(world)(CAROL)
    assert list(summary.items) == []
    assert summary.counts == dict.fromkeys(HEALTH_STATES, 0)
    assert world.wap.calls == []


# --- GetHealth and GetStats -----------------------------------------------------------


async def test_get_health_asks_wap_about_the_containers_own_wap_id(world: World) -> None:
    world.wap.set_health(world.wap_id(MINE), "unhealthy")
    health = await GetHealth(world.ownership, world.wap)(ALICE, MINE)
    assert (health.id, health.health, health.failing_streak) == (
        world.wap_id(MINE),
        "unhealthy",
        3,
    )
    assert world.wap.calls == [("get_container_health", (world.wap_id(MINE),))]


async def test_get_stats_asks_wap_about_the_containers_own_wap_id(world: World) -> None:
    world.wap.containers[world.wap_id(BARE)].status = "stopped"
    stats = await GetStats(world.ownership, world.wap)(ALICE, BARE)
    assert (stats.id, stats.pids, stats.cpu_percent) == (world.wap_id(BARE), 0, 0.0)
    assert world.wap.calls == [("get_container_stats", (world.wap_id(BARE),))]


def _query(name: str, world: World) -> Any:
    extra = (world.streams,) if name == "FollowLogs" else ()
    use_case = getattr(monitoring, name)(world.ownership, world.wap, *extra)
    if name in ("ReadLogs", "FollowLogs"):
        return lambda caller, cid: use_case(caller, cid, log_options(None, None, False))
    return use_case


@pytest.mark.parametrize("use_case", ["GetHealth", "GetStats", "ReadLogs", "FollowLogs"])
@pytest.mark.parametrize("container_id", [THEIRS, UNKNOWN], ids=["foreign", "unknown"])
async def test_a_container_not_owned_is_forbidden_before_wap(
    world: World, use_case: str, container_id: str
) -> None:
    with pytest.raises(errors.Forbidden) as refused:
        await _query(use_case, world)(ALICE, container_id)
    assert refused.value.instance_code == "container_forbidden"
    assert world.wap.calls == []


# --- log_options, ReadLogs ------------------------------------------------------------


def test_log_options_default_to_the_last_hundred_lines() -> None:
    assert DEFAULT_TAIL == 100
    assert log_options(None, None, False) == LogOptions(tail=100, since=None, timestamps=False)


def test_log_options_keep_the_given_tail_since_and_timestamps() -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    assert log_options(7, since, True) == LogOptions(tail=7, since=since, timestamps=True)


@pytest.mark.parametrize(
    ("tail", "since", "field"),
    [
        (None, "2026-01-01T00:00:00Z\n", "query.since"),  # what openapi-core hands over
        (None, datetime(2026, 1, 1), "query.since"),  # no offset
        (0, None, "query.tail"),
        (10_001, None, "query.tail"),
        ("5", None, "query.tail"),
        (True, None, "query.tail"),
    ],
    ids=repr,
)
def test_log_options_refuse_what_is_no_tail_or_moment_as_a_bad_request(
    tail: object, since: object, field: str
) -> None:
    with pytest.raises(errors.BadRequest) as refused:
        log_options(tail, since, False)
    assert (refused.value.status, refused.value.instance_code) == (400, "invalid_request")
    assert [e.field for e in refused.value.errors] == [field]


async def test_read_logs_honours_tail(world: World) -> None:
    lines = await ReadLogs(world.ownership, world.wap)(ALICE, MINE, log_options(2, None, False))
    assert lines == ["line 2", "line 3"]
    assert world.wap.calls == [
        ("get_container_logs", (world.wap_id(MINE), LogOptions(tail=2)))
    ]


async def test_read_logs_without_a_tail_returns_the_last_hundred_lines(world: World) -> None:
    world.wap.add_log(world.wap_id(MINE), *(f"more {n}" for n in range(1, 151)))
    lines = await ReadLogs(world.ownership, world.wap)(
        ALICE, MINE, log_options(None, None, False)
    )
    assert len(lines) == DEFAULT_TAIL
    assert (lines[0], lines[-1]) == ("more 51", "more 150")


async def test_read_logs_honours_since(world: World) -> None:
    world.clock.advance(60)
    world.wap.add_log(world.wap_id(MINE), "after 1", "after 2")
    since = world.clock.moment() - timedelta(seconds=1)
    lines = await ReadLogs(world.ownership, world.wap)(ALICE, MINE, log_options(None, since, False))
    assert lines == ["after 1", "after 2"]


async def test_read_logs_with_timestamps_prefixes_each_line(world: World) -> None:
    lines = await ReadLogs(world.ownership, world.wap)(ALICE, MINE, log_options(1, None, True))
    assert lines == ["2026-01-01T00:00:00.000000Z line 3"]


# --- FollowLogs -----------------------------------------------------------------------


async def test_following_logs_gives_a_stream_of_lines_that_stays_open_until_closed(
    world: World,
) -> None:
    stream = await FollowLogs(world.ownership, world.wap, world.streams)(
        ALICE, MINE, log_options(2, None, False)
    )
    assert world.wap.streams_open == 1
    assert await stream.__anext__() == "line 2"
    assert world.wap.streams_open == 1  # partly read: the caller still holds it
    await stream.aclose()
    assert world.wap.streams_open == 0
    assert world.wap.calls == [
        ("follow_container_logs", (world.wap_id(MINE), LogOptions(tail=2)))
    ]


async def test_a_followed_log_honours_its_options_and_closes_with_its_context(world: World) -> None:
    async with await FollowLogs(world.ownership, world.wap, world.streams)(
        BOB, THEIRS, log_options(None, None, True)
    ) as stream:
        lines = [line async for line in stream]
    assert lines == [f"2026-01-01T00:00:00.000000Z line {n}" for n in (1, 2, 3)]
    assert world.wap.streams_open == 0
