"""What the SuperTokens adapter knows about an access token without asking the SDK to verify it.

Two pieces, split from ``service.adapters.supertokens`` (which uses both):

* ``check_shape``: refuses what is not a SuperTokens v3+ access token signed with
  RS256, with the SDK's own parser, before any signature check or key fetch, and
  returns the token's ``kid`` and ``exp``.
* ``VerifiedTokens``: tokens the SDK already accepted, remembered until they
  expire by the injected clock.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from supertokens_python.recipe.session.access_token import validate_access_token_structure
from supertokens_python.recipe.session.jwt import parse_jwt_without_signature_verification

from .. import errors
from ..clock import AbstractClock
from ..sessions import Caller


@dataclass(frozen=True)
class TokenShape:
    """What a well-formed access token says about itself (not yet verified)."""

    kid: str
    expires_at: float  # the ``exp`` claim, epoch seconds


def check_shape(token: str) -> TokenShape:
    """Refuse what is not a SuperTokens access token, as the SDK would (``errors.Unauthorised``).

    The error never carries the token: callers may log it.
    """
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
    # validate_access_token_structure has checked that a v3+ ``exp`` is a number.
    return TokenShape(kid=info.kid, expires_at=float(info.payload["exp"]))


class VerifiedTokens:
    """Tokens the SDK accepted, remembered until they expire (at most ``max_age`` seconds).

    With ``check_database=False`` the SDK's verdict on a token depends only on its
    signature (fixed) and ``exp`` (checked here, by ``clock``): re-verifying an
    accepted token changes nothing but costs an RSA check per request. ``max_age``
    bounds how long a key the core has since withdrawn keeps working, as the SDK's
    own key cache does. Bounded in size; the oldest entries go first.
    """

    def __init__(
        self, clock: AbstractClock, *, max_entries: int = 10_000, max_age: float = 300.0
    ) -> None:
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Caller]] = OrderedDict()
        self._max_entries = max_entries
        self._max_age = max_age

    def get(self, token: str) -> Caller | None:
        """The caller ``token`` was verified as, unless it has expired or was never seen."""
        found = self._entries.get(token)
        if found is None:
            return None
        until, caller = found
        if self._clock.now() >= until:
            del self._entries[token]
            return None
        return caller

    def put(self, token: str, caller: Caller) -> None:
        until = min(caller.expires_at, self._clock.now() + self._max_age)
        self._entries[token] = (until, caller)
        self._entries.move_to_end(token)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
