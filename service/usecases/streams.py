"""Long-lived streams (a followed log, a raw file read) under bounds no tenant can lift.

A stream holds a WAP connection for as long as it lasts, so one account opening many
could starve the others. ``StreamGate`` bounds them:

- at most ``per_account`` open streams per account: one more is refused with
  ``errors.TooManyStreams`` (429, ``Retry-After``) before WAP is asked;
- each stream lasts at most ``max_seconds``, and ends when WAP has sent nothing for
  ``idle_seconds``. How it ends depends on what it carries: a log (``on_limit="end"``)
  simply ends (the client reconnects, with ``since``, if it wants more); a file
  (``on_limit="fail"``) fails with ``UpstreamTimeout``, since its announced length can no
  longer be met;
- closing the stream (the client went away, or the handler finished) releases its slot
  and closes WAP's connection at once, exactly once;
- at shutdown (``end_all``, from the app's ``before_server_stop``) every log ends at once,
  as at its time limit, so the server's grace period is not spent waiting on an endless
  stream; a file read, whose length is known, goes on like any request in flight.

The slot is taken before the upstream stream is opened, and given back if opening fails.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from service import errors
from service.metrics import STREAMS_OPEN
from service.sessions import Caller
from service.wap import Stream

T = TypeVar("T")
OnLimit = Literal["end", "fail"]


@dataclass(frozen=True)
class StreamBounds:
    per_account: int
    max_seconds: float
    idle_seconds: float
    retry_after: int = 5  # seconds a refused client is told to wait


class StreamGate:
    """Counts each account's open streams (and all of them, ``armory_streams_open``) and
    bounds each one (see the module)."""

    def __init__(self, bounds: StreamBounds) -> None:
        self.bounds = bounds
        self._open: dict[str, int] = {}
        self._ending = False
        # The wait for the next item of each open log: expired at once by ``end_all``.
        self._waits: set[asyncio.Timeout] = set()

    def open_count(self, account_id: str) -> int:
        return self._open.get(account_id, 0)

    def end_all(self) -> None:
        """End every open log now, and any opened from now on (the service is stopping)."""
        self._ending = True
        now = asyncio.get_running_loop().time()
        for wait in self._waits:
            wait.reschedule(now)

    async def open(
        self, caller: Caller, opening: Callable[[], Awaitable[Stream[T]]], *, on_limit: OnLimit
    ) -> Stream[T]:
        """The stream ``opening()`` opens, once the caller has a free slot (bounded)."""
        account = caller.account_id
        held = self._open.get(account, 0)
        if held >= self.bounds.per_account:
            raise errors.TooManyStreams(
                f"At most {self.bounds.per_account} streams may be open at once per account; "
                "close one or retry later.",
                retry_after=self.bounds.retry_after,
            )
        self._open[account] = held + 1
        STREAMS_OPEN.inc()
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                STREAMS_OPEN.dec()
                left = self._open[account] - 1
                if left:
                    self._open[account] = left
                else:
                    del self._open[account]

        try:
            upstream = await opening()
        except BaseException:
            release()
            raise

        async def close() -> None:
            release()
            await upstream.aclose()

        items = self._bounded(upstream, on_limit)
        return dataclasses.replace(upstream, items=items, close=close)

    async def _bounded(self, upstream: Stream[T], on_limit: OnLimit) -> AsyncIterator[T]:
        loop = asyncio.get_running_loop()
        bounds = self.bounds
        ends_at = loop.time() + bounds.max_seconds
        endable = on_limit == "end"  # a log: ends at shutdown (``end_all``)
        while not (endable and self._ending):
            left = ends_at - loop.time()
            wait = min(bounds.idle_seconds, left)
            if wait <= 0:
                break  # the stream's time is up
            try:
                async with asyncio.timeout(wait) as timer:
                    if endable:
                        self._waits.add(timer)
                    try:
                        item = await upstream.items.__anext__()
                    finally:
                        self._waits.discard(timer)
            except StopAsyncIteration:
                return
            except TimeoutError:
                break  # idle for too long, its time is up, or the service is stopping
            yield item
        if on_limit == "fail":
            raise errors.UpstreamTimeout("The stream from WAP Core stalled or outlasted its limit.")
