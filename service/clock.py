"""The clock port: what time it is, for code whose decisions depend on it.

Time-dependent rules (an access token's expiry, how long a verified token is
remembered) read the time through an ``AbstractClock`` so that tests can hold or
advance it instead of sleeping. Production code uses ``SystemClock``.
"""

from __future__ import annotations

import abc
import time


class AbstractClock(abc.ABC):
    """A source of wall-clock time.

    ``now()`` returns the current time in epoch seconds (UTC, float), the unit of
    JWT ``exp`` claims and of ``Caller.expires_at``. It may go backwards if the
    system clock is set back; callers compare it with absolute deadlines only.
    """

    @abc.abstractmethod
    def now(self) -> float:
        """The current time, in epoch seconds."""


class SystemClock(AbstractClock):
    """The operating system's wall clock (``time.time()``)."""

    def now(self) -> float:
        return time.time()
