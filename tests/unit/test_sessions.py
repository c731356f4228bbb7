"""A session verifier on a fixed clock: a caller's expiry is known exactly, so the expiry
of a socket's session can be tested by moving the clock rather than by sleeping."""

from __future__ import annotations

import pytest

from service import errors
from tests.fakes.clock import FixedClock
from tests.fakes.sessions import FakeSessionVerifier


async def test_a_callers_expiry_is_the_clock_plus_the_ttl() -> None:
    clock = FixedClock(1_700_000_000.0)
    verifier = FakeSessionVerifier({"alice-token": "alice"}, clock=clock, ttl_seconds=90.0)
    caller = await verifier.verify("alice-token")
    assert (caller.account_id, caller.expires_at) == ("alice", 1_700_000_090.0)


async def test_a_token_verified_later_expires_later_by_as_much_as_the_clock_moved() -> None:
    clock = FixedClock(1_700_000_000.0)
    verifier = FakeSessionVerifier({"alice-token": "alice"}, clock=clock, ttl_seconds=90.0)
    first = await verifier.verify("alice-token")
    clock.advance(30.0)
    second = await verifier.verify("alice-token")
    assert second.expires_at - first.expires_at == 30.0
    clock.advance(60.0)
    assert first.expires_at <= clock.now() < second.expires_at  # first has expired, not second


async def test_an_expired_token_asks_the_client_to_refresh() -> None:
    verifier = FakeSessionVerifier(
        {"alice-token": "alice"}, expired={"alice-token"}, clock=FixedClock()
    )
    with pytest.raises(errors.TryRefreshToken) as refused:
        await verifier.verify("alice-token")
    assert (refused.value.status, refused.value.instance_code) == (401, "try_refresh_token")
    assert verifier.verified == []


async def test_an_unknown_token_is_unauthorised_not_a_refresh() -> None:
    verifier = FakeSessionVerifier({"alice-token": "alice"}, clock=FixedClock())
    with pytest.raises(errors.Unauthorised) as refused:
        await verifier.verify("mallory-token")
    assert not isinstance(refused.value, errors.TryRefreshToken)
    assert refused.value.instance_code == "unauthorised"
