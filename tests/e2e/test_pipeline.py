"""The request pipeline: contract-driven routes, validation, sessions and ownership."""

from __future__ import annotations

import re
from typing import Any

import pytest

from service.http.app import create_app, route_table
from service.http.contract import Contract
from service.http.pipeline import public_operations
from tests.fakes.sessions import FakeSessionVerifier
from tests.operations import (
    ALICE_MAIN,
    BOB_MAIN,
    PER_CONTAINER,
    SAMPLES,
    UNKNOWN,
    request_args,
)

PROBLEM = "application/problem+json"


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["title"] and body["detail"] and body["type"].startswith("https://")
    return body


def test_every_contract_operation_has_a_route_and_every_route_is_in_the_contract(
    settings: Any,
) -> None:
    contract = Contract.load()
    app = create_app(settings, sessions=FakeSessionVerifier({}))
    expected = {(op.method, op.sanic_uri) for op in contract.operations.values()}
    assert route_table(app) == expected
    authenticated = set(contract.operations) - public_operations(contract)  # not the probes
    assert len(authenticated) == len(SAMPLES) == 18
    assert {s.operation_id for s in SAMPLES} == authenticated


def test_drift_is_detected_when_the_contract_lacks_a_route(settings: Any) -> None:
    contract = Contract.load()
    app = create_app(settings, sessions=FakeSessionVerifier({}))
    app.add_route(lambda request: None, "/v1/agents/<containerId:str>/secret", name="secret")
    expected = {(op.method, op.sanic_uri) for op in contract.operations.values()}
    assert route_table(app) != expected


def test_the_running_service_serves_its_contract_and_docs(service: Any) -> None:
    spec = service.client.get("/openapi.json")
    assert spec.status_code == 200
    assert spec.json()["info"]["title"] == "Armory Agent Control API"
    assert set(spec.json()["paths"]) == set(Contract.load().spec["paths"])
    docs = service.client.get("/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
    assert "/docs/init.js" in docs.text  # the page's script, which loads the contract
    assert "/openapi.json" in service.client.get("/docs/init.js").text
    asset = re.search(r'src="(/docs/static/[^"]+)"', docs.text)
    assert asset is not None
    assert service.client.get(asset.group(1)).status_code == 200


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.operation_id)
def test_no_token_is_a_401_problem(service: Any, sample: Any) -> None:
    response = service.client.request(**request_args(sample, ALICE_MAIN, None))
    body = _problem(response, 401, "unauthorised")
    assert body["message"] == "unauthorised"


@pytest.mark.parametrize("sample", PER_CONTAINER, ids=lambda s: s.operation_id)
def test_another_accounts_container_is_a_403_like_an_unknown_one(
    service: Any, token: Any, sample: Any
) -> None:
    bob = token("bob")
    foreign = service.client.request(**request_args(sample, ALICE_MAIN, bob))
    unknown = service.client.request(**request_args(sample, UNKNOWN, bob))
    foreign_body = _problem(foreign, 403, "container_forbidden")
    unknown_body = _problem(unknown, 403, "container_forbidden")
    foreign_body.pop("instance"), unknown_body.pop("instance")
    assert foreign_body == unknown_body


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.operation_id)
def test_an_owned_container_passes_the_ownership_check(
    service: Any, token: Any, sample: Any
) -> None:
    response = service.client.request(**request_args(sample, BOB_MAIN, token("bob")))
    assert response.status_code not in (401, 403), response.text


def test_an_expired_token_asks_the_frontend_to_refresh(service: Any, token: Any) -> None:
    expired = token("alice", ttl_seconds=-60)
    response = service.client.get(f"/v1/agents/{ALICE_MAIN}/health", headers=service.as_(expired))
    body = _problem(response, 401, "try_refresh_token")
    assert body["message"] == "try refresh token"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer not-a-jwt", "Bearer x y", "Basic YWxpY2U6eA==", "Bearer a.b.c"],
)
def test_garbage_credentials_are_a_401(service: Any, authorization: str) -> None:
    response = service.client.get(
        f"/v1/agents/{ALICE_MAIN}/health", headers={"Authorization": authorization}
    )
    _problem(response, 401, "unauthorised")


def test_a_token_signed_by_another_key_is_a_401(service: Any) -> None:
    from supertokens_stub.keys import StubKey
    from supertokens_stub.tokens import mint_access_token

    forged = mint_access_token(StubKey.generate(), "alice")
    response = service.client.get(f"/v1/agents/{ALICE_MAIN}/health", headers=service.as_(forged))
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)


