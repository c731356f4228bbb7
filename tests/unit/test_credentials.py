"""Which access token an HTTP request presents, and the cookie's anti-CSRF rule.

Moved from ``tests/test_session_verifier.py`` when the session port stopped
choosing the token: these rules now live in ``service.http.credentials``.
"""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

from service import errors
from service.http.credentials import presented_token

ALICE = "alice-token"
BOB = "bob-token"


def presented(
    *,
    authorization: str | None = None,
    cookie: str | None = None,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> str:
    return presented_token(
        authorization=authorization,
        cookies={} if cookie is None else {"sAccessToken": cookie},
        method=method,
        headers=headers or {},
    )


def test_a_bearer_token_is_the_presented_token() -> None:
    assert presented(authorization=f"Bearer {ALICE}") == ALICE


def test_the_session_cookie_is_the_presented_token_without_an_authorization_header() -> None:
    assert presented(cookie=ALICE) == ALICE


@pytest.mark.parametrize(
    "request_parts",
    [
        pytest.param({}, id="no-credentials"),
        pytest.param({"authorization": ""}, id="an-empty-authorization-header"),
        pytest.param({"authorization": "   "}, id="a-blank-authorization-header"),
        pytest.param({"cookie": ""}, id="an-empty-session-cookie"),
        *(
            pytest.param({"authorization": header, "cookie": ALICE}, id=f"{header!r}-and-a-cookie")
            for header in ["Bearer", "Bearer ", "Bearer    ", "bearer"]
        ),
        pytest.param({"authorization": "Basic YXJtb3J5OnB3"}, id="another-scheme-and-no-cookie"),
    ],
)
def test_a_request_that_presents_no_token_is_unauthorised(request_parts: dict[str, str]) -> None:
    # A bearer header without a token is not rescued by the cookie: the header is in charge.
    with pytest.raises(errors.Unauthorised) as raised:
        presented(**request_parts)

    assert type(raised.value) is errors.Unauthorised
    assert (raised.value.status, raised.value.instance_code) == (401, "unauthorised")


def test_the_bearer_scheme_is_case_insensitive() -> None:
    assert presented(authorization=f"bEaReR {ALICE}") == ALICE


def test_spaces_around_the_bearer_token_are_not_part_of_it() -> None:
    assert presented(authorization=f"  Bearer   {ALICE}  ") == ALICE


def test_the_bearer_header_wins_over_the_cookie() -> None:
    assert presented(authorization=f"Bearer {ALICE}", cookie=BOB) == ALICE


def test_an_invalid_bearer_token_is_not_rescued_by_a_valid_cookie() -> None:
    # The header's token is presented, whatever it is; verifying it then refuses it.
    assert presented(authorization="Bearer garbage", cookie=BOB) == "garbage"


def test_another_authorization_scheme_leaves_the_cookie_in_charge() -> None:
    assert presented(authorization="Basic YXJtb3J5OnB3", cookie=BOB) == BOB


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "get"])
def test_a_cookie_on_a_safe_method_needs_no_anti_csrf_header(method: str) -> None:
    assert presented(cookie=ALICE, method=method) == ALICE


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "post"])
def test_a_cookie_on_a_state_changing_method_without_rid_fails_anti_csrf(method: str) -> None:
    with pytest.raises(errors.Unauthorised) as raised:
        presented(cookie=ALICE, method=method, headers={"x-requested-with": "fetch"})

    assert raised.value.instance_code == "anti_csrf_failed"
    assert raised.value.status == 401
    assert raised.value.problem()["code"] == "anti_csrf_failed"


@pytest.mark.parametrize("rid_header", ["rid", "RID", "Rid"])
def test_a_cookie_on_a_state_changing_method_with_rid_is_accepted(rid_header: str) -> None:
    assert presented(cookie=ALICE, method="POST", headers={rid_header: "session"}) == ALICE


def test_a_bearer_token_on_a_state_changing_method_needs_no_rid() -> None:
    assert presented(authorization=f"Bearer {ALICE}", method="DELETE") == ALICE


def test_a_bearer_token_on_a_state_changing_method_wins_over_a_cookie_without_rid() -> None:
    assert presented(authorization=f"Bearer {ALICE}", cookie=BOB, method="POST") == ALICE


@pytest.mark.parametrize(
    "values",
    [
        [f"Bearer {ALICE}", f"Bearer {BOB}"],
        [f"Bearer {ALICE}", f"Bearer {ALICE}"],
        [f"Bearer {ALICE}", "Basic YXJtb3J5OnB3"],
    ],
    ids=["two-tokens", "the-same-twice", "bearer-and-basic"],
)
def test_more_than_one_authorization_header_is_a_bad_request(values: list[str]) -> None:
    headers = CIMultiDict([("Authorization", values[0]), ("authorization", values[1])])
    with pytest.raises(errors.BadRequest) as refused:
        presented_token(authorization=values[0], cookies={}, method="GET", headers=headers)
    assert (refused.value.status, refused.value.instance_code) == (400, "invalid_request")


def test_one_authorization_header_among_others_is_read() -> None:
    headers = CIMultiDict([("Authorization", f"Bearer {ALICE}"), ("Accept", "*/*")])
    token = presented_token(
        authorization=f"Bearer {ALICE}", cookies={}, method="GET", headers=headers
    )
    assert token == ALICE
