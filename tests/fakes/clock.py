"""A clock that stands still until a test moves it."""

from __future__ import annotations

from datetime import UTC, datetime

from service.clock import AbstractClock

# 2026-01-01T00:00:00Z: a round, recent moment, so that test output is easy to read.
DEFAULT_EPOCH = 1_767_225_600.0


class FixedClock(AbstractClock):
    """``now()`` answers ``epoch`` until ``advance(seconds)`` moves it (never on its own).

    ``FixedClock(1_700_000_000.0)``; ``moment()`` is the same instant as an aware
    ``datetime`` in UTC, for fakes whose answers carry timestamps.
    """

    def __init__(self, epoch: float = DEFAULT_EPOCH) -> None:
        self._now = float(epoch)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (negative moves it back, as a system
        clock set back would)."""
        self._now += seconds

    def moment(self) -> datetime:
        return datetime.fromtimestamp(self._now, UTC)
