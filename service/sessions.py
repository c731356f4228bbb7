"""The session port: who is calling, from an access token.

The service never imports the SuperTokens SDK outside its adapter
(``service.adapters.supertokens`` and ``service.adapters.access_tokens``);
handlers and use cases see only ``Caller`` and ``AbstractSessionVerifier``.

Where a request's token comes from (a ``Bearer`` header, the ``sAccessToken``
cookie, the Socket.io handshake) and the cookie's anti-CSRF rule belong to the
entrypoints (``service.http.credentials``, ``service.realtime.namespace``), not
to this port: a verifier is only ever handed the token itself.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

# The cookie SuperTokens frontends keep the access token in; read by the HTTP and
# Socket.io entrypoints.
ACCESS_TOKEN_COOKIE = "sAccessToken"


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the SuperTokens user id and the session it came with."""

    account_id: str
    session_handle: str
    expires_at: float  # epoch seconds: when the access token stops being accepted


class AbstractSessionVerifier(abc.ABC):
    """Turns an access token into a ``Caller``, or refuses it.

    ``start()`` runs once before the first ``verify`` (it may fetch signing keys),
    ``stop()`` once after the last; both are idempotent.

    ``verify(token)`` contract:

    * ``token`` is the access token alone (no ``Bearer`` prefix), as the entrypoint
      found it.
    * ``errors.Unauthorised`` (401, ``unauthorised``): an empty token, a token that
      is not a well-formed access token, a token signed with an unsupported
      algorithm, or one that cannot be verified for another reason than expiry.
    * ``errors.TryRefreshToken`` (401, ``try_refresh_token``): a well-formed token
      that has expired, or (as SuperTokens decides) whose signature or key id does
      not check out; the client should refresh its session and retry.
    * Any other failure to verify (the session service is down or misbehaves) is an
      ``errors.ApiError`` that is not an ``Unauthorised`` (a 500), never a 401 that
      would sign the user out.
    * Tokens are secrets: implementations never log them, nor put them in errors.
    """

    async def start(self) -> None:  # noqa: B027 - optional hook, empty by design
        """Prepare to verify (initialise clients, warm caches)."""

    async def stop(self) -> None:  # noqa: B027 - optional hook, empty by design
        """Release what ``start`` acquired."""

    @abc.abstractmethod
    async def verify(self, token: str) -> Caller:
        """Return the caller ``token`` names; raise as the class docstring says."""
