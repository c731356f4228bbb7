"""Access tokens in the SuperTokens core's v5 format, signed with the stand-in's key.

What supertokens-python 0.31 checks (``recipe/session/jwt.py`` and
``access_token.py``):

* header ``typ == "JWT"``, ``version >= 3`` and a ``kid``; the ``kid`` must start
  with ``d-`` (a dynamic key) because the session recipe uses dynamic keys by
  default, otherwise the SDK answers "try refresh token";
* the signature, with the algorithm named by the header's ``alg``, against the
  JWKS key whose ``kid`` matches;
* claims ``sub``, ``exp`` and ``iat`` (seconds), ``sessionHandle``,
  ``refreshTokenHash1`` (strings), ``tId`` (v4+) and ``rsub`` (v5);
* ``parentRefreshTokenHash1`` must be ``null``: a non-null value makes the SDK
  ask the core (``POST /recipe/session/verify``) to confirm the token;
* ``antiCsrfToken`` is only read in ``VIA_TOKEN`` anti-CSRF mode; ``null`` here.

``iss`` is not read by the SDK and is left out.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from typing import Any

import jwt

from .keys import StubKey


def access_token_header(key: StubKey) -> dict[str, str]:
    return {"alg": "RS256", "typ": "JWT", "version": "5", "kid": key.kid}


def access_token_claims(
    account_id: str,
    *,
    ttl_seconds: int = 3600,
    now: float | None = None,
    session_handle: str | None = None,
    tenant_id: str = "public",
) -> dict[str, Any]:
    issued_at = int(time.time() if now is None else now)
    return {
        "iat": issued_at,
        "exp": issued_at + int(ttl_seconds),
        "sub": account_id,
        "tId": tenant_id,
        "rsub": account_id,
        "sessionHandle": session_handle or str(uuid.uuid4()),
        # The core stores a hash of the refresh token; only its shape matters here.
        "refreshTokenHash1": hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
        "parentRefreshTokenHash1": None,
        "antiCsrfToken": None,
    }


def mint_access_token(
    key: StubKey,
    account_id: str,
    *,
    ttl_seconds: int = 3600,
    now: float | None = None,
    session_handle: str | None = None,
    tenant_id: str = "public",
) -> str:
    """A signed v5 access token for ``account_id``, valid ``ttl_seconds`` from ``now``.

    A negative ``ttl_seconds`` (or an old ``now``) yields an expired token.
    """
    claims = access_token_claims(
        account_id,
        ttl_seconds=ttl_seconds,
        now=now,
        session_handle=session_handle,
        tenant_id=tenant_id,
    )
    return encode_jwt(access_token_header(key), claims, key)


def encode_jwt(header: dict[str, Any], claims: dict[str, Any], key: StubKey) -> str:
    """Sign ``claims`` with ``key`` under ``header`` (tests use it to build odd tokens).

    PyJWT serialises the header and claims compactly; ``alg`` picks the algorithm.
    """
    extra = {name: value for name, value in header.items() if name != "alg"}
    return jwt.encode(claims, key.private_key, algorithm=header.get("alg", "RS256"), headers=extra)
