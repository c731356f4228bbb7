"""Session verification: the port's rules, the fake, and the real SDK against the stub core.

The SuperTokens tests run supertokens-python 0.31.4 against a real ``StubCore``
on an ephemeral port, with ``SUPERTOKENS_ENV=testing`` and the SDK reset after
each test.
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
from service.adapters.supertokens import SuperTokensSessionVerifier, reset_sdk
from service.sessions import AbstractSessionVerifier, Caller, FakeSessionVerifier
from service.settings import Settings
from supertokens_stub.keys import StubKey
from supertokens_stub.server import StubCore
from supertokens_stub.tokens import access_token_claims, encode_jwt, mint_access_token

JWKS_PATH = "/.well-known/jwks.json"


def settings_for(core_url: str) -> Settings:
    return Settings(
        database_url="sqlite:///unused.db",
        wap_url="http://127.0.0.1:9",
        wap_username="armory",
        wap_password="unused",
        supertokens_connection_uri=core_url,
    )


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def verify(
    verifier: AbstractSessionVerifier,
    *,
    authorization: str | None = None,
    cookie: str | None = None,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> Caller:
    return await verifier.verify(
        authorization=authorization,
        cookies={} if cookie is None else {"sAccessToken": cookie},
        method=method,
        headers=headers or {},
    )


async def bearer(verifier: AbstractSessionVerifier, token: str) -> Caller:
    return await verify(verifier, authorization=f"Bearer {token}")


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


# --- request rules, shared by the fake and the real verifier ---------------------------


async def test_a_bearer_token_names_its_caller(kit: Kit) -> None:
    caller = await bearer(kit.verifier, kit.token_for("alice"))

    assert caller.account_id == "alice"
    assert caller.expires_at > time.time()


async def test_a_request_without_credentials_is_unauthorised(kit: Kit) -> None:
    with pytest.raises(errors.Unauthorised) as raised:
        await verify(kit.verifier)

    assert type(raised.value) is errors.Unauthorised
    assert raised.value.status == 401


@pytest.mark.parametrize("authorization", ["Bearer", "Bearer ", "Bearer    ", "bearer"])
async def test_a_bearer_header_without_a_token_is_unauthorised(
    kit: Kit, authorization: str
) -> None:
    with pytest.raises(errors.Unauthorised) as raised:
        await verify(kit.verifier, authorization=authorization, cookie=kit.token_for("alice"))

    assert type(raised.value) is errors.Unauthorised


async def test_the_bearer_scheme_is_case_insensitive(kit: Kit) -> None:
    caller = await verify(kit.verifier, authorization=f"bEaReR {kit.token_for('alice')}")

    assert caller.account_id == "alice"


async def test_the_bearer_header_wins_over_the_cookie(kit: Kit) -> None:
    caller = await verify(
        kit.verifier,
        authorization=f"Bearer {kit.token_for('alice')}",
        cookie=kit.token_for("bob"),
    )

    assert caller.account_id == "alice"


async def test_an_invalid_bearer_token_is_not_rescued_by_a_valid_cookie(kit: Kit) -> None:
    with pytest.raises(errors.Unauthorised):
        await verify(kit.verifier, authorization="Bearer garbage", cookie=kit.token_for("bob"))


async def test_another_authorization_scheme_leaves_the_cookie_in_charge(kit: Kit) -> None:
    caller = await verify(
        kit.verifier, authorization="Basic YXJtb3J5OnB3", cookie=kit.token_for("bob")
    )

    assert caller.account_id == "bob"


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "get"])
async def test_a_cookie_on_a_safe_method_needs_no_anti_csrf_header(kit: Kit, method: str) -> None:
    caller = await verify(kit.verifier, cookie=kit.token_for("alice"), method=method)

    assert caller.account_id == "alice"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "post"])
async def test_a_cookie_on_a_state_changing_method_without_rid_fails_anti_csrf(
    kit: Kit, method: str
) -> None:
    with pytest.raises(errors.Unauthorised) as raised:
        await verify(kit.verifier, cookie=kit.token_for("alice"), method=method)

    assert raised.value.instance_code == "anti_csrf_failed"
    assert raised.value.status == 401
    assert raised.value.problem()["code"] == "anti_csrf_failed"


@pytest.mark.parametrize("rid_header", ["rid", "RID", "Rid"])
async def test_a_cookie_on_a_state_changing_method_with_rid_is_accepted(
    kit: Kit, rid_header: str
) -> None:
    caller = await verify(
        kit.verifier, cookie=kit.token_for("alice"), method="POST", headers={rid_header: "session"}
    )

    assert caller.account_id == "alice"


async def test_a_bearer_token_on_a_state_changing_method_needs_no_rid(kit: Kit) -> None:
    caller = await verify(
        kit.verifier, authorization=f"Bearer {kit.token_for('alice')}", method="DELETE"
    )

    assert caller.account_id == "alice"


# --- the fake ---------------------------------------------------------------------------


async def test_the_fake_refuses_an_unknown_token() -> None:
    fake = FakeSessionVerifier({"alice-token": "alice"})

    with pytest.raises(errors.Unauthorised):
        await bearer(fake, "mallory-token")


async def test_the_fake_asks_to_refresh_an_expired_token() -> None:
    fake = FakeSessionVerifier({"alice-token": "alice"}, expired={"old-token"})

    with pytest.raises(errors.TryRefreshToken):
        await bearer(fake, "old-token")


async def test_the_fake_records_whom_it_verified() -> None:
    fake = FakeSessionVerifier({"alice-token": "alice"})

    await bearer(fake, "alice-token")

    assert [c.account_id for c in fake.verified] == ["alice"]


# --- SuperTokens: outcomes --------------------------------------------------------------


async def test_a_minted_token_verifies_to_its_caller(
    verifier: SuperTokensSessionVerifier, key: StubKey
) -> None:
    now = time.time()
    token = mint_access_token(key, "alice", ttl_seconds=900, now=now, session_handle="sess-1")

    caller = await bearer(verifier, token)

    assert caller == Caller(account_id="alice", session_handle="sess-1", expires_at=int(now) + 900)


async def test_a_token_minted_by_the_stub_endpoint_verifies(
    verifier: SuperTokensSessionVerifier, core: StubCore
) -> None:
    token = await asyncio.to_thread(
        lambda: requests.post(f"{core.url}/_stub/token", json={"sub": "carol"}, timeout=5).json()
    )

    caller = await bearer(verifier, token["accessToken"])

    assert caller.account_id == "carol"


async def test_an_expired_token_asks_the_client_to_refresh(
    verifier: SuperTokensSessionVerifier, key: StubKey
) -> None:
    token = mint_access_token(key, "alice", ttl_seconds=-5)

    with pytest.raises(errors.TryRefreshToken) as raised:
        await bearer(verifier, token)

    assert raised.value.status == 401
    assert raised.value.problem()["message"] == "try refresh token"


async def test_a_token_signed_by_an_unknown_key_is_a_401_the_sdk_calls_try_refresh(
    verifier: SuperTokensSessionVerifier, other_key: StubKey
) -> None:
    # The SDK cannot tell a forged kid from a rotated signing key: it answers
    # TRY_REFRESH_TOKEN, and the refresh then fails for a forger.
    with pytest.raises(errors.TryRefreshToken) as raised:
        await bearer(verifier, mint_access_token(other_key, "alice"))

    assert raised.value.status == 401


async def test_a_token_forged_under_the_cores_kid_is_a_401_the_sdk_calls_try_refresh(
    verifier: SuperTokensSessionVerifier, key: StubKey, other_key: StubKey
) -> None:
    impostor = StubKey(other_key.private_key, key.kid)

    with pytest.raises(errors.TryRefreshToken) as raised:
        await bearer(verifier, mint_access_token(impostor, "alice"))

    assert raised.value.status == 401


async def test_a_token_whose_claims_were_edited_is_a_401(
    verifier: SuperTokensSessionVerifier, key: StubKey
) -> None:
    header, _, signature = mint_access_token(key, "alice").split(".")
    edited = f"{header}.{b64(access_token_claims('root'))}.{signature}"

    with pytest.raises(errors.Unauthorised) as raised:
        await bearer(verifier, edited)

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
    with pytest.raises(errors.Unauthorised) as raised:
        await bearer(verifier, token)

    assert type(raised.value) is errors.Unauthorised
    assert raised.value.problem()["message"] == "unauthorised"
    assert set(core.calls) == {JWKS_PATH}


@pytest.mark.parametrize("alg", ["none", "None", "HS256", "RS512", "PS256"])
async def test_a_token_with_another_algorithm_is_unauthorised(
    verifier: SuperTokensSessionVerifier, key: StubKey, alg: str
) -> None:
    header = {"alg": alg, "typ": "JWT", "version": "5", "kid": key.kid}
    token = f"{b64(header)}.{b64(access_token_claims('alice'))}.{b64(b'signature')}"

    with pytest.raises(errors.Unauthorised) as raised:
        await bearer(verifier, token)

    assert type(raised.value) is errors.Unauthorised


async def test_an_unsigned_token_is_unauthorised(
    verifier: SuperTokensSessionVerifier, key: StubKey
) -> None:
    header = {"alg": "none", "typ": "JWT", "version": "5", "kid": key.kid}

    with pytest.raises(errors.Unauthorised) as raised:
        await bearer(verifier, f"{b64(header)}.{b64(access_token_claims('alice'))}.")

    assert type(raised.value) is errors.Unauthorised


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

    with pytest.raises(errors.Unauthorised) as raised:
        await bearer(verifier, token)

    assert type(raised.value) is errors.Unauthorised
    assert core.calls == {JWKS_PATH: 1}


@pytest.mark.parametrize("missing", ["sub", "exp", "iat", "sessionHandle", "tId", "rsub"])
async def test_a_token_missing_a_v5_claim_is_unauthorised(
    verifier: SuperTokensSessionVerifier, key: StubKey, missing: str
) -> None:
    claims = access_token_claims("alice")
    del claims[missing]
    token = encode_jwt({"alg": "RS256", "typ": "JWT", "version": "5", "kid": key.kid}, claims, key)

    with pytest.raises(errors.Unauthorised) as raised:
        await bearer(verifier, token)

    assert type(raised.value) is errors.Unauthorised


async def test_a_legacy_v2_token_is_unauthorised(
    verifier: SuperTokensSessionVerifier, key: StubKey
) -> None:
    token = encode_jwt(
        {"alg": "RS256", "typ": "JWT", "version": "2"}, access_token_claims("alice"), key
    )

    with pytest.raises(errors.Unauthorised) as raised:
        await bearer(verifier, token)

    assert type(raised.value) is errors.Unauthorised


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
        await bearer(verifier, token)


async def test_a_token_issued_by_a_refresh_is_confirmed_with_the_core(
    verifier: SuperTokensSessionVerifier, core: StubCore, key: StubKey
) -> None:
    # The first token after a refresh names its parent refresh token; the SDK then asks the
    # core to confirm it. The stub does not implement that, so this is a server fault (500),
    # not a 401 that would sign the user out.
    claims = {**access_token_claims("alice"), "parentRefreshTokenHash1": "ab" * 32}
    token = encode_jwt({"alg": "RS256", "typ": "JWT", "version": "5", "kid": key.kid}, claims, key)

    with pytest.raises(errors.ApiError) as raised:
        await bearer(verifier, token)

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
            await bearer(verifier, token)
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

    callers = [await bearer(verifier, token) for token in tokens]

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

    caller = await bearer(verifier, mint_access_token(key, "alice"))

    assert caller.account_id == "alice"
    assert len(fetch_spy.threads) == 1
    assert fetch_spy.threads[0] != threading.get_ident()
    assert core.calls == {JWKS_PATH: 2}
    # Fresh again: the next verification stays on the loop and asks nothing.
    await bearer(verifier, mint_access_token(key, "alice"))
    assert core.calls == {JWKS_PATH: 2}


async def test_concurrent_verifications_on_an_expired_cache_fetch_the_keys_once(
    verifier: SuperTokensSessionVerifier, core: StubCore, key: StubKey, fetch_spy: FetchSpy
) -> None:
    fetch_spy.delay = 0.05
    age_the_key_cache()
    tokens = [mint_access_token(key, f"user-{n}") for n in range(20)]

    callers = await asyncio.gather(*(bearer(verifier, token) for token in tokens))

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
        await bearer(verifier, mint_access_token(other_key, "alice"))

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
            await bearer(verifier, mint_access_token(key, "alice"))
    finally:
        await verifier.stop()

    assert "could not fetch SuperTokens signing keys" in caplog.text
    assert len(fetch_spy.threads) == 2
    assert threading.get_ident() not in fetch_spy.threads


# --- SuperTokens: life cycle ------------------------------------------------------------


async def test_verifying_before_start_is_a_programming_error(core: StubCore, key: StubKey) -> None:
    verifier = SuperTokensSessionVerifier(settings_for(core.url))

    with pytest.raises(RuntimeError, match="before start"):
        await bearer(verifier, mint_access_token(key, "alice"))


async def test_starting_twice_fetches_nothing_more(
    verifier: SuperTokensSessionVerifier, core: StubCore
) -> None:
    await verifier.start()

    assert core.calls == {JWKS_PATH: 1}


async def test_a_second_verifier_for_the_same_core_shares_the_sdk(
    verifier: SuperTokensSessionVerifier, core: StubCore, key: StubKey
) -> None:
    second = SuperTokensSessionVerifier(settings_for(core.url))
    await second.start()
    try:
        caller = await bearer(second, mint_access_token(key, "alice"))
    finally:
        await second.stop()

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
        second = SuperTokensSessionVerifier(settings_for(second_core.url))
        await second.start()
        try:
            caller = await bearer(second, mint_access_token(other_key, "alice"))
        finally:
            await second.stop()

    assert caller.account_id == "alice"
    assert second_core.calls == {JWKS_PATH: 1}


def test_resetting_the_sdk_outside_test_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPERTOKENS_ENV", raising=False)

    with pytest.raises(RuntimeError, match="SUPERTOKENS_ENV=testing"):
        reset_sdk()


# --- the cache of verified tokens -------------------------------------------------------


async def test_an_accepted_token_is_remembered_and_still_expires(
    verifier: SuperTokensSessionVerifier, key: StubKey
) -> None:
    token = mint_access_token(key, "alice", ttl_seconds=2)
    assert (await bearer(verifier, token)).account_id == "alice"
    assert len(verifier._verified) == 1
    assert (await bearer(verifier, token)).account_id == "alice"
    await asyncio.sleep(2.1)
    with pytest.raises(errors.TryRefreshToken):
        await bearer(verifier, token)


async def test_refused_tokens_are_not_remembered(
    verifier: SuperTokensSessionVerifier, other_key: StubKey
) -> None:
    for token in ("garbage", mint_access_token(other_key, "alice")):
        with pytest.raises(errors.Unauthorised):
            await bearer(verifier, token)
    assert len(verifier._verified) == 0


async def test_a_remembered_token_still_needs_the_anti_csrf_header_from_a_cookie(
    verifier: SuperTokensSessionVerifier, key: StubKey
) -> None:
    token = mint_access_token(key, "alice")
    await bearer(verifier, token)
    with pytest.raises(errors.Unauthorised) as refused:
        await verify(verifier, cookie=token, method="POST")
    assert refused.value.instance_code == "anti_csrf_failed"


def test_the_cache_is_bounded_and_drops_the_oldest() -> None:
    from service.adapters.supertokens import VerifiedTokens

    cache = VerifiedTokens(max_entries=2)
    far = time.time() + 3600
    for name in ("a", "b", "c"):
        cache.put(name, Caller(account_id=name, session_handle="s", expires_at=far))
    assert (cache.get("a"), len(cache)) == (None, 2)
    assert cache.get("c") is not None
