"""Which access token an HTTP request presents, and the session cookie's anti-CSRF rule.

The rules (those of SuperTokens' own framework adapters, with
``anti_csrf="VIA_CUSTOM_HEADER"``):

* ``Authorization: Bearer <token>`` (scheme case-insensitive) names the token, and
  wins over the ``sAccessToken`` cookie even when its token turns out to be
  invalid: a bad bearer token is never rescued by a cookie. A Bearer header with
  no token is refused.
* An ``Authorization`` header with another scheme (say ``Basic``, added by a
  proxy) is not ours: the cookie is used instead.
* More than one ``Authorization`` header is refused (400): which one a proxy, the
  framework or a later reader takes differs, so the request says nothing for sure.
* The cookie on a state-changing method (anything but GET, HEAD and OPTIONS,
  case-insensitively) needs a ``rid`` header, whose name is matched
  case-insensitively and whose value is not read: a cross-site form cannot set a
  custom header. Bearer tokens are not subject to it.

Verifying the token is the session port's business
(``service.sessions.AbstractSessionVerifier.verify``), not this module's.
"""

from __future__ import annotations

from collections.abc import Mapping

from service import errors
from service.sessions import ACCESS_TOKEN_COOKIE

ANTI_CSRF_HEADER = "rid"
AUTHORIZATION_HEADER = "authorization"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def presented_token(
    *,
    authorization: str | None,
    cookies: Mapping[str, str],
    method: str,
    headers: Mapping[str, str],
) -> str:
    """The request's access token, by the module's rules.

    Raises ``errors.Unauthorised`` when the request presents no token (or an empty
    bearer token), ``errors.Unauthorised(code="anti_csrf_failed")`` when the
    cookie comes on a state-changing method without the ``rid`` header, and
    ``errors.BadRequest`` when ``headers`` (a multi-dict: each header once per value)
    holds more than one ``Authorization``.
    """
    if sum(name.lower() == AUTHORIZATION_HEADER for name in headers) > 1:
        raise errors.BadRequest(
            "The request has more than one Authorization header; send exactly one.",
            code="invalid_request",
        )
    if authorization is not None and authorization.strip():
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() == "bearer":
            token = credentials.strip()
            if not token:
                raise errors.Unauthorised("The Authorization header has no bearer token.")
            return token
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
    return token
