"""Session verification: the port's contract, the fake, and the real SDK against the stub core.

The SuperTokens tests run supertokens-python 0.31.4 against a real ``StubCore``
on an ephemeral port, with ``SUPERTOKENS_ENV=testing`` and the SDK reset after
each test. Time-dependent rules run on a ``FixedClock``: no test sleeps for a token
to expire. Which token a request presents (bearer header, cookie, anti-CSRF) is
tested in ``tests/test_credentials.py``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from supertokens_python.recipe.session import jwks

from service import errors
from service.adapters.access_tokens import VerifiedTokens
from service.adapters.supertokens import SuperTokensSessionVerifier, reset_sdk
from service.sessions import AbstractSessionVerifier, Caller
from service.settings import Settings
from supertokens_stub.keys import StubKey
from supertokens_stub.server import StubCore
from supertokens_stub.tokens import access_token_claims, encode_jwt, mint_access_token
from tests.fakes.clock import FixedClock
from tests.fakes.sessions import FakeSessionVerifier

JWKS_PATH = "/.well-known/jwks.json"


def settings_for(core_url: str) -> Settings:
    return Settings(
        database_url="sqlite:///unused.db",
        wap_url="http://127.0.0.1:9",
        wap_username="armory",
        wap_password="unused",
        supertokens_connection_uri=core_url,
    )


async def unauthorised(verifier: AbstractSessionVerifier, token: str) -> errors.Unauthorised:
    """The refusal of ``token``: exactly ``Unauthorised``, not ``TryRefreshToken`` (which
    would make a client refresh, then sign in again)."""
    with pytest.raises(errors.Unauthorised) as raised:
        await verifier.verify(token)
    assert type(raised.value) is errors.Unauthorised
    return raised.value


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key() -> StubKey:
    return StubKey.generate()


@pytest.fixture(scope="module")
def other_key() -> StubKey:
    return StubKey.generate()


@pytest.fixture
def sdk_testing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """SDK test mode for one test, starting and ending with a freshly reset SDK."""
    monkeypatch.setenv("SUPERTOKENS_ENV", "testing")
    reset_sdk()  # whatever another test module left initialised
    yield
    reset_sdk()


@pytest.fixture
def core(key: StubKey, sdk_testing: None) -> Iterator[StubCore]:
    with StubCore(key) as running:
        yield running


@pytest.fixture
async def verifier(core: StubCore) -> AsyncIterator[SuperTokensSessionVerifier]:
    started = SuperTokensSessionVerifier(settings_for(core.url))
    await started.start()
    yield started
    await started.stop()


@pytest.fixture
def clock() -> FixedClock:
    """Stands at the real time the test starts; moves only when the test moves it."""
    return FixedClock(time.time())


@pytest.fixture
async def clocked_verifier(
    core: StubCore, clock: FixedClock
) -> AsyncIterator[SuperTokensSessionVerifier]:
    started = SuperTokensSessionVerifier(settings_for(core.url), clock=clock)
    await started.start()
    yield started
    await started.stop()


@dataclass
class Kit:
    """A verifier and a way to get a valid token for an account, fake or real."""

    verifier: AbstractSessionVerifier
    token_for: Callable[[str], str]


@pytest.fixture(params=["fake", "supertokens"])
async def kit(request: pytest.FixtureRequest, key: StubKey) -> AsyncIterator[Kit]:
    if request.param == "fake":
        fake = FakeSessionVerifier({"alice-token": "alice", "bob-token": "bob"})
        await fake.start()
        yield Kit(fake, lambda account: f"{account}-token")
        return
    core: StubCore = request.getfixturevalue("core")
    real = SuperTokensSessionVerifier(settings_for(core.url))
    await real.start()
    yield Kit(real, lambda account: mint_access_token(key, account))
    await real.stop()


@dataclass
class FetchSpy:
    threads: list[int]
    delay: float = 0.0


@pytest.fixture
def fetch_spy(monkeypatch: pytest.MonkeyPatch) -> FetchSpy:
    """Records the thread of every JWKS fetch the SDK makes (it uses blocking requests.get)."""
    spy = FetchSpy(threads=[])
    real_get = requests.get

    def spying_get(url: str, *args: Any, **kwargs: Any) -> requests.Response:
        spy.threads.append(threading.get_ident())
        time.sleep(spy.delay)
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(requests, "get", spying_get)  # jwks.py calls requests.get
    return spy


def age_the_key_cache() -> None:
    cached = jwks.cached_keys
    assert cached is not None
    cached.last_refresh_time -= cached.refresh_interval_sec * 1000


# --- the port's contract, shared by the fake and the real verifier ---------------------


async def test_a_token_names_its_caller(kit: Kit) -> None:
    caller = await kit.verifier.verify(kit.token_for("alice"))

    assert caller.account_id == "alice"
    assert caller.expires_at > time.time()


async def test_each_token_names_its_own_caller(kit: Kit) -> None:
    alice = await kit.verifier.verify(kit.token_for("alice"))
    bob = await kit.verifier.verify(kit.token_for("bob"))

    assert (alice.account_id, bob.account_id) == ("alice", "bob")


async def test_an_empty_token_is_unauthorised(kit: Kit) -> None:
    refused = await unauthorised(kit.verifier, "")

    assert refused.status == 401
    assert refused.instance_code == "unauthorised"


@pytest.mark.parametrize("token", ["garbage", "Bearer x", "alice"])
async def test_a_token_that_is_not_an_access_token_is_unauthorised(kit: Kit, token: str) -> None:
    refused = await unauthorised(kit.verifier, token)

    assert refused.problem()["message"] == "unauthorised"


async def test_a_token_with_the_bearer_prefix_left_on_is_unauthorised(kit: Kit) -> None:
    # The port takes the token alone: stripping the scheme is the entrypoint's job.
    await unauthorised(kit.verifier, f"Bearer {kit.token_for('alice')}")


# --- the fake ---------------------------------------------------------------------------


async def test_the_fake_refuses_an_unknown_token() -> None:
    fake = FakeSessionVerifier({"alice-token": "alice"})

    await unauthorised(fake, "mallory-token")


async def test_the_fake_asks_to_refresh_an_expired_token() -> None:
    fake = FakeSessionVerifier({"alice-token": "alice"}, expired={"old-token"})

    with pytest.raises(errors.TryRefreshToken) as raised:
        await fake.verify("old-token")

    assert raised.value.status == 401


async def test_the_fake_asks_to_refresh_an_expired_token_even_of_a_known_account() -> None:
    fake = FakeSessionVerifier({"alice-token": "alice"}, expired={"alice-token"})

    with pytest.raises(errors.TryRefreshToken):
        await fake.verify("alice-token")


async def test_the_fake_records_whom_it_verified() -> None:
    fake = FakeSessionVerifier({"alice-token": "alice", "bob-token": "bob"})

    await fake.verify("alice-token")
    await fake.verify("bob-token")
    with pytest.raises(errors.Unauthorised):
        await fake.verify("mallory-token")

    assert [c.account_id for c in fake.verified] == ["alice", "bob"]


async def test_the_fake_knows_whether_it_was_started() -> None:
    fake = FakeSessionVerifier({})
    assert not fake.started

    await fake.start()
    assert fake.started

    await fake.stop()
    assert not fake.started


def test_the_fake_subclasses_the_port() -> None:
    assert isinstance(FakeSessionVerifier({}), AbstractSessionVerifier)


# --- SuperTokens: outcomes --------------------------------------------------------------


async def test_a_minted_token_verifies_to_its_caller(
    verifier: SuperTokensSessionVerifier, key: StubKey
) -> None:
    now = time.time()
    token = mint_access_token(key, "alice", ttl_seconds=900, now=now, session_handle="sess-1")

    caller = await verifier.verify(token)

    assert caller == Caller(account_id="alice", session_handle="sess-1", expires_at=int(now) + 900)


async def test_a_token_minted_by_the_stub_endpoint_verifies(
    verifier: SuperTokensSessionVerifier, core: StubCore
) -> None:
    token = await asyncio.to_thread(
        lambda: requests.post(f"{core.url}/_stub/token", json={"sub": "carol"}, timeout=5).json()
    )

    caller = await verifier.verify(token["accessToken"])

    assert caller.account_id == "carol"


async def test_an_expired_token_asks_the_client_to_refresh(
    verifier: SuperTokensSessionVerifier, key: StubKey
) -> None:
    token = mint_access_token(key, "alice", ttl_seconds=-5)

    with pytest.raises(errors.TryRefreshToken) as raised:
        await verifier.verify(token)

    assert raised.value.status == 401
    assert raised.value.problem()["message"] == "try refresh token"


async def test_a_token_signed_by_an_unknown_key_is_a_401_the_sdk_calls_try_refresh(
    verifier: SuperTokensSessionVerifier, other_key: StubKey
) -> None:
    # The SDK cannot tell a forged kid from a rotated signing key: it answers
    # TRY_REFRESH_TOKEN, and the refresh then fails for a forger.
    with pytest.raises(errors.TryRefreshToken) as raised:
        await verifier.verify(mint_access_token(other_key, "alice"))

    assert raised.value.status == 401


async def test_a_token_forged_under_the_cores_kid_is_a_401_the_sdk_calls_try_refresh(
    verifier: SuperTokensSessionVerifier, key: StubKey, other_key: StubKey
) -> None:
    impostor = StubKey(other_key.private_key, key.kid)

    with pytest.raises(errors.TryRefreshToken) as raised:
        await verifier.verify(mint_access_token(impostor, "alice"))

    assert raised.value.status == 401


async def test_a_token_whose_claims_were_edited_is_a_401(
    verifier: SuperTokensSessionVerifier, key: StubKey
) -> None:
    header, _, signature = mint_access_token(key, "alice").split(".")
    edited = f"{header}.{b64(access_token_claims('root'))}.{signature}"

    with pytest.raises(errors.Unauthorised) as raised:
        await verifier.verify(edited)

    assert raised.value.status == 401


GARBAGE = [
    "garbage",
    "a.b.c",
    "..",
    "a.b",
    "a.b.c.d",
    f"{b64({'alg': 'RS256', 'typ': 'JWT', 'version': '5', 'kid': 'd-1'})}.{b64([1, 2])}.sig",
    f"{b64(b'not json')}.{b64({'sub': 'alice'})}.sig",
    f"{b64([])}.{b64({'sub': 'alice'})}.sig",
    "é.é.é",
]


@pytest.mark.parametrize("token", GARBAGE)
async def test_a_garbage_token_is_unauthorised(
    verifier: SuperTokensSessionVerifier, core: StubCore, token: str
) -> None:
    refused = await unauthorised(verifier, token)

    assert refused.problem()["message"] == "unauthorised"
    assert set(core.calls) == {JWKS_PATH}


@pytest.mark.parametrize(
    ("alg", "signature"),
    [
        *((alg, b64(b"signature")) for alg in ["none", "None", "HS256", "RS512", "PS256"]),
        ("none", ""),
    ],
    ids=["none", "None", "HS256", "RS512", "PS256", "unsigned"],
)
async def test_a_token_with_another_algorithm_or_no_signature_is_unauthorised(
    verifier: SuperTokensSessionVerifier, key: StubKey, alg: str, signature: str
) -> None:
    header = {"alg": alg, "typ": "JWT", "version": "5", "kid": key.kid}

    await unauthorised(verifier, f"{b64(header)}.{b64(access_token_claims('alice'))}.{signature}")


@pytest.mark.parametrize("kid", [7, None, ["d-1"], {"kid": "d-1"}])
async def test_a_token_with_a_key_id_that_is_not_a_string_is_unauthorised_without_a_fetch(
    verifier: SuperTokensSessionVerifier,
    core: StubCore,
    monkeypatch: pytest.MonkeyPatch,
    kid: object,
) -> None:
    monkeypatch.setattr(jwks, "last_fetch_time_ms", None)  # past the SDK's refetch cooldown
    header = {"alg": "RS256", "typ": "JWT", "version": "5", "kid": kid}
    token = f"{b64(header)}.{b64(access_token_claims('alice'))}.{b64(b'signature')}"

    await unauthorised(verifier, token)

    assert core.calls == {JWKS_PATH: 1}


@pytest.mark.parametrize("missing", ["sub", "exp", "iat", "sessionHandle", "tId", "rsub"])
async def test_a_token_missing_a_v5_claim_is_unauthorised(
    verifier: SuperTokensSessionVerifier, key: StubKey, missing: str
) -> None:
    claims = access_token_claims("alice")
    del claims[missing]
    token = encode_jwt({"alg": "RS256", "typ": "JWT", "version": "5", "kid": key.kid}, claims, key)

    await unauthorised(verifier, token)


async def test_a_legacy_v2_token_is_unauthorised(
    verifier: SuperTokensSessionVerifier, key: StubKey
) -> None:
    token = encode_jwt(
        {"alg": "RS256", "typ": "JWT", "version": "2"}, access_token_claims("alice"), key
    )

    await unauthorised(verifier, token)


async def test_a_token_under_a_static_key_id_asks_to_refresh(
    verifier: SuperTokensSessionVerifier, key: StubKey
) -> None:
    # The session recipe uses dynamic keys (kid "d-..."); an "s-..." kid is refused.
    token = encode_jwt(
        {"alg": "RS256", "typ": "JWT", "version": "5", "kid": "s-1"},
        access_token_claims("alice"),
        StubKey(key.private_key, "s-1"),
    )

    with pytest.raises(errors.TryRefreshToken):
        await verifier.verify(token)


async def test_a_token_issued_by_a_refresh_is_confirmed_with_the_core(
    verifier: SuperTokensSessionVerifier, core: StubCore, key: StubKey
) -> None:
    # The first token after a refresh names its parent refresh token; the SDK then asks the
    # core to confirm it. The stub does not implement that, so this is a server fault (500),
    # not a 401 that would sign the user out.
    claims = {**access_token_claims("alice"), "parentRefreshTokenHash1": "ab" * 32}
    token = encode_jwt({"alg": "RS256", "typ": "JWT", "version": "5", "kid": key.kid}, claims, key)

    with pytest.raises(errors.ApiError) as raised:
        await verifier.verify(token)

    assert not isinstance(raised.value, errors.Unauthorised)
    assert raised.value.status == 500
    assert core.calls == {JWKS_PATH: 1, "/apiversion": 1, "/recipe/session/verify": 1}


async def test_verification_never_logs_the_token(
    verifier: SuperTokensSessionVerifier,
    key: StubKey,
    other_key: StubKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = [
        mint_access_token(key, "alice"),
        mint_access_token(key, "alice", ttl_seconds=-5),
        mint_access_token(other_key, "alice"),
        mint_access_token(key, "alice")[:-8] + "AAAAAAAA",
    ]
    for token in tokens:
        try:
            await verifier.verify(token)
        except errors.Unauthorised:
            pass

    for token in tokens:
        assert token.split(".")[2] not in caplog.text


# --- SuperTokens: what is asked of the core, and from which thread ----------------------


async def test_start_fetches_the_keys_once_and_fifty_verifications_call_the_core_zero_times(
    verifier: SuperTokensSessionVerifier, core: StubCore, key: StubKey
) -> None:
    assert core.calls == {JWKS_PATH: 1}
    tokens = [mint_access_token(key, f"user-{n}") for n in range(50)]

    callers = [await verifier.verify(token) for token in tokens]

    assert [c.account_id for c in callers] == [f"user-{n}" for n in range(50)]
    assert core.calls == {JWKS_PATH: 1}


async def test_the_warm_up_fetch_runs_off_the_event_loop_while_the_loop_keeps_serving(
    core: StubCore, fetch_spy: FetchSpy
) -> None:
    fetch_spy.delay = 0.3
    verifier = SuperTokensSessionVerifier(settings_for(core.url))
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beating = asyncio.create_task(heartbeat())
    try:
        await verifier.start()
    finally:
        beating.cancel()
        await verifier.stop()

    assert len(fetch_spy.threads) == 1
    assert fetch_spy.threads[0] != threading.get_ident()
    assert ticks >= 10
    assert core.calls == {JWKS_PATH: 1}


async def test_an_expired_key_cache_is_refreshed_off_the_event_loop(
    verifier: SuperTokensSessionVerifier, core: StubCore, key: StubKey, fetch_spy: FetchSpy
) -> None:
    age_the_key_cache()

    caller = await verifier.verify(mint_access_token(key, "alice"))

    assert caller.account_id == "alice"
    assert len(fetch_spy.threads) == 1
    assert fetch_spy.threads[0] != threading.get_ident()
    assert core.calls == {JWKS_PATH: 2}
    # Fresh again: the next verification stays on the loop and asks nothing.
    await verifier.verify(mint_access_token(key, "alice"))
    assert core.calls == {JWKS_PATH: 2}


async def test_concurrent_verifications_on_an_expired_cache_fetch_the_keys_once(
    verifier: SuperTokensSessionVerifier, core: StubCore, key: StubKey, fetch_spy: FetchSpy
) -> None:
    fetch_spy.delay = 0.05
    age_the_key_cache()
    tokens = [mint_access_token(key, f"user-{n}") for n in range(20)]

    callers = await asyncio.gather(*(verifier.verify(token) for token in tokens))

    assert [c.account_id for c in callers] == [f"user-{n}" for n in range(20)]
    assert core.calls == {JWKS_PATH: 2}
    assert threading.get_ident() not in fetch_spy.threads


async def test_an_unknown_kid_refetches_the_keys_off_the_event_loop(
    verifier: SuperTokensSessionVerifier,
    core: StubCore,
    other_key: StubKey,
    fetch_spy: FetchSpy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Past the SDK's 500 ms refetch cooldown, an unknown kid (a rotated key, or a forger)
    # makes it fetch the keys again.
    monkeypatch.setattr(jwks, "last_fetch_time_ms", None)

    with pytest.raises(errors.TryRefreshToken):
        await verifier.verify(mint_access_token(other_key, "alice"))

    assert len(fetch_spy.threads) == 1
    assert fetch_spy.threads[0] != threading.get_ident()
    assert core.calls == {JWKS_PATH: 2}


async def test_a_core_unreachable_at_start_is_logged_and_verification_refuses_off_the_loop(
    key: StubKey, sdk_testing: None, fetch_spy: FetchSpy, caplog: pytest.LogCaptureFixture
) -> None:
    with StubCore(key) as gone:
        url = gone.url
    verifier = SuperTokensSessionVerifier(settings_for(url))

    await verifier.start()
    try:
        with pytest.raises(errors.TryRefreshToken):
            await verifier.verify(mint_access_token(key, "alice"))
    finally:
        await verifier.stop()

    assert "could not fetch SuperTokens signing keys" in caplog.text
    assert len(fetch_spy.threads) == 2
    assert threading.get_ident() not in fetch_spy.threads


# --- SuperTokens: life cycle ------------------------------------------------------------


async def test_verifying_before_start_is_a_programming_error(core: StubCore, key: StubKey) -> None:
    verifier = SuperTokensSessionVerifier(settings_for(core.url))

    with pytest.raises(RuntimeError, match="before start"):
        await verifier.verify(mint_access_token(key, "alice"))


async def test_starting_twice_fetches_nothing_more(
    verifier: SuperTokensSessionVerifier, core: StubCore
) -> None:
    await verifier.start()

    assert core.calls == {JWKS_PATH: 1}


async def verified_by_a_new_verifier(core_url: str, token: str) -> Caller:
    """What a verifier started for ``core_url`` makes of ``token`` (stopped afterwards)."""
    verifier = SuperTokensSessionVerifier(settings_for(core_url))
    await verifier.start()
    try:
        return await verifier.verify(token)
    finally:
        await verifier.stop()


async def test_a_second_verifier_for_the_same_core_shares_the_sdk(
    verifier: SuperTokensSessionVerifier, core: StubCore, key: StubKey
) -> None:
    caller = await verified_by_a_new_verifier(core.url, mint_access_token(key, "alice"))

    assert caller.account_id == "alice"


async def test_a_verifier_for_another_core_is_refused_while_the_sdk_is_initialised(
    verifier: SuperTokensSessionVerifier,
) -> None:
    other = SuperTokensSessionVerifier(settings_for("http://127.0.0.1:9"))

    with pytest.raises(RuntimeError, match="already initialised"):
        await other.start()


async def test_after_a_reset_a_verifier_can_use_another_core(
    verifier: SuperTokensSessionVerifier, other_key: StubKey
) -> None:
    await verifier.stop()
    reset_sdk()
    with StubCore(other_key) as second_core:
        token = mint_access_token(other_key, "alice")
        caller = await verified_by_a_new_verifier(second_core.url, token)

    assert caller.account_id == "alice"
    assert second_core.calls == {JWKS_PATH: 1}


def test_resetting_the_sdk_outside_test_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPERTOKENS_ENV", raising=False)

    with pytest.raises(RuntimeError, match="SUPERTOKENS_ENV=testing"):
        reset_sdk()


# --- time: the verified-token memory and expiry, by the injected clock ------------------


@pytest.fixture
def sdk_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the verifications the adapter hands to the SDK (tokens are not recorded)."""
    from service.adapters import supertokens

    calls: list[str] = []
    real = supertokens.get_session_without_request_response

    async def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append("verify")
        return await real(*args, **kwargs)

    monkeypatch.setattr(supertokens, "get_session_without_request_response", counting)
    return calls


