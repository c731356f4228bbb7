"""Nothing lost under load (issue 11, point 11), at a small size: ``bench/load_mix.py``'s run
in-process against the whole service (SQLite, the WAP stub over HTTP, real sockets).

Forty clients of alice and bob share 400 operations (reads, file writes with ``If-Match``,
contended writes that retry after 412, env patches, version updates, restart/stop/start)
while four sockets of each account listen. Its verification must find nothing: no 5xx, every
acknowledged write readable, no lost update, every ``agent-file-changed`` once at each of
the owner's sockets and never at the other's. ``bench/run``'s ``load`` scenario runs the
same driver at full size.

The verification itself is shown to fail on observations that lost something.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from bench import load_mix
from bench.load_mix import Account, Call, FileWrite, Listened, Observations, Update
from tests.conftest import RunningService
from tests.operations import ALICE_MAIN, BOB_MAIN


async def test_a_mix_of_two_accounts_under_load_loses_nothing(
    service: RunningService, token: Callable[..., str]
) -> None:
    options = load_mix.Options(
        url=service.url,
        sio_url=service.sio_url,
        accounts=(
            Account("alice", token("alice"), ALICE_MAIN),
            Account("bob", token("bob"), BOB_MAIN),
        ),
        clients=40,
        requests=400,
        sockets=4,
        settle=10,
    )
    observed = await load_mix.run(options)
    violations = load_mix.verify(observed)
    summary = load_mix.summarize(observed, violations, options)
    assert violations == [], load_mix.report(summary, violations)
    # The mix really ran: every kind of operation, changes acknowledged, events heard.
    ran = set(summary["per_op"])
    assert {"write", "contend", "env", "update", "restart", "stop", "start"} <= ran, ran
    assert set(load_mix.READS) <= ran, ran
    assert summary["acknowledged_writes"] > 50
    assert summary["env_variables"] > 20
    assert summary["completed_updates"] >= 1
    assert summary["events_received"] >= 4 * summary["acknowledged_writes"]  # 4 owner sockets
    print(load_mix.report(summary, violations))


# --- the verification finds what was lost ---------------------------------------------------

ALICE, BOB = Account("alice", "t", ALICE_MAIN), Account("bob", "t", BOB_MAIN)
E1, E2 = '"' + "1" * 32 + '"', '"' + "2" * 32 + '"'


def _event(name: str, seq: int, **data: Any) -> tuple[str, dict[str, Any]]:
    return name, {"containerId": ALICE_MAIN, "seq": seq, "time": "2026-12-01T10:00:00Z", **data}


def _clean() -> Observations:
    """Alice wrote a file twice, set a variable and updated once; all of it arrived."""
    events = [
        _event(load_mix.FILE_CHANGED, 1, path="/app/data/x", action="created"),
        _event(load_mix.FILE_CHANGED, 2, path="/app/data/x", action="updated"),
        *(
            _event(load_mix.VERSION_UPDATE, seq, oldTag="1.4.0", newTag="1.5.0", status=status)
            for seq, status in ((3, "updating"), (4, "completed"))
        ),
    ]
    return Observations(
        accounts=(ALICE, BOB),
        calls=[Call("write", 200, 1.0), Call("contend", 412, 1.0), Call("update", 409, 1.0)],
        writes=[
            FileWrite(ALICE_MAIN, "/app/data/x", None, E1, "one", "created"),
            FileWrite(ALICE_MAIN, "/app/data/x", E1, E2, "two", "updated"),
        ],
        env=[(ALICE_MAIN, "LOAD_A", "v")],
        updates=[
            Update(ALICE_MAIN, "u1", "1.4.0", "1.5.0", "completed", "2026-12-01T10:00:00+00:00")
        ],
        initial_tags={ALICE_MAIN: "1.4.0", BOB_MAIN: "1.4.0"},
        sockets=[
            Listened("alice", list(events), connected=True),
            Listened("alice", list(events), connected=True),
            Listened("bob", [], connected=True),
        ],
        final_files={(ALICE_MAIN, "/app/data/x"): ("two", E2)},
        final_env={ALICE_MAIN: {"LOAD_A": "v"}, BOB_MAIN: {}},
        final_versions={
            ALICE_MAIN: {"currentTag": "1.5.0", "history": [{"id": "u1", "status": "completed"}]},
            BOB_MAIN: {"currentTag": "1.4.0", "history": []},
        },
    )


def test_the_verification_passes_observations_that_lost_nothing() -> None:
    assert load_mix.verify(_clean()) == []


def _second_write_on_the_same_base(o: Observations) -> None:
    o.writes.append(FileWrite(ALICE_MAIN, "/app/data/x", E1, '"' + "3" * 32 + '"', "3", "updated"))


def _second_update_from_the_old_tag(o: Observations) -> None:
    later = "2026-12-01T10:00:01+00:00"
    o.updates.append(Update(ALICE_MAIN, "u2", "1.4.0", "1.3.2", "completed", later))
    o.final_versions[ALICE_MAIN]["currentTag"] = "1.3.2"
    o.final_versions[ALICE_MAIN]["history"].insert(0, {"id": "u2", "status": "completed"})


LOSSES: dict[str, tuple[Callable[[Observations], Any], str]] = {
    "a-5xx": (lambda o: o.calls.append(Call("health", 502, 1.0)), "5xx"),
    "no-answer": (lambda o: o.calls.append(Call("env", None, 1.0, "ReadTimeout")), "no answer"),
    "412-on-own-file": (lambda o: o.calls.append(Call("write", 412, 1.0)), "unexpected status"),
    "stale-file": (
        lambda o: o.final_files.update({(ALICE_MAIN, "/app/data/x"): ("one", E1)}),
        "lost write",
    ),
    "unreadable-file": (
        lambda o: o.final_files.update({(ALICE_MAIN, "/app/data/x"): None}),
        "lost write",
    ),
    "two-writes-won": (_second_write_on_the_same_base, "lost update"),
    "lost-variable": (lambda o: o.final_env[ALICE_MAIN].clear(), "lost env"),
    "tag-not-the-last": (
        lambda o: o.final_versions[ALICE_MAIN].update(currentTag="1.4.0"),
        "lost update",
    ),
    "two-updates-won": (_second_update_from_the_old_tag, "lost update"),
    "update-left-running": (
        lambda o: o.final_versions[ALICE_MAIN]["history"].append(
            {"id": "u0", "status": "updating"}
        ),
        "update stuck",
    ),
    "event-missing": (lambda o: o.sockets[1].events.pop(1), "event missing"),
    "event-twice": (
        lambda o: o.sockets[0].events.append(o.sockets[0].events[0]),
        "event duplicate",
    ),
    "event-leaked": (lambda o: o.sockets[2].events.append(o.sockets[0].events[0]), "event leaked"),
    "socket-dropped": (lambda o: setattr(o.sockets[0], "dropped", True), "socket dropped"),
}


@pytest.mark.parametrize("loss", list(LOSSES))
def test_the_verification_finds_what_was_lost(loss: str) -> None:
    lose, kind = LOSSES[loss]
    observed = copy.deepcopy(_clean())
    lose(observed)
    violations = load_mix.verify(observed)
    assert any(v.startswith(kind) for v in violations), violations
