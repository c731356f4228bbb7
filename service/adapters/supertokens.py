"""Session verification with supertokens-python (imported only here and in ``access_tokens``).

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
  SDK's own parser, ``access_tokens.check_shape``), and so is one whose ``exp``
  has passed by the injected clock (``TryRefreshToken``); an accepted token is
  remembered (``access_tokens.VerifiedTokens``) until it expires by that clock,
  or for at most 5 minutes. The SDK's ``UnauthorisedError`` becomes ``Unauthorised``
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from supertokens_python import InputAppInfo, Supertokens, SupertokensConfig, init
from supertokens_python.exceptions import GeneralError
from supertokens_python.post_init_callbacks import PostSTInitCallbacks
from supertokens_python.querier import Querier
from supertokens_python.recipe import session
from supertokens_python.recipe.session import jwks
from supertokens_python.recipe.session.asyncio import get_session_without_request_response
from supertokens_python.recipe.session.exceptions import (
    SuperTokensSessionError,
    TryRefreshTokenError,
)
from supertokens_python.recipe.session.recipe import SessionRecipe
from supertokens_python.utils import get_timestamp_ms

from .. import errors
from ..clock import AbstractClock, SystemClock
from ..sessions import AbstractSessionVerifier, Caller
from ..settings import Settings
from .access_tokens import VerifiedTokens, check_shape

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
    # This predicts the SDK's own decision to fetch, which it takes by the real time
    # (``get_timestamp_ms``) against a timestamp it stamped by the real time: the
    # injected clock must not be used here, or a clock behind the real one would let
    # a fetch start on the event loop.
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
    """``AbstractSessionVerifier`` backed by supertokens-python and a SuperTokens core.

    ``clock`` (default ``SystemClock``) decides when a token has expired, for the
    memory of verified tokens and before the SDK is asked.
    """

    def __init__(self, settings: Settings, *, clock: AbstractClock | None = None) -> None:
        self._settings = settings
        self._clock = clock or SystemClock()
        self._executor: ThreadPoolExecutor | None = None
        self._verified = VerifiedTokens(self._clock)

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

    async def verify(self, token: str) -> Caller:
        executor = self._executor
        if executor is None:
            raise RuntimeError("SuperTokensSessionVerifier.verify() called before start()")
        if not token:
            raise errors.Unauthorised("No access token.")
        cached = self._verified.get(token)
        if cached is not None:
            return cached
        shape = check_shape(token)
        if self._clock.now() >= shape.expires_at:
            # The SDK checks ``exp`` against the real time, never against our clock.
            # Refusing by our clock first makes a token count as expired when either
            # clock says so (with SystemClock they are one clock), and keeps a
            # remembered token and a fresh verification in agreement.
            raise errors.TryRefreshToken()
        try:
            if _cache_answers(shape.kid):
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