async def test_an_accepted_token_is_remembered_until_it_expires_by_the_clock(
    clocked_verifier: SuperTokensSessionVerifier,
    clock: FixedClock,
    key: StubKey,
    sdk_calls: list[str],
) -> None:
    token = mint_access_token(key, "alice", ttl_seconds=2, now=clock.now())

    assert (await clocked_verifier.verify(token)).account_id == "alice"
    clock.advance(1)
    assert (await clocked_verifier.verify(token)).account_id == "alice"
    assert (len(clocked_verifier._verified), sdk_calls) == (1, ["verify"])

    clock.advance(1.1)
    with pytest.raises(errors.TryRefreshToken):
        await clocked_verifier.verify(token)
    assert (len(clocked_verifier._verified), sdk_calls) == (0, ["verify"])


async def test_a_token_past_its_exp_by_the_clock_is_refused_before_the_sdk_is_asked(
    clocked_verifier: SuperTokensSessionVerifier,
    clock: FixedClock,
    key: StubKey,
    sdk_calls: list[str],
) -> None:
    # Still valid by the real time, which is all the SDK would look at.
    token = mint_access_token(key, "alice", ttl_seconds=60, now=clock.now())
    clock.advance(61)

    with pytest.raises(errors.TryRefreshToken) as raised:
        await clocked_verifier.verify(token)

    assert raised.value.status == 401
    assert raised.value.problem()["message"] == "try refresh token"
    assert sdk_calls == []


