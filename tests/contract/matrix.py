"""The cross-account matrix: every operation × every kind of credential that must be refused.

``violations(...)`` sends one request and returns what is wrong with the answer (an empty
list when nothing is), so that the same code checks the real service and, in
``test_checks_can_fail.py``, deliberately broken ones.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from service import demo
from service.http.contract import Contract
from service.http.pipeline import public_operations
from tests.fixtures.contract import assert_contract
from tests.operations import ALICE_MAIN, SAMPLES, UNKNOWN, Sample, request_args

ALICE_IDS = frozenset(c["id"] for c in demo.CONTAINERS if c["account_id"] == "alice")
BOB_IDS = frozenset(c["id"] for c in demo.CONTAINERS if c["account_id"] == "bob")
TARGET = ALICE_MAIN  # a real container of a real account (alice's)


@functools.cache
def _foreign_key() -> Any:
    from supertokens_stub.keys import StubKey

    return StubKey.generate()


@dataclass(frozen=True)
class Credential:
    """A way of calling as someone who must not reach alice's container."""

    name: str
    token: Callable[[Callable[..., str]], str | None]  # (mint) -> bearer token or None
    status: int  # for a per-container operation
    code: str

    def headers(self, mint: Callable[..., str]) -> dict[str, str]:
        token = self.token(mint)
        return {} if token is None else {"Authorization": f"Bearer {token}"}


def _forged(mint: Callable[..., str]) -> str:
    from supertokens_stub.tokens import mint_access_token

    return mint_access_token(_foreign_key(), "alice")


CREDENTIALS = [
    Credential("no token", lambda mint: None, 401, "unauthorised"),
    Credential("garbage", lambda mint: "not-a-jwt", 401, "unauthorised"),
    Credential("expired", lambda mint: mint("alice", ttl_seconds=-60), 401, "try_refresh_token"),
    # A key the core does not know reads, to the SuperTokens SDK, like a rotated-out key:
    # the client is told to refresh (which fails for a forged token), as openapi.yaml says.
    Credential("wrongly signed", _forged, 401, "try_refresh_token"),
    Credential("another account", lambda mint: mint("bob"), 403, "container_forbidden"),
]


@functools.cache
def contract_operations() -> tuple[str, ...]:
    """The operation ids openapi.yaml lists now that need a session (not the probes)."""
    contract = Contract.load()
    return tuple(sorted(set(contract.operations) - public_operations(contract)))


def samples_by_operation() -> dict[str, Sample]:
    """One valid request per operation of openapi.yaml; fails loudly on a missing sample."""
    by_id = {sample.operation_id: sample for sample in SAMPLES}
    missing = sorted(set(contract_operations()) - set(by_id))
    assert not missing, f"tests/operations.py has no sample for {missing}: add one"
    return {op_id: by_id[op_id] for op_id in contract_operations()}


# The operations that change state: each call that passes the ownership check is audited
# (service/usecases/audit.py), a refused one must leave no entry in alice's trail.
AUDITED = frozenset(
    {
        "restartAgent",
        "stopAgent",
        "startAgent",
        "updateAgentVersion",
        "writeAgentFile",
        "deleteAgentFile",
        "patchAgentEnv",
    }
)


def newest_audit_entry(client: httpx.Client, mint: Callable[..., str]) -> Any:
    """The id of the newest entry of alice's trail of ``TARGET`` as she reads it (None:
    none), or what she was answered instead."""
    response = client.get(
        f"/v1/agents/{TARGET}/audit",
        params={"limit": "1"},
        headers={"Authorization": f"Bearer {mint('alice')}"},
    )
    if response.status_code != 200:
        return f"{response.status_code} {response.text[:100]}"
    entries = response.json()["entries"]
    return entries[0]["id"] if entries else None


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _contract_problem(response: httpx.Response) -> str | None:
    try:
        assert_contract(response)
    except Exception as exc:  # openapi-core raises several unrelated types
        return f"breaks openapi.yaml: {type(exc).__name__}: {exc}"
    return None


def violations(
    client: httpx.Client,
    wap: Any,
    mint: Callable[..., str],
    sample: Sample,
    credential: Credential,
) -> list[str]:
    """What is wrong with how ``credential`` is refused on ``sample`` (empty: nothing)."""
    found: list[str] = []
    headers = credential.headers(mint)
    token = headers.get("Authorization", "").removeprefix("Bearer ") or None

    def send(container_id: str) -> httpx.Response:
        wap.clear_calls()
        response = client.request(**request_args(sample, container_id, token))
        calls = wap.calls()
        refused = response.status_code in (401, 403)
        if refused and calls:
            ops = [c["operationId"] for c in calls]
            found.append(f"{container_id}: refused with {response.status_code} but WAP got {ops}")
        return response

    audited = sample.operation_id in AUDITED
    trail_before = newest_audit_entry(client, mint) if audited else None
    response = send(TARGET)
    if audited:  # every credential here must be refused: none may reach alice's trail
        trail_after = newest_audit_entry(client, mint)
        if trail_after != trail_before:
            found.append(
                f"answered {response.status_code} and recorded in alice's audit trail "
                f"({trail_before} -> {trail_after})"
            )
    if sample.per_container or credential.status == 401:
        body = _problem(response)
        if response.status_code != credential.status or body.get("code") != credential.code:
            found.append(
                f"expected {credential.status} {credential.code}, got "
                f"{response.status_code} {body.get('code')}: {response.text[:200]}"
            )
        elif (problem := _contract_problem(response)) is not None:
            found.append(problem)
        if sample.per_container and credential.status == 403:
            unknown = send(UNKNOWN)
            foreign_body = {k: v for k, v in body.items() if k != "instance"}
            unknown_body = {k: v for k, v in _problem(unknown).items() if k != "instance"}
            if unknown.status_code != response.status_code or unknown_body != foreign_body:
                found.append(
                    f"a foreign and an unknown id answer differently: {response.status_code} "
                    f"{foreign_body} vs {unknown.status_code} {unknown_body}"
                )
    else:
        # The listing and the health summary name no container: another account's valid
        # session answers 200 with that account's containers only.
        if response.status_code != 200:
            found.append(f"expected 200, got {response.status_code}: {response.text[:200]}")
            return found
        listed = {c["containerId"] for c in response.json()["containers"]}
        if not listed <= BOB_IDS:
            foreign = sorted(listed - BOB_IDS)
            found.append(f"{sample.operation_id} lists containers bob does not own: {foreign}")
        leaked = [cid for cid in ALICE_IDS if cid in response.text]
        if leaked:
            found.append(f"alice's containers appear in bob's {sample.operation_id}: {leaked}")
        if (problem := _contract_problem(response)) is not None:
            found.append(problem)
    return found
