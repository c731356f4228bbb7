"""Security headers on every answer: no sniffing, never cached, a CSP for the docs, and no
server banner on either port."""

from __future__ import annotations

import httpx

from tests.conftest import RunningService
from tests.operations import ALICE_MAIN


def _assert_api_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff", response.request.url
    assert response.headers["cache-control"] == "no-store", response.request.url
    assert "server" not in response.headers, response.request.url


def test_every_kind_of_api_answer_is_neither_sniffed_nor_cached(
    service: RunningService, alice: dict[str, str]
) -> None:
    base = f"/v1/agents/{ALICE_MAIN}"
    answers = [
        service.client.get(f"{base}/health", headers=alice),
        service.client.get(f"{base}/env", params={"reveal": "true"}, headers=alice),
        service.client.get(f"{base}/health"),  # 401 problem
        service.client.get("/v1/nothing-here", headers=alice),  # 404 problem
        service.client.get(
            f"{base}/files/app/config/agent.yaml",
            headers={**alice, "Accept": "application/octet-stream"},
        ),  # a stream
    ]
    assert [a.status_code for a in answers] == [200, 200, 401, 404, 200]
    for answer in answers:
        _assert_api_headers(answer)


def test_the_docs_page_has_a_content_security_policy_and_no_inline_script(
    service: RunningService,
) -> None:
    page = service.client.get("/docs")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "<script>" not in page.text  # every script is a file the policy allows
    assert service.client.get("/docs/init.js").status_code == 200


def test_socketio_names_no_server_either(service: RunningService) -> None:
    handshake = httpx.get(
        f"{service.sio_url}/socket.io/", params={"EIO": "4", "transport": "polling"}
    )
    assert handshake.status_code == 200
    assert "server" not in handshake.headers