async def test_a_token_expired_by_the_real_time_is_refused_even_when_the_clock_lags(
    clocked_verifier: SuperTokensSessionVerifier,
    clock: FixedClock,
    key: StubKey,
    sdk_calls: list[str],
) -> None:
    token = mint_access_token(key, "alice", ttl_seconds=-5)
    clock.advance(-3600)

    with pytest.raises(errors.TryRefreshToken):
        await clocked_verifier.verify(token)

    assert sdk_calls == ["verify"]


async def test_a_remembered_token_is_verified_again_after_five_minutes(
    clocked_verifier: SuperTokensSessionVerifier,
    clock: FixedClock,
    key: StubKey,
    sdk_calls: list[str],
) -> None:
    token = mint_access_token(key, "alice", ttl_seconds=3600, now=clock.now())
    await clocked_verifier.verify(token)

    clock.advance(299)
    await clocked_verifier.verify(token)
    assert sdk_calls == ["verify"]

    clock.advance(1)
    caller = await clocked_verifier.verify(token)
    assert sdk_calls == ["verify", "verify"]
    assert caller.account_id == "alice"


async def test_refused_tokens_are_not_remembered(
    verifier: SuperTokensSessionVerifier, other_key: StubKey
) -> None:
    for token in ("garbage", mint_access_token(other_key, "alice")):
        with pytest.raises(errors.Unauthorised):
            await verifier.verify(token)
    assert len(verifier._verified) == 0


