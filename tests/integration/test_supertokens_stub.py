"""The SuperTokens core stand-in: its key, its tokens, its endpoints and its CLI."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from supertokens_python.constants import SUPPORTED_CDI_VERSIONS

from supertokens_stub.keys import StubKey, load_or_create_key
from supertokens_stub.server import StubCore
from supertokens_stub.tokens import mint_access_token

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def key() -> StubKey:
    return StubKey.generate()


@pytest.fixture
def core(key: StubKey) -> Iterator[StubCore]:
    with StubCore(key) as running:
        yield running


def header_of(token: str) -> dict[str, Any]:
    segment = token.split(".")[0]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded


def verify_with_jwks(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    jwk_set = jwt.PyJWKSet.from_dict(jwks)
    signing_key = jwk_set[header_of(token)["kid"]]
    claims: dict[str, Any] = jwt.decode(token, signing_key.key, algorithms=["RS256"])
    return claims


# keys


def test_a_missing_key_file_is_created_with_its_parent_directories(tmp_path: Path) -> None:
    path = tmp_path / "var" / "nested" / "key.pem"

    key = load_or_create_key(path)

    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert path.stat().st_mode & 0o777 == 0o600
    assert key.private_key.key_size == 2048


def test_a_key_file_is_loaded_again_with_the_same_kid(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    first = load_or_create_key(path)

    second = load_or_create_key(path)

    assert second.kid == first.kid
    assert second.jwks() == first.jwks()


def test_the_kid_is_a_dynamic_key_id_derived_from_the_public_key(tmp_path: Path) -> None:
    one = load_or_create_key(tmp_path / "one.pem")
    two = load_or_create_key(tmp_path / "two.pem")

    assert re.fullmatch(r"d-[0-9a-f]{16}", one.kid)
    assert one.kid != two.kid


def test_a_key_file_that_holds_no_rsa_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    with pytest.raises(ValueError, match="RSA"):
        load_or_create_key(path)


def test_the_jwks_publishes_the_public_key_as_an_rs256_signing_key(key: StubKey) -> None:
    (jwk,) = key.jwks()["keys"]

    assert {k: jwk[k] for k in ("kty", "kid", "alg", "use", "e")} == {
        "kty": "RSA",
        "kid": key.kid,
        "alg": "RS256",
        "use": "sig",
        "e": "AQAB",
    }
    assert "d" not in jwk  # never the private exponent


# tokens


def test_a_minted_token_has_the_v5_header_the_sdk_expects(key: StubKey) -> None:
    token = mint_access_token(key, "alice")

    assert header_of(token) == {"alg": "RS256", "typ": "JWT", "version": "5", "kid": key.kid}


def test_a_minted_token_carries_every_v5_claim(key: StubKey) -> None:
    token = mint_access_token(
        key, "alice", ttl_seconds=600, now=1_800_000_000.7, session_handle="handle-1"
    )

    claims = jwt.decode(token, options={"verify_signature": False})

    assert claims == {
        "iat": 1_800_000_000,
        "exp": 1_800_000_600,
        "sub": "alice",
        "rsub": "alice",
        "tId": "public",
        "sessionHandle": "handle-1",
        "refreshTokenHash1": claims["refreshTokenHash1"],
        "parentRefreshTokenHash1": None,
        "antiCsrfToken": None,
    }
    assert re.fullmatch(r"[0-9a-f]{64}", claims["refreshTokenHash1"])


def test_each_minted_token_gets_its_own_session_handle(key: StubKey) -> None:
    first = jwt.decode(mint_access_token(key, "alice"), options={"verify_signature": False})
    second = jwt.decode(mint_access_token(key, "alice"), options={"verify_signature": False})

    assert first["sessionHandle"] != second["sessionHandle"]


def test_a_minted_token_verifies_against_the_published_jwks(key: StubKey) -> None:
    claims = verify_with_jwks(mint_access_token(key, "alice", tenant_id="t1"), key.jwks())

    assert (claims["sub"], claims["tId"]) == ("alice", "t1")


# server


def test_the_stub_serves_the_jwks(core: StubCore, key: StubKey) -> None:
    response = httpx.get(f"{core.url}/.well-known/jwks.json")

    assert response.status_code == 200
    assert response.json() == key.jwks()


def test_the_stub_lists_the_cdi_versions_the_installed_sdk_supports(core: StubCore) -> None:
    response = httpx.get(f"{core.url}/apiversion", params={"apiDomain": "http://127.0.0.1"})

    assert response.json() == {"versions": SUPPORTED_CDI_VERSIONS}


def test_the_stub_says_hello(core: StubCore) -> None:
    response = httpx.get(f"{core.url}/hello")

    assert (response.status_code, response.text.strip()) == (200, "Hello")


def test_the_stub_mints_a_token_for_a_subject(core: StubCore, key: StubKey) -> None:
    before = time.time()
    response = httpx.post(f"{core.url}/_stub/token", json={"sub": "alice", "ttlSeconds": 120})

    assert response.status_code == 200
    claims = verify_with_jwks(response.json()["accessToken"], key.jwks())
    assert claims["sub"] == "alice"
    assert claims["exp"] - claims["iat"] == 120
    assert claims["iat"] >= int(before)


def test_the_stub_mints_one_hour_tokens_by_default(core: StubCore) -> None:
    token = httpx.post(f"{core.url}/_stub/token", json={"sub": "alice"}).json()["accessToken"]

    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 3600


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b"{}",
        b'{"sub": ""}',
        b'{"sub": 7}',
        b'{"sub": "alice", "ttlSeconds": "60"}',
        b'{"sub": "alice", "ttlSeconds": true}',
        b'{"sub": "alice", "ttlSeconds": 1.5}',
    ],
)
def test_the_stub_refuses_a_bad_token_request(core: StubCore, body: bytes) -> None:
    response = httpx.post(f"{core.url}/_stub/token", content=body)

    assert response.status_code == 400
    assert response.json()["message"]


def test_the_stub_answers_404_to_anything_else_and_counts_it(core: StubCore) -> None:
    response = httpx.post(f"{core.url}/recipe/session/verify", json={})

    assert response.status_code == 404
    assert core.calls == {"/recipe/session/verify": 1}


def test_the_stub_counts_core_calls_per_path_but_not_its_own_endpoints(core: StubCore) -> None:
    httpx.get(f"{core.url}/.well-known/jwks.json")
    httpx.get(f"{core.url}/.well-known/jwks.json")
    httpx.get(f"{core.url}/apiversion?apiDomain=x")
    httpx.post(f"{core.url}/_stub/token", json={"sub": "alice"})

    served = httpx.get(f"{core.url}/_stub/calls").json()

    expected = {"/.well-known/jwks.json": 2, "/apiversion": 1}
    assert core.calls == expected
    assert served == {"calls": expected}


def test_the_stub_counts_concurrent_calls_exactly(core: StubCore) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: httpx.get(f"{core.url}/hello").status_code, range(40)))

    assert statuses == [200] * 40
    assert core.calls == {"/hello": 40}


def test_resetting_the_counts_forgets_earlier_calls(core: StubCore) -> None:
    httpx.get(f"{core.url}/hello")

    core.reset_calls()

    assert core.calls == {}


def test_the_stub_binds_an_ephemeral_port_and_frees_it_when_stopped(key: StubKey) -> None:
    with StubCore(key, port=0) as core:
        port = int(core.url.rsplit(":", 1)[1])
        assert port > 0
        assert httpx.get(f"{core.url}/hello").status_code == 200

    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port), 1):
        pass


def test_a_running_stub_cannot_be_started_twice(core: StubCore) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        core.start()


def test_the_cli_serves_until_interrupted(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "key.pem"
    process = subprocess.Popen(
        [sys.executable, "-m", "supertokens_stub", "--port", "0", "--key-file", str(key_file)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        match = re.search(r"on (http://127\.0\.0\.1:\d+) \(kid (d-[0-9a-f]+)\)", banner)
        assert match, banner
        url, kid = match.groups()

        assert httpx.get(f"{url}/hello").status_code == 200
        assert httpx.get(f"{url}/.well-known/jwks.json").json()["keys"][0]["kid"] == kid
        assert load_or_create_key(key_file).kid == kid
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)

    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