def test_the_session_cookie_works_for_reads(service: Any, token: Any) -> None:
    service.client.cookies.set("sAccessToken", token("bob"))
    response = service.client.get(f"/v1/agents/{ALICE_MAIN}/health")
    _problem(response, 403, "container_forbidden")


def test_a_cookie_authenticated_change_needs_the_anti_csrf_header(service: Any, token: Any) -> None:
    service.client.cookies.set("sAccessToken", token("alice"))
    refused = service.client.post(f"/v1/agents/{BOB_MAIN}/restart")
    _problem(refused, 401, "anti_csrf_failed")
    allowed = service.client.post(f"/v1/agents/{BOB_MAIN}/restart", headers={"rid": "anti-csrf"})
    _problem(allowed, 403, "container_forbidden")


def test_a_malformed_container_id_is_a_400_naming_the_field(service: Any, token: Any) -> None:
    response = service.client.get("/v1/agents/not-a-uuid/health", headers=service.as_(token("a")))
    body = _problem(response, 400, "invalid_request")
    assert [e["field"] for e in body["errors"]] == ["path.containerId"]


def test_query_parameters_are_validated_before_the_handler(service: Any, token: Any) -> None:
    response = service.client.get(
        f"/v1/agents/{BOB_MAIN}/logs",
        params={"tail": "many", "timestamps": ""},
        headers=service.as_(token("bob")),
    )
    body = _problem(response, 400, "invalid_request")
    fields = {e["field"] for e in body["errors"]}
    assert "query.tail" in fields


def test_a_body_that_breaks_its_schema_is_a_422_naming_the_field(service: Any, token: Any) -> None:
    response = service.client.post(
        f"/v1/agents/{BOB_MAIN}/update-version",
        json={"tag": "1.0.0", "force": True},
        headers=service.as_(token("bob")),
    )
    body = _problem(response, 422, "validation_failed")
    assert body["errors"]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe\x00garbage", b'{"tag": "\xc3\x28"}'],
    ids=["malformed", "binary", "bad-utf8"],
)
def test_a_malformed_or_non_utf8_body_is_a_400_never_a_500(
    service: Any, token: Any, content: bytes
) -> None:
    response = service.client.post(
        f"/v1/agents/{BOB_MAIN}/update-version",
        content=content,
        headers={**service.as_(token("bob")), "Content-Type": "application/json"},
    )
    _problem(response, 400, "malformed_body")


def test_a_body_of_the_wrong_media_type_is_a_415(service: Any, token: Any) -> None:
    response = service.client.post(
        f"/v1/agents/{BOB_MAIN}/update-version",
        content=b"tag=1.0.0",
        headers={**service.as_(token("bob")), "Content-Type": "application/x-www-form-urlencoded"},
    )
    _problem(response, 415, "unsupported_media_type")


def test_an_unknown_route_is_a_404_problem(service: Any) -> None:
    _problem(service.client.get("/v1/nothing-here"), 404, "not_found")


def test_a_wrong_method_is_a_405_with_allow(service: Any) -> None:
    response = service.client.delete(f"/v1/agents/{ALICE_MAIN}/restart")
    _problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"


def test_every_path_answers_a_method_it_lacks_with_405_and_allow_naming_its_methods(
    service: Any, alice: dict[str, str]
) -> None:
    methods: dict[str, set[str]] = {}
    for op in Contract.load().operations.values():
        methods.setdefault(op.path, set()).add(op.method)
    assert any(len(m) > 1 for m in methods.values())  # /env, /files/{path}
    for template, allowed in methods.items():
        url = template.replace("{containerId}", ALICE_MAIN).replace("{path}", "app/x.txt")
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - allowed:
            response = service.client.request(method, url, headers=alice)
            _problem(response, 405, "method_not_allowed")
            assert set(response.headers["allow"].split(", ")) == allowed, (method, url)


def test_steady_state_requests_make_no_supertokens_core_calls(
    service: Any, token: Any, st_core: Any
) -> None:
    bob = token("bob")
    service.client.get(f"/v1/agents/{BOB_MAIN}/versions", headers=service.as_(bob))
    st_core.reset_calls()
    for _ in range(40):
        response = service.client.get(f"/v1/agents/{BOB_MAIN}/versions", headers=service.as_(bob))
        assert response.status_code not in (401, 403)
    assert st_core.calls == {}
