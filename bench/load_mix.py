"""Nothing lost under load: a bounded mix of reads and writes of two accounts, while sockets listen.

--clients concurrent clients (alternately alice's and bob's, each on a keep-alive connection
of its own) share --requests operations drawn from a fixed mix, against --url, while
--sockets python-socketio clients per account listen at --sio-url.
An operation is one HTTP request, or a few: a contended write reads first and reads again
after each 412.

  read      GET health (all, and the container's), stats, a directory listing, a file, the
            environment, the versions                                            200
  write     PUT a file only this client writes, with If-Match of its last acknowledged
            write (every other time read first: the read must show that write)  200
  contend   GET then PUT with If-Match one of a few files every client of the account
            races for; a 412 is the right answer to a lost race: read again, retry  200, 412
  env       PATCH the environment with 1-3 new variables of its own             200
  update    POST update-version to a catalogued tag of the image      200 completed, 409
  lifecycle POST restart, stop or start                                          200, 409

Then it writes one sentinel file per account, waits (at most --settle seconds) until every
socket has the events it should, reads the final state back and checks:
  - no 5xx, no other status than the ones above, no request without an answer;
  - files: the acknowledged writes of each path form one chain (each one's If-Match is the
    ETag of the acknowledged write before it, and no two share it: no lost update), and the
    file now holds the last one's content and ETag;
  - every acknowledged environment variable is there with its value;
  - versions: the completed updates form one chain from the initial tag (each one's oldTag
    is the newTag of the one before), the container's currentTag is the last newTag, its
    history holds every acknowledged update and none is left `updating`;
  - events: each of the owner's sockets had `agent-file-changed` exactly once per
    acknowledged write (path and action) and `agent-version-update` `updating` and
    `completed` once per completed update; no socket had the same (containerId, seq) twice;
    no socket had an event about the other account's container; no socket was dropped.

Prints a summary on stderr (counts by operation and status, p50/p99/max latency, every
violation) and one JSON object on stdout: {"clients", "sockets", "operations", "requests",
"seconds", "requests_per_second", "statuses", "p50_ms", "p99_ms", "max_ms", "per_op",
"events_received", "retries_412", "violations" (count), "violation_kinds", "first_violations"}.
Exits 1 on any violation.

bench/run's `load` scenario runs it against an `armory-agents dev` stack;
tests/e2e/test_load_mix.py runs `run()` in-process at a small size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import socketio

FILE_CHANGED = "agent-file-changed"
VERSION_UPDATE = "agent-version-update"
SERVER_EVENTS = (FILE_CHANGED, "agent-config-reloaded", VERSION_UPDATE, "agent-health-update")

MIX: dict[str, int] = {
    "read": 50,
    "write": 18,
    "contend": 8,
    "env": 12,
    "update": 4,
    "lifecycle": 8,
}
READS = ("health-all", "health", "stats", "files-list", "file-read", "env-read", "versions")
# What each kind of call may answer besides 200 (every other answers 200 only).
ACCEPTED: dict[str, frozenset[int]] = {
    "contend": frozenset({200, 412}),  # lost the race: read again, retry
    "update": frozenset({200, 409}),  # another update runs, or it runs that tag already
    **{op: frozenset({200, 409}) for op in ("restart", "stop", "start")},  # already so
}


@dataclass(frozen=True)
class Account:
    name: str
    token: str
    container: str
    data_dir: str = "/app/data"  # writable on the container


@dataclass(frozen=True)
class Options:
    url: str
    sio_url: str
    accounts: tuple[Account, Account]
    clients: int = 300
    requests: int = 5000
    sockets: int = 4  # per account
    contended_files: int = 0  # per account; 0: one per 25 clients, at least 2
    timeout: float = 30.0
    settle: float = 15.0  # seconds to wait for the last events
    max_attempts: int = 20  # of a contended write
    seed: int = 1

    @property
    def shared_files(self) -> int:
        return self.contended_files or max(2, self.clients // 25)


# --- what a run observed ---------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    op: str
    status: int | None  # None: no answer
    ms: float
    error: str | None = None


@dataclass(frozen=True)
class FileWrite:
    """An acknowledged (200) write."""

    container: str
    path: str
    base: str | None  # the If-Match sent
    etag: str
    content: str
    action: str


@dataclass(frozen=True)
class Update:
    """An acknowledged (200) update-version."""

    container: str
    id: str
    old_tag: str
    new_tag: str
    status: str
    started_at: str


@dataclass
class Listened:
    account: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    connected: bool = False
    dropped: bool = False
    dropped_why: str = ""  # the client's reason, and when (seconds into the run)


@dataclass
class Observations:
    accounts: tuple[Account, Account]
    calls: list[Call] = field(default_factory=list)
    writes: list[FileWrite] = field(default_factory=list)
    env: list[tuple[str, str, str]] = field(default_factory=list)  # container, name, value
    updates: list[Update] = field(default_factory=list)
    initial_tags: dict[str, str] = field(default_factory=dict)
    sockets: list[Listened] = field(default_factory=list)
    noticed: list[str] = field(default_factory=list)  # violations seen during the run
    final_files: dict[tuple[str, str], tuple[str, str] | None] = field(default_factory=dict)
    final_env: dict[str, dict[str, str]] = field(default_factory=dict)
    final_versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    retries: int = 0
    gave_up: int = 0
    seconds: float = 0.0


# --- verification (pure: tests feed it observations of their own) --------------------------


def expected_events(obs: Observations) -> dict[str, Counter[tuple[Any, ...]]]:
    """Per account, the events each of its sockets must have had exactly once."""
    owner = {a.container: a.name for a in obs.accounts}
    expected: dict[str, Counter[tuple[Any, ...]]] = {a.name: Counter() for a in obs.accounts}
    for w in obs.writes:
        expected[owner[w.container]][("file", w.container, w.path, w.action)] += 1
    for u in obs.updates:
        if u.status == "completed":
            for status in ("updating", "completed"):
                key = ("version", u.container, u.old_tag, u.new_tag, status)
                expected[owner[u.container]][key] += 1
    return expected


def event_key(name: str, payload: dict[str, Any]) -> tuple[Any, ...] | None:
    cid = payload.get("containerId")
    if name == FILE_CHANGED:
        return ("file", cid, payload.get("path"), payload.get("action"))
    if name == VERSION_UPDATE:
        return ("version", cid, payload.get("oldTag"), payload.get("newTag"), payload.get("status"))
    return None


def received_keys(listened: Listened, containers: Iterable[str]) -> Counter[tuple[Any, ...]]:
    watched = set(containers)
    keys: Counter[tuple[Any, ...]] = Counter()
    for name, payload in listened.events:
        key = event_key(name, payload)
        if key is not None and key[1] in watched:
            keys[key] += 1
    return keys


def verify(obs: Observations) -> list[str]:
    """Every violation of the run, one line each (empty: nothing lost)."""
    found = list(obs.noticed)
    for c in obs.calls:
        if c.status is None:
            found.append(f"no answer: {c.op}: {c.error}")
        elif c.status >= 500:
            found.append(f"5xx: {c.op} answered {c.status}")
        elif c.status not in ACCEPTED.get(c.op, frozenset({200})):
            found.append(f"unexpected status: {c.op} answered {c.status}")
    found += _verify_files(obs)
    found += _verify_env(obs)
    found += _verify_versions(obs)
    found += _verify_events(obs)
    return found


def _verify_files(obs: Observations) -> list[str]:
    found = []
    by_path: dict[tuple[str, str], list[FileWrite]] = defaultdict(list)
    for w in obs.writes:
        by_path[(w.container, w.path)].append(w)
    for (cid, path), writes in sorted(by_path.items()):
        where = f"{cid} {path}"
        roots = [w for w in writes if w.base is None]
        on: dict[str, list[FileWrite]] = defaultdict(list)
        for w in writes:
            if w.base is not None:
                on[w.base].append(w)
        for base, same in on.items():
            if len(same) > 1:
                found.append(f"lost update: {where}: {len(same)} writes acknowledged on {base}")
        if len(roots) != 1:
            found.append(f"lost write: {where}: {len(roots)} writes without If-Match")
            continue
        tail, seen = roots[0], 1
        while on.get(tail.etag):
            tail, seen = on[tail.etag][0], seen + 1
        if seen != len(writes):
            found.append(f"lost write: {where}: only {seen} of {len(writes)} writes in one chain")
        final = obs.final_files.get((cid, path))
        if final is None:
            found.append(f"lost write: {where}: not readable afterwards")
        elif final != (tail.content, tail.etag):
            found.append(f"lost write: {where}: holds {final[1]}, last acknowledged {tail.etag}")
    return found


def _verify_env(obs: Observations) -> list[str]:
    found = []
    for cid, name, value in obs.env:
        now = obs.final_env.get(cid, {}).get(name)
        if now != value:
            found.append(f"lost env: {cid} {name} is {now!r}, acknowledged {value!r}")
    return found


def _verify_versions(obs: Observations) -> list[str]:
    found = []
    for account in obs.accounts:
        cid = account.container
        done = sorted(
            (u for u in obs.updates if u.container == cid and u.status == "completed"),
            key=lambda u: datetime.fromisoformat(u.started_at),
        )
        found += [
            f"update failed: {cid}: {u.new_tag}"
            for u in obs.updates
            if u.status != "completed" and u.container == cid
        ]
        tag = obs.initial_tags.get(cid)
        for u in done:
            if u.old_tag != tag:
                found.append(
                    f"lost update: {cid}: {u.id} went {u.old_tag}->{u.new_tag} after {tag}"
                )
            tag = u.new_tag
        final = obs.final_versions.get(cid)
        if final is None:
            found.append(f"lost update: versions of {cid} not readable afterwards")
            continue
        if final.get("currentTag") != tag:
            found.append(f"lost update: {cid} runs {final.get('currentTag')}, last completed {tag}")
        history = {h["id"]: h["status"] for h in final.get("history", [])}
        for u in obs.updates:
            if u.container == cid and history.get(u.id) != u.status:
                found.append(
                    f"lost update: {u.id} of {cid} is {history.get(u.id)!r} in the history"
                )
        stuck = [i for i, status in history.items() if status == "updating"]
        if stuck:
            found.append(f"update stuck: {cid}: {stuck} still updating")
    return found


def _verify_events(obs: Observations) -> list[str]:
    found = []
    expected = expected_events(obs)
    mine = {a.name: {a.container} for a in obs.accounts}
    for k, s in enumerate(obs.sockets):
        who = f"socket {k} of {s.account}"
        if not s.connected:
            found.append(f"socket refused: {who} never connected")
            continue
        if s.dropped:
            found.append(f"socket dropped: {who} during the run ({s.dropped_why})")
        got = received_keys(s, mine[s.account])
        want = expected[s.account]
        for key in sorted(set(got) | set(want), key=repr):
            if got[key] < want[key]:
                found.append(f"event missing: {who}: {key} {got[key]} of {want[key]} times")
            elif got[key] > want[key]:
                what = "duplicate" if want[key] else "unexpected"
                found.append(f"event {what}: {who}: {key} {got[key]} times, {want[key]} expected")
        seqs = Counter((p.get("containerId"), p.get("seq")) for _, p in s.events)
        found += [f"event duplicate: {who}: {key} {n} times" for key, n in seqs.items() if n > 1]
        others = {a.container for a in obs.accounts if a.name != s.account}
        for name, payload in s.events:
            if payload.get("containerId") in others:
                found.append(f"event leaked: {who} had {name} about {payload.get('containerId')}")
    return found


# --- the run ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


class _Session:
    """One HTTP connection of an account (one client's), recording what its calls observe."""

    def __init__(self, account: Account, options: Options, obs: Observations) -> None:
        self.account = account
        self.obs = obs
        self.http = httpx.AsyncClient(
            base_url=options.url,
            headers={"Authorization": f"Bearer {account.token}"},
            timeout=options.timeout,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        self.base = f"/v1/agents/{account.container}"

    async def call(self, op: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            answer = await self.http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            ms = (time.perf_counter() - started) * 1000
            self.obs.calls.append(Call(op, None, ms, f"{type(exc).__name__}: {exc}"))
            return None
        self.obs.calls.append(Call(op, answer.status_code, (time.perf_counter() - started) * 1000))
        return answer

    async def read_file(self, op: str, path: str) -> tuple[str, str] | None:
        answer = await self.call(op, "GET", f"{self.base}/files{path}")
        if answer is None or answer.status_code != 200:
            return None
        body = answer.json()
        return body["content"], body["etag"]

    async def write_file(
        self, op: str, path: str, content: str, if_match: str | None
    ) -> httpx.Response | None:
        headers = {"If-Match": if_match} if if_match is not None else {}
        answer = await self.call(
            op, "PUT", f"{self.base}/files{path}", json={"content": content}, headers=headers
        )
        if answer is not None and answer.status_code == 200:
            body = answer.json()
            self.obs.writes.append(
                FileWrite(
                    self.account.container, path, if_match, body["etag"], content, body["action"]
                )
            )
        return answer


class _Client:
    def __init__(self, index: int, session: _Session, run: str, options: Options) -> None:
        self.index = index
        self.s = session
        self.rng = random.Random(options.seed * 100_003 + index)
        self.options = options
        self.account = session.account
        self.dir = f"{self.account.data_dir}/load-{run}"
        self.own = f"{self.dir}/c{index}.txt"
        self.last: tuple[str, str] | None = None  # content, etag of its own last write
        self.n = 0
        self.run = run

    def content(self) -> str:
        self.n += 1
        return f"{self.account.name} client {self.index} write {self.n} {uuid.uuid4().hex}\n"

    async def step(self, tags: Sequence[str]) -> None:
        op = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        await getattr(self, f"op_{op}")(tags)

    async def op_read(self, tags: Sequence[str]) -> None:
        which = self.rng.choice(READS)
        base = self.s.base
        if which == "health-all":
            await self.s.call(which, "GET", "/v1/agents/health")
        elif which in ("health", "stats", "versions"):
            await self.s.call(which, "GET", f"{base}/{which}")
        elif which == "files-list":
            await self.s.call(which, "GET", f"{base}/files", params={"path": self.dir})
        elif which == "file-read":
            await self.s.read_file(
                which, self.shared(self.rng.randrange(self.options.shared_files))
            )
        else:
            await self.s.call(which, "GET", f"{base}/env")

    def shared(self, k: int) -> str:
        return f"{self.dir}/shared-{k}.txt"

    async def op_write(self, tags: Sequence[str]) -> None:
        base = None
        if self.last is not None:
            base = self.last[1]
            if self.n % 2 == 0:
                seen = await self.s.read_file("write-read", self.own)
                if seen is not None and seen != self.last:
                    self.s.obs.noticed.append(
                        f"lost write: read-your-write: {self.account.container} {self.own} "
                        f"shows {seen[1]} after its write {self.last[1]}"
                    )
                if seen is not None:
                    base = seen[1]
        content = self.content()
        answer = await self.s.write_file("write", self.own, content, base)
        if answer is not None and answer.status_code == 200:
            self.last = (content, answer.json()["etag"])

    async def op_contend(self, tags: Sequence[str]) -> None:
        path = self.shared(self.rng.randrange(self.options.shared_files))
        for _ in range(self.options.max_attempts):
            seen = await self.s.read_file("contend-read", path)
            if seen is None:
                return
            answer = await self.s.write_file("contend", path, self.content(), seen[1])
            if answer is None or answer.status_code != 412:
                return
            self.s.obs.retries += 1
        self.s.obs.gave_up += 1

    async def op_env(self, tags: Sequence[str]) -> None:
        self.n += 1
        who = f"LOAD_{self.run.upper()}_{self.account.name.upper()}_C{self.index}_{self.n}"
        patch = {
            f"{who}_{k}": f"v{self.n}.{k}.{self.rng.random():.6f}"
            for k in range(self.rng.randint(1, 3))
        }
        answer = await self.s.call(
            "env",
            "PATCH",
            f"{self.s.base}/env",
            json=patch,
            headers={"Content-Type": "application/merge-patch+json"},
        )
        if answer is None or answer.status_code != 200:
            return
        body = answer.json()
        shown = {v["name"]: v["value"] for v in body["variables"]}
        for name, value in patch.items():
            self.s.obs.env.append((self.account.container, name, value))
            if shown.get(name) != value or name not in body["changed"]:
                self.s.obs.noticed.append(
                    f"lost env: the patch answer lacks {name}: {self.account.container}"
                )

    async def op_update(self, tags: Sequence[str]) -> None:
        tag = self.rng.choice(tags)
        answer = await self.s.call(
            "update", "POST", f"{self.s.base}/update-version", json={"tag": tag}
        )
        if answer is not None and answer.status_code == 200:
            b = answer.json()
            self.s.obs.updates.append(
                Update(
                    self.account.container,
                    b["id"],
                    b["oldTag"],
                    b["newTag"],
                    b["status"],
                    b["startedAt"],
                )
            )

    async def op_lifecycle(self, tags: Sequence[str]) -> None:
        action = self.rng.choice(("restart", "stop", "start"))
        await self.s.call(action, "POST", f"{self.s.base}/{action}")


class _Ears:
    """The sockets of both accounts; ``settled`` waits until each has what it should."""

    def __init__(self, obs: Observations) -> None:
        self.obs = obs
        self.clients: list[socketio.AsyncClient] = []
        self.closing = False
        self.started = time.perf_counter()
        self.changed = asyncio.Condition()
        self.counts: list[Counter[tuple[Any, ...]]] = []

    async def connect(self, account: Account, url: str, timeout: float) -> None:
        listened = Listened(account.name)
        counts: Counter[tuple[Any, ...]] = Counter()
        client = socketio.AsyncClient(reconnection=False)
        self.obs.sockets.append(listened)
        self.counts.append(counts)
        self.clients.append(client)

        def recorder(name: str) -> Callable[[Any], Any]:
            async def record(payload: Any) -> None:
                payload = payload if isinstance(payload, dict) else {"payload": payload}
                listened.events.append((name, payload))
                key = event_key(name, payload)
                if key is not None:
                    counts[key] += 1
                async with self.changed:
                    self.changed.notify_all()

            return record

        async def dropped(reason: Any = None) -> None:
            if not self.closing:
                listened.dropped = True
                listened.dropped_why = f"{reason}, {time.perf_counter() - self.started:.1f} s in"

        for name in SERVER_EVENTS:
            client.on(name, recorder(name))
        client.on("disconnect", dropped)
        try:
            await client.connect(
                url, auth={"token": account.token}, transports=["websocket"], wait_timeout=timeout
            )
            listened.connected = True
        except socketio.exceptions.ConnectionError as exc:
            self.obs.noticed.append(f"socket refused: one of {account.name}: {exc}")

    async def settled(self, timeout: float) -> bool:
        expected = expected_events(self.obs)

        def done() -> bool:
            return all(
                all(counts[k] >= n for k, n in expected[s.account].items())
                for s, counts in zip(self.obs.sockets, self.counts, strict=True)
                if s.connected and not s.dropped
            )

        async with self.changed:
            try:
                await asyncio.wait_for(self.changed.wait_for(done), timeout)
                return True
            except TimeoutError:
                return False

    async def close(self) -> None:
        self.closing = True
        for client in self.clients:
            try:
                if client.connected:
                    await client.disconnect()
            finally:
                http = getattr(client.eio, "http", None)  # its own aiohttp session
                if http is not None and not http.closed:
                    await http.close()


async def run(options: Options) -> Observations:
    """One run; ``verify`` its observations."""
    if options.clients < 2:
        raise ValueError("at least 2 clients: one of each account")
    obs = Observations(options.accounts)
    runid = uuid.uuid4().hex[:8]
    # One pool per client, of one connection: httpcore's pool scans its connections on every
    # request, so one pool of hundreds would make this driver the bottleneck.
    sessions = [_Session(a, options, obs) for a in options.accounts]  # set-up and checks
    own = [_Session(options.accounts[i % 2], options, obs) for i in range(options.clients)]
    ears = _Ears(obs)
    try:
        await asyncio.gather(
            *(
                ears.connect(a, options.sio_url, options.timeout)
                for a in options.accounts
                for _ in range(options.sockets)
            )
        )
        tags: dict[str, list[str]] = {}
        for s in sessions:
            answer = await s.call("setup", "GET", f"{s.base}/versions")
            if answer is None or answer.status_code != 200:
                raise RuntimeError(
                    f"GET {s.base}/versions answered {answer and answer.status_code}"
                )
            body = answer.json()
            obs.initial_tags[s.account.container] = body["currentTag"]
            tags[s.account.container] = [v["tag"] for v in body["available"]]
        clients = [_Client(i, own[i], runid, options) for i in range(options.clients)]
        for s, first in zip(sessions, clients[:2], strict=False):
            for k in range(options.shared_files):
                await s.write_file("setup", first.shared(k), first.content(), None)

        budget = iter(range(options.requests))
        started = time.perf_counter()

        async def loop(client: _Client) -> None:
            t = tags[client.account.container]
            for _ in budget:
                await client.step(t)

        await asyncio.gather(*(loop(c) for c in clients))
        obs.seconds = time.perf_counter() - started

        # Each account's sentinel goes out after every write of the run was acknowledged.
        for s, first in zip(sessions, clients[:2], strict=False):
            await s.write_file("sentinel", f"{first.dir}/sentinel.txt", first.content(), None)
        if not await ears.settled(options.settle):
            obs.noticed.append(
                f"event missing: still after waiting {options.settle:g} s (listed below)"
            )

        for s in sessions:
            cid = s.account.container
            for path in sorted({w.path for w in obs.writes if w.container == cid}):
                obs.final_files[(cid, path)] = await s.read_file("final", path)
            answer = await s.call("final", "GET", f"{s.base}/env", params={"reveal": "true"})
            if answer is not None and answer.status_code == 200:
                obs.final_env[cid] = {v["name"]: v["value"] for v in answer.json()["variables"]}
            answer = await s.call("final", "GET", f"{s.base}/versions")
            if answer is not None and answer.status_code == 200:
                obs.final_versions[cid] = answer.json()
    finally:
        await ears.close()
        for s in sessions + own:
            await s.http.aclose()
    return obs


def summarize(obs: Observations, violations: Sequence[str], options: Options) -> dict[str, Any]:
    load = [c for c in obs.calls if c.op not in ("setup", "sentinel", "final")]
    ms = [c.ms for c in load] or [0.0]
    per_op: dict[str, dict[str, Any]] = {}
    for op in sorted({c.op for c in load}):
        these = [c for c in load if c.op == op]
        per_op[op] = {
            "statuses": dict(sorted(Counter(str(c.status) for c in these).items())),
            "p50_ms": round(percentile([c.ms for c in these], 50), 1),
            "p99_ms": round(percentile([c.ms for c in these], 99), 1),
        }
    kinds = Counter(v.split(":", 1)[0] for v in violations)
    return {
        "clients": options.clients,
        "sockets": len(obs.sockets),
        "operations": options.requests,
        "requests": len(load),
        "seconds": round(obs.seconds, 2),
        "requests_per_second": round(len(load) / obs.seconds, 1) if obs.seconds else None,
        "statuses": dict(sorted(Counter(str(c.status) for c in load).items())),
        "p50_ms": round(percentile(ms, 50), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1),
        "per_op": per_op,
        "acknowledged_writes": len(obs.writes),
        "env_variables": len(obs.env),
        "completed_updates": sum(u.status == "completed" for u in obs.updates),
        "events_received": sum(len(s.events) for s in obs.sockets),
        "retries_412": obs.retries,
        "gave_up": obs.gave_up,
        "violations": len(violations),
        "violation_kinds": dict(kinds),
        "first_violations": list(violations[:20]),
    }


def report(summary: dict[str, Any], violations: Sequence[str]) -> str:
    lines = [
        f"{summary['requests']} requests ({summary['operations']} operations) of "
        f"{summary['clients']} clients in {summary['seconds']} s "
        f"({summary['requests_per_second']}/s), {summary['sockets']} sockets listening",
        f"statuses {summary['statuses']}; latency p50 {summary['p50_ms']} ms, "
        f"p99 {summary['p99_ms']} ms, max {summary['max_ms']} ms",
    ]
    for op, m in summary["per_op"].items():
        lines.append(f"  {op:<13} {m['statuses']}  p50 {m['p50_ms']} ms  p99 {m['p99_ms']} ms")
    lines.append(
        f"{summary['acknowledged_writes']} writes, {summary['env_variables']} variables, "
        f"{summary['completed_updates']} updates acknowledged; {summary['retries_412']} retries "
        f"after 412 ({summary['gave_up']} gave up); {summary['events_received']} events received"
    )
    lines.append(f"violations: {len(violations)}")
    lines += [f"  {v}" for v in violations[:50]]
    if len(violations) > 50:
        lines.append(f"  … and {len(violations) - 50} more")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True, help="the API's base URL")
    parser.add_argument("--sio-url", help="its Socket.io server (default: --url)")
    for name, demo_container in (
        ("alice", "a11ce000-0000-4000-8000-000000000001"),
        ("bob", "b0b00000-0000-4000-8000-000000000001"),
    ):
        parser.add_argument(f"--{name}-token", required=True)
        parser.add_argument(
            f"--{name}-container",
            default=demo_container,
            help=f"{name}'s container: every capability, {Account.data_dir} writable "
            "(default: the demo's)",
        )
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--requests", type=int, default=5000, help="operations in all")
    parser.add_argument("--sockets", type=int, default=4, help="per account")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds to wait for events")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", help="append the JSON summary to this file too")
    args = parser.parse_args(argv)
    options = Options(
        url=args.url.rstrip("/"),
        sio_url=(args.sio_url or args.url).rstrip("/"),
        accounts=(
            Account("alice", args.alice_token, args.alice_container),
            Account("bob", args.bob_token, args.bob_container),
        ),
        clients=args.clients,
        requests=args.requests,
        sockets=args.sockets,
        timeout=args.timeout,
        settle=args.settle,
        seed=args.seed,
    )
    obs = asyncio.run(run(options))
    violations = verify(obs)
    summary = summarize(obs, violations, options)
    print(report(summary, violations), file=sys.stderr)
    print(json.dumps(summary), flush=True)
    if args.out:
        with open(args.out, "a") as out:
            out.write(json.dumps(summary) + "\n")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
