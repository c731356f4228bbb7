"""Session verification with supertokens-python (the only module that imports it).

How the SDK behaves (0.31.4, read from its source and pinned by
``tests/test_session_verifier.py`` against ``supertokens_stub``):

* ``get_session_without_request_response(token, anti_csrf_check=False,
  check_database=False)`` verifies a v3+ access token locally: signature by the
  JWKS key named by the header's ``kid``, then expiry and claim shape. The only
  core request is ``GET /.well-known/jwks.json``, made when its process-wide
  cache is empty, older than ``jwks_refresh_interval_sec`` (4 h), or lacks the
  token's ``kid`` (at most once per 500 ms). A token whose
  ``parentRefreshTokenHash1`` is set (the first token after a refresh) is
  confirmed by the core: ``GET /apiversion`` once, then
  ``POST /recipe/session/verify``, over async httpx (no thread needed). The
  core answers with a promoted token, which this port cannot hand back to the
  client, so every request with that token asks the core until it expires.
* The JWKS fetch uses blocking ``requests``. ``start()`` warms the cache in a
  worker thread. After that, ``verify`` runs the SDK on the event loop only
  when the cache is fresh (with a margin) and holds the token's ``kid``; in
  every other case (cold or expiring cache, key rotation, a forged ``kid``) it
  runs the whole SDK call in a small dedicated thread pool, so a fetch (up to the
  SDK's 10 s timeout when the core hangs) never blocks the loop and never
  starves the default executor that other adapters use.

  Why not always a thread, or a background refresher: measured on the 2-CPU
  dev box (2000 verifications, warm cache), a verification on the loop costs
  0.12 ms (mostly the RSA-2048 signature check); the same call in a worker
  thread with its own event loop costs 0.41 ms, so the thread path is kept
  for the rare cold case. A refresher task would only remove the one thread
  hop per 4 h of cache expiry, and would not cover key rotation or unknown
  ``kid`` values, which need the thread path anyway.
* Outcomes: a malformed token is refused before the SDK is called (with the
  SDK's own parser); the SDK's ``UnauthorisedError`` becomes ``Unauthorised``
  and ``TryRefreshTokenError`` (expired, bad signature, unknown ``kid``)
  becomes ``TryRefreshToken``. A header ``alg`` other than RS256 (``none``,
  HS256...) is refused as ``Unauthorised``: the core only signs RS256, and the
  SDK would otherwise take the algorithm from the token. Any other SDK failure
  (say the core failing ``/recipe/session/verify``) is a server fault: a 500
  ``ApiError``, never a 401 that would log the user out.
* ``supertokens_python.init`` is process-wide and silently ignores a second call,
  so ``start()`` refuses to run against an SDK initialised for another core;
  tests call ``reset_sdk()`` (needs ``SUPERTOKENS_ENV=testing``) between apps.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from supertokens_python import InputAppInfo, Supertokens, SupertokensConfig, init
from supertokens_python.exceptions import GeneralError
from supertokens_python.post_init_callbacks import PostSTInitCallbacks
from supertokens_python.querier import Querier
from supertokens_python.recipe import session
from supertokens_python.recipe.session import jwks
from supertokens_python.recipe.session.access_token import validate_access_token_structure
from supertokens_python.recipe.session.asyncio import get_session_without_request_response
from supertokens_python.recipe.session.exceptions import (
    SuperTokensSessionError,
    TryRefreshTokenError,
)
from supertokens_python.recipe.session.jwt import parse_jwt_without_signature_verification
from supertokens_python.recipe.session.recipe import SessionRecipe
from supertokens_python.utils import get_timestamp_ms

from .. import errors
from ..sessions import AbstractSessionVerifier, Caller, select_access_token
from ..settings import Settings

log = logging.getLogger(__name__)

# The SDK never sets cookies or serves routes for us, so app_info only has to be
# valid. An IP address also keeps the SDK from resolving a public suffix, which
# would make tldextract download the suffix list.
APP_INFO = InputAppInfo(
    app_name="armory-agent-control",
    api_domain="http://127.0.0.1",
    website_domain="http://127.0.0.1",
)
# A cache entry closer than this to its expiry counts as expired, so the SDK
# cannot start a fetch on the loop between our check and its own.
FRESHNESS_MARGIN_MS = 5_000
KEY_FETCH_THREADS = 4

_init_lock = threading.Lock()


def reset_sdk() -> None:
    """Forget every SDK singleton and the JWKS cache (tests only: ``SUPERTOKENS_ENV=testing``)."""
    if os.environ.get("SUPERTOKENS_ENV") != "testing":
        raise RuntimeError("reset_sdk() is for tests: set SUPERTOKENS_ENV=testing")
    from supertokens_python.recipe.accountlinking.recipe import AccountLinkingRecipe
    from supertokens_python.recipe.jwt.recipe import JWTRecipe
    from supertokens_python.recipe.multitenancy.recipe import MultitenancyRecipe
    from supertokens_python.recipe.oauth2provider.recipe import OAuth2ProviderRecipe
    from supertokens_python.recipe.openid.recipe import OpenIdRecipe

    # init() adds the last five recipes itself; each refuses a second init until reset.
    resets: list[Callable[[], object]] = [
        SessionRecipe.reset,  # also clears the JWKS cache
        AccountLinkingRecipe.reset,
        JWTRecipe.reset,
        OpenIdRecipe.reset,
        MultitenancyRecipe.reset,
        OAuth2ProviderRecipe.reset,
        Supertokens.reset,  # also UserMetadataRecipe and the Querier
        PostSTInitCallbacks.reset,
    ]
    with _init_lock:
        for reset in resets:
            reset()
        Querier.api_version = None


def _initialised_uri() -> str | None:
    try:
        return Supertokens.get_instance().supertokens_config.connection_uri
    except GeneralError:
        return None


def _init_sdk(settings: Settings) -> None:
    with _init_lock:
        current = _initialised_uri()
        if current is None:
            init(
                app_info=APP_INFO,
                framework="fastapi",  # only selects the SDK's async mode; no FastAPI involved
                mode="asgi",
                supertokens_config=SupertokensConfig(
                    connection_uri=settings.supertokens_connection_uri,
                    api_key=settings.supertokens_api_key,
                ),
                recipe_list=[session.init(anti_csrf="VIA_CUSTOM_HEADER")],
                telemetry=False,
            )
        elif current != settings.supertokens_connection_uri:
            raise RuntimeError(
                "supertokens-python is already initialised for another core; it is a "
                "process-wide singleton (tests: call reset_sdk() between apps)"
            )


def _without_userinfo(uri: str) -> str:
    parts = urlsplit(uri)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _cache_answers(kid: str) -> bool:
    """True when the SDK will find the token's key in a fresh cache, without fetching."""
    cached = jwks.cached_keys
    if cached is None:
        return False
    age_ms = get_timestamp_ms() - cached.last_refresh_time
    if age_ms >= cached.refresh_interval_sec * 1000 - FRESHNESS_MARGIN_MS:
        return False
    try:
        return jwks.find_matching_keys_in_cache(kid) is not None
    except Exception:
        # Unknown kid inside the SDK's refetch cooldown: it refuses without fetching,
        # but the cooldown may end before it looks again, so take the safe path.
        return False


