"""The session port: who is calling, from an access token.

The service never imports the SuperTokens SDK outside
``service.adapters.supertokens``; handlers and use cases see only ``Caller`` and
``AbstractSessionVerifier``. Unit tests of our own code use ``FakeSessionVerifier``.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Mapping
from dataclasses import dataclass

from . import errors

ACCESS_TOKEN_COOKIE = "sAccessToken"
ANTI_CSRF_HEADER = "rid"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the SuperTokens user id and the session it came with."""

    account_id: str
    session_handle: str
    expires_at: float  # epoch seconds: when the access token stops being accepted


@dataclass(frozen=True)
class PresentedToken:
    """The access token a request carries, and where it was found."""

    token: str
    from_cookie: bool


def select_access_token(
    *,
    authorization: str | None,
    cookies: Mapping[str, str],
    method: str,
    headers: Mapping[str, str],
) -> PresentedToken:
    """Pick the request's access token and apply the cookie anti-CSRF rule.

    Shared by every verifier so that the fake and the real one agree on the
    request-level rules (see ``AbstractSessionVerifier.verify``).
    """
    if authorization is not None and authorization.strip():
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() == "bearer":
            token = credentials.strip()
            if not token:
                raise errors.Unauthorised("The Authorization header has no bearer token.")
            return PresentedToken(token, from_cookie=False)
        # Another scheme (say Basic, added by a proxy) is not ours: fall back to the cookie.
    token = cookies.get(ACCESS_TOKEN_COOKIE, "")
    if not token:
        raise errors.Unauthorised("No session: send a bearer access token or the session cookie.")
    if method.upper() not in SAFE_METHODS and not any(
        name.lower() == ANTI_CSRF_HEADER for name in headers
    ):
        raise errors.Unauthorised(
            "A session cookie on a state-changing request needs the 'rid' header.",
            code="anti_csrf_failed",
        )
    return PresentedToken(token, from_cookie=True)


class AbstractSessionVerifier(abc.ABC):
    """Turns the credentials of a request into a ``Caller``, or refuses them.

    ``start()`` runs once before the first ``verify`` (it may fetch signing keys),
    ``stop()`` once after the last; both are idempotent.

    ``verify`` contract:

    * The token is taken from ``authorization`` (``Bearer <token>``, scheme
      case-insensitive) when that header uses the Bearer scheme; otherwise from
      the ``sAccessToken`` cookie. A Bearer header wins over the cookie, even
      when its token turns out to be invalid.
    * ``errors.Unauthorised`` (401, ``unauthorised``): no token, an empty bearer
      token, a token that is not a well-formed access token, a token signed with
      an unsupported algorithm, or one that cannot be verified for another
      reason than expiry.
    * ``errors.TryRefreshToken`` (401, ``try_refresh_token``): a well-formed token
      that has expired, or (as SuperTokens decides) whose signature or key id
      does not check out; the client should refresh its session and retry.
    * ``errors.Unauthorised(code="anti_csrf_failed")`` (401): the token came from
      the cookie, ``method`` is state-changing (not GET, HEAD or OPTIONS) and the
      request has no ``rid`` header (SuperTokens' ``VIA_CUSTOM_HEADER``
      anti-CSRF: a cross-site form cannot set a custom header). Bearer tokens
      are not subject to it. ``headers`` are matched case-insensitively.
    * Tokens are secrets: implementations never log them.
    """

    async def start(self) -> None:  # noqa: B027 - optional hook, empty by design
        """Prepare to verify (initialise clients, warm caches)."""

    async def stop(self) -> None:  # noqa: B027 - optional hook, empty by design
        """Release what ``start`` acquired."""

    @abc.abstractmethod
    async def verify(
        self,
        *,
        authorization: str | None,
        cookies: Mapping[str, str],
        method: str,
        headers: Mapping[str, str],
    ) -> Caller:
        """Return the caller the request's access token names; raise as the class docstring says."""


class FakeSessionVerifier(AbstractSessionVerifier):
    """A verifier for unit tests: a token is valid when it is a key of ``accounts``.

    ``FakeSessionVerifier({"alice-token": "alice"})`` accepts ``Bearer alice-token``
    (or that cookie) as account ``alice``; tokens listed in ``expired`` raise
    ``TryRefreshToken``. It applies the same header/cookie/anti-CSRF rules as the
    real verifier.
    """

    def __init__(
        self,
        accounts: Mapping[str, str] | None = None,
        *,
        expired: frozenset[str] | set[str] = frozenset(),
        ttl_seconds: float = 3600.0,
    ) -> None:
        self.accounts = dict(accounts or {})
        self.expired = set(expired)
        self.ttl_seconds = ttl_seconds
        self.started = False
        self.verified: list[Caller] = []

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    async def verify(
        self,
        *,
        authorization: str | None,
        cookies: Mapping[str, str],
        method: str,
        headers: Mapping[str, str],
    ) -> Caller:
        presented = select_access_token(
            authorization=authorization, cookies=cookies, method=method, headers=headers
        )
        if presented.token in self.expired:
            raise errors.TryRefreshToken()
        account_id = self.accounts.get(presented.token)
        if account_id is None:
            raise errors.Unauthorised("The access token is not valid.")
        caller = Caller(
            account_id=account_id,
            session_handle=f"fake-session-{account_id}",
            expires_at=time.time() + self.ttl_seconds,
        )
        self.verified.append(caller)
        return caller
