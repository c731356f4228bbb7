"""StreamGate: per-account bounds on open streams, and each stream's duration and idleness."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from service import errors
from service.sessions import Caller
from service.usecases.streams import StreamBounds, StreamGate
from service.wap import Stream

ALICE = Caller(account_id="alice", session_handle="s-alice", expires_at=0.0)
BOB = Caller(account_id="bob", session_handle="s-bob", expires_at=0.0)


class Upstream:
    """A WAP stream that yields ``items`` then waits ``stall`` seconds per further item."""

    def __init__(self, items: list[str], *, stall: float | None = None) -> None:
        self.items, self.stall = items, stall
        self.closed = 0

    async def _items(self) -> AsyncIterator[str]:
        for item in self.items:
            yield item
        while self.stall is not None:
            await asyncio.sleep(self.stall)
            yield "late"

    async def _close(self) -> None:
        self.closed += 1

    async def open(self) -> Stream[str]:
        return Stream(self._items(), close=self._close)


def gate(per_account: int = 2, max_seconds: float = 60, idle_seconds: float = 10) -> StreamGate:
    return StreamGate(StreamBounds(per_account, max_seconds, idle_seconds, retry_after=7))


async def test_one_stream_more_than_the_accounts_bound_is_refused_with_retry_after() -> None:
    streams = gate(per_account=2)
    held = [await streams.open(ALICE, Upstream([]).open, on_limit="end") for _ in range(2)]
    never_opened = Upstream([])

    with pytest.raises(errors.TooManyStreams) as refused:
        await streams.open(ALICE, never_opened.open, on_limit="end")

    assert (refused.value.status, refused.value.instance_code) == (429, "too_many_streams")
    assert refused.value.headers == {"Retry-After": "7"}
    # Another account is not affected by alice's streams.
    bobs = await streams.open(BOB, Upstream([]).open, on_limit="end")
    assert (streams.open_count("alice"), streams.open_count("bob")) == (2, 1)
    for stream in [*held, bobs]:
        await stream.aclose()


async def test_closing_frees_the_slot_once_and_closes_upstream() -> None:
    streams, upstream = gate(per_account=1), Upstream(["a"])
    stream = await streams.open(ALICE, upstream.open, on_limit="end")

    await stream.aclose()
    await stream.aclose()

    assert streams.open_count("alice") == 0
    assert upstream.closed == 2  # upstream's own close is idempotent; the slot is freed once
    again = await streams.open(ALICE, Upstream([]).open, on_limit="end")
    assert streams.open_count("alice") == 1
    await again.aclose()


async def test_a_stream_read_to_its_end_frees_its_slot() -> None:
    streams = gate(per_account=1)
    stream = await streams.open(ALICE, Upstream(["a", "b"]).open, on_limit="end")

    assert [item async for item in stream] == ["a", "b"]
    assert streams.open_count("alice") == 0


async def test_a_failure_to_open_gives_the_slot_back() -> None:
    streams = gate(per_account=1)

    async def failing() -> Stream[str]:
        raise errors.UpstreamUnavailable("WAP Core is unreachable.")

    with pytest.raises(errors.UpstreamUnavailable):
        await streams.open(ALICE, failing, on_limit="end")
    assert streams.open_count("alice") == 0


async def test_an_idle_log_stream_ends_and_an_idle_file_stream_fails() -> None:
    streams = gate(idle_seconds=0.05)
    log = await streams.open(ALICE, Upstream(["a"], stall=5).open, on_limit="end")
    file = await streams.open(ALICE, Upstream(["a"], stall=5).open, on_limit="fail")

    assert [item async for item in log] == ["a"]
    received = []
    with pytest.raises(errors.UpstreamTimeout):
        async for item in file:
            received.append(item)
    assert received == ["a"]
    await file.aclose()
    assert streams.open_count("alice") == 0


async def test_a_stream_ends_at_its_maximum_duration_however_busy() -> None:
    streams = gate(max_seconds=0.2, idle_seconds=10)
    busy = Upstream([], stall=0.01)  # an item every 10 ms, forever
    stream = await streams.open(ALICE, busy.open, on_limit="end")

    received = [item async for item in stream]

    assert 5 < len(received) < 40
    assert streams.open_count("alice") == 0


async def test_end_all_ends_every_log_now_and_any_opened_later_but_no_file_read() -> None:
    streams = gate(idle_seconds=30)
    log = await streams.open(ALICE, Upstream(["a"], stall=30).open, on_limit="end")
    file = await streams.open(BOB, Upstream(["a", "b"], stall=0.01).open, on_limit="fail")
    items = aiter(log)
    assert await anext(items) == "a"
    waiting = asyncio.ensure_future(anext(items))
    await asyncio.sleep(0.01)
    assert not waiting.done()  # the log waits for its next line

    streams.end_all()

    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 1)
    later = await streams.open(ALICE, Upstream(["x"], stall=30).open, on_limit="end")
    assert [item async for item in later] == []
    file_items = aiter(file)
    assert [await anext(file_items) for _ in range(3)] == ["a", "b", "late"]  # goes on
    await file.aclose()
    assert streams.open_count("alice") == 0
