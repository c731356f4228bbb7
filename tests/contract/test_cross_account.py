"""The cross-account matrix, which no off-the-shelf check covers.

Every operation of openapi.yaml × {no token, garbage, expired, wrongly signed, another
account's valid token} against a container of a real account (alice's): 401 or 403 exactly
as the contract says, the same 403 body (but ``instance``) for a foreign and an unknown id,
and WAP Core called for none of the refused requests. The agent listing and the health
summary name no container: another account's valid session gets 200 with its own
containers only.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.matrix import (
    CREDENTIALS,
    Credential,
    contract_operations,
    samples_by_operation,
    violations,
)
from tests.contract.stack import Stack

OPERATIONS = contract_operations()


@pytest.fixture(scope="module")
def client(contract_stack: Stack) -> Any:
    import httpx

    with httpx.Client(base_url=contract_stack.url, timeout=10) as client:
        yield client


def test_the_matrix_covers_every_operation_of_the_contract() -> None:
    assert set(samples_by_operation()) == set(OPERATIONS)
    assert {c.name for c in CREDENTIALS} == {
        "no token",
        "garbage",
        "expired",
        "wrongly signed",
        "another account",
    }


@pytest.mark.parametrize("credential", CREDENTIALS, ids=lambda c: c.name)
@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_a_caller_who_is_not_the_owner_is_refused_before_wap(
    stack: Stack, client: Any, operation_id: str, credential: Credential
) -> None:
    sample = samples_by_operation()[operation_id]
    assert violations(client, stack.wap, stack.token, sample, credential) == []
