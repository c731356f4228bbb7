"""Schemathesis over every operation of openapi.yaml, against the live service.

Phases: the contract's examples, the coverage phase (boundaries, wrong types, missing and
invalid credentials, undeclared methods, malformed and non-UTF-8 bodies) and fuzzing; every
built-in check. Authenticated as alice by a Schemathesis auth provider; the hooks point
most requests at her containers (``tests/contract/hooks.py``). One test per operation
that openapi.yaml lists when the suite is collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from service import demo
from tests.contract.schemas import contract_schema
from tests.contract.stack import Stack, mint

schema = contract_schema(None, lambda: mint("alice"))


@pytest.fixture(scope="module", autouse=True)
def fresh_wap(contract_stack: Stack) -> Iterator[None]:
    contract_stack.wap.reset(demo.wap_seed())
    yield
    contract_stack.wap.clear_faults()


@schema.parametrize()
def test_the_operation_keeps_its_contract(case: Any, contract_stack: Stack) -> None:
    case.call_and_validate(base_url=contract_stack.url)
