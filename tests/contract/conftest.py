"""The contract suite's stack: the stand-ins, shared by the package, and one served
service per module.

Tests that need another app (a recording event publisher, a deliberately broken one)
serve it on the same stand-ins with ``served(...)``, in modules that do not use
``contract_stack``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from service import demo
from tests.contract.stack import Stack, StandIns, serve, stand_ins


@pytest.fixture(scope="package")
def contract_stand_ins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIns]:
    with stand_ins(tmp_path_factory.mktemp("contract")) as si:
        yield si


@pytest.fixture(scope="module")
def contract_stack(
    contract_stand_ins: StandIns, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    # Per module, not per package: the SuperTokens SDK is process-global and each served
    # app resets it, so two apps must never be up at once (``served`` apps run in other
    # modules than this one).
    with serve(contract_stand_ins, tmp_path_factory.mktemp("contract-service")) as stack:
        yield stack


@pytest.fixture
def stack(contract_stack: Stack) -> Iterator[Stack]:
    """The shared service, with WAP back to its seed and no pending faults."""
    contract_stack.wap.reset(demo.wap_seed())
    yield contract_stack
    contract_stack.wap.clear_faults()


@pytest.fixture
def served(contract_stand_ins: StandIns, tmp_path: Any) -> Any:
    """``served(**adapters)``: another app on the stand-ins, on a fresh demo database."""
    contract_stand_ins.wap.reset(demo.wap_seed())

    def start(**adapters: Any) -> Any:
        workdir = tmp_path / f"app-{len(list(tmp_path.iterdir()))}"
        return serve(contract_stand_ins, workdir, **adapters)

    return start
