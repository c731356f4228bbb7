"""A fake of the session port (``service.sessions``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from service import errors
from service.clock import AbstractClock, SystemClock
from service.sessions import AbstractSessionVerifier, Caller


class FakeSessionVerifier(AbstractSessionVerifier):
    """A verifier for unit tests: a token is valid when it is a key of ``accounts``.

    ``FakeSessionVerifier({"alice-token": "alice"})`` verifies ``"alice-token"`` as
    account ``alice``; tokens in ``expired`` raise ``TryRefreshToken``, an empty or
    unknown token ``Unauthorised``, as the port's contract says. A caller's
    ``expires_at`` is ``clock.now() + ttl_seconds``. ``verified`` lists the callers
    returned, in order; ``started`` is true between ``start()`` and ``stop()``.
    """

    def __init__(
        self,
        accounts: Mapping[str, str],
        *,
        expired: Iterable[str] = frozenset(),
        clock: AbstractClock | None = None,
        ttl_seconds: float = 3600.0,
    ) -> None:
        self.accounts = dict(accounts)
        self.expired = frozenset(expired)
        self.clock = clock or SystemClock()
        self.ttl_seconds = ttl_seconds
        self.started = False
        self.verified: list[Caller] = []

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    async def verify(self, token: str) -> Caller:
        if token in self.expired:
            raise errors.TryRefreshToken()
        account_id = self.accounts.get(token) if token else None
        if account_id is None:
            raise errors.Unauthorised("The access token is not valid.")
        caller = Caller(
            account_id=account_id,
            session_handle=f"fake-session-{account_id}",
            expires_at=self.clock.now() + self.ttl_seconds,
        )
        self.verified.append(caller)
        return caller