def caller_until(name: str, expires_at: float) -> Caller:
    return Caller(account_id=name, session_handle="s", expires_at=expires_at)


def test_the_memory_forgets_a_token_when_it_expires_by_the_clock() -> None:
    clock = FixedClock(1_000.0)
    memory = VerifiedTokens(clock)
    memory.put("a", caller_until("a", 1_010.0))

    clock.advance(9.9)
    assert memory.get("a") == caller_until("a", 1_010.0)
    clock.advance(0.1)
    assert (memory.get("a"), len(memory)) == (None, 0)


def test_the_memory_forgets_a_token_after_max_age_even_before_it_expires() -> None:
    clock = FixedClock(1_000.0)
    memory = VerifiedTokens(clock, max_age=300)
    memory.put("a", caller_until("a", 1_000.0 + 3600))

    clock.advance(299)
    assert memory.get("a") is not None
    clock.advance(1)
    assert memory.get("a") is None


def test_the_memory_is_bounded_and_drops_the_oldest() -> None:
    memory = VerifiedTokens(FixedClock(1_000.0), max_entries=2)
    for name in ("a", "b", "c"):
        memory.put(name, caller_until(name, 1_000.0 + 3600))

    assert (memory.get("a"), len(memory)) == (None, 2)
    assert memory.get("b") is not None
    assert memory.get("c") is not None