class SuperTokensSessionVerifier(AbstractSessionVerifier):
    """``AbstractSessionVerifier`` backed by supertokens-python and a SuperTokens core."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._executor: ThreadPoolExecutor | None = None
        self._verified = VerifiedTokens()

    async def start(self) -> None:
        """Initialise the SDK (once per process) and warm its JWKS cache off the loop.

        A core that cannot be reached now is logged, not fatal: the first
        verification fetches the keys again, in a worker thread.
        """
        if self._executor is not None:
            return
        _init_sdk(self._settings)
        self._executor = ThreadPoolExecutor(
            max_workers=KEY_FETCH_THREADS, thread_name_prefix="supertokens-keys"
        )
        config = SessionRecipe.get_instance().config
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, jwks.get_latest_keys, config)
        except Exception as exc:
            log.warning(
                "could not fetch SuperTokens signing keys from %s (%s); will retry on demand",
                _without_userinfo(self._settings.supertokens_connection_uri),
                type(exc).__name__,
            )

    async def stop(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    async def verify(
        self,
        *,
        authorization: str | None,
        cookies: Mapping[str, str],
        method: str,
        headers: Mapping[str, str],
    ) -> Caller:
        executor = self._executor
        if executor is None:
            raise RuntimeError("SuperTokensSessionVerifier.verify() called before start()")
        token = select_access_token(
            authorization=authorization, cookies=cookies, method=method, headers=headers
        ).token
        cached = self._verified.get(token)
        if cached is not None:
            return cached
        kid = _check_shape(token)
        try:
            if _cache_answers(kid):
                caller = await _sdk_verify(token)
            else:
                loop = asyncio.get_running_loop()
                caller = await loop.run_in_executor(executor, _sdk_verify_blocking, token)
            self._verified.put(token, caller)
            return caller
        except TryRefreshTokenError as exc:
            raise errors.TryRefreshToken() from exc
        except SuperTokensSessionError as exc:
            # UnauthorisedError, TokenTheftError, InvalidClaimsError.
            raise errors.Unauthorised("The access token is not valid.") from exc
        except errors.ApiError:
            raise
        except Exception as exc:
            log.error("SuperTokens session verification failed: %s", type(exc).__name__)
            raise errors.ApiError("Session verification is unavailable.") from exc


class VerifiedTokens:
    """Tokens the SDK accepted, remembered until they expire (at most ``max_age`` seconds).

    With ``check_database=False`` the SDK's verdict on a token depends only on its
    signature (fixed) and ``exp`` (checked here): re-verifying an accepted token
    changes nothing but costs an RSA check per request. ``max_age`` bounds how long
    a key the core has since withdrawn keeps working, as the SDK's own key cache does.
    Bounded in size; the oldest entries go first.
    """

    def __init__(self, max_entries: int = 10_000, max_age: float = 300.0) -> None:
        self._entries: OrderedDict[str, tuple[float, Caller]] = OrderedDict()
        self._max_entries = max_entries
        self._max_age = max_age

    def get(self, token: str) -> Caller | None:
        found = self._entries.get(token)
        if found is None:
            return None
        until, caller = found
        if time.time() >= until:
            del self._entries[token]
            return None
        return caller

    def put(self, token: str, caller: Caller) -> None:
        until = min(caller.expires_at, time.time() + self._max_age)
        self._entries[token] = (until, caller)
        self._entries.move_to_end(token)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def _check_shape(token: str) -> str:
    """Refuse what is not a SuperTokens access token, as the SDK would; return its ``kid``."""
    try:
        info = parse_jwt_without_signature_verification(token)
        validate_access_token_structure(info.payload, info.version)
    except Exception as exc:
        raise errors.Unauthorised("The access token is malformed.") from exc
    if info.version < 3:
        # Legacy v1/v2 tokens (cores before 2023) carry no kid and no exp claim.
        raise errors.Unauthorised("The access token uses a retired format.")
    if info.parsed_header is not None and info.parsed_header.get("alg") != "RS256":
        raise errors.Unauthorised("The access token is not signed with RS256.")
    if not isinstance(info.kid, str):
        # The core's kids are strings; anything else would make the SDK match no key
        # (or, for a falsy one, every key) and fetch the keys on the loop.
        raise errors.Unauthorised("The access token's key id is malformed.")
    return info.kid


async def _sdk_verify(token: str) -> Caller:
    found = await get_session_without_request_response(
        token, anti_csrf_check=False, check_database=False
    )
    if found is None:  # only with session_required=False, which we never pass
        raise errors.Unauthorised("No session.")
    return Caller(
        account_id=found.get_user_id(),
        session_handle=found.get_handle(),
        expires_at=float(found.get_access_token_payload()["exp"]),
    )


def _sdk_verify_blocking(token: str) -> Caller:
    # The SDK is async but awaits nothing loop-bound on this path (the core calls
    # it may make open their own httpx client), so a private loop in the worker
    # thread is enough.
    return asyncio.run(_sdk_verify(token))
