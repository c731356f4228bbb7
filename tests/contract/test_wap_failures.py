"""When WAP Core fails, every operation still keeps its contract: the only 5xx are the
documented 502 (``wap_unavailable``, ``wap_error``) and 504 (``wap_timeout``).

Schemathesis runs the contract's examples and a little fuzzing over every operation while
the WAP stub fails every call in one way; all checks run, ``not_a_server_error`` told to
expect 502/504 here (and only here), and the 5xx seen are checked against the fault.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from service.http.contract import Contract
from service.http.pipeline import public_operations
from tests.contract.engine import engine_config, run_engine
from tests.contract.schemas import contract_schema

FAULTS = {
    "WAP answers 500": ({"kind": "status", "status": 500}, {(502, "wap_error")}),
    "WAP answers garbage": ({"kind": "garbage"}, {(502, "wap_error")}),
    "WAP closes the connection": ({"kind": "close"}, {(502, "wap_unavailable")}),
    "WAP is too slow": ({"kind": "delay", "delay_seconds": 1.0}, {(504, "wap_timeout")}),
    # Every read arrives well within the read timeout, yet the answer never ends: only the
    # whole call's deadline stops it.
    "WAP drips its answer": ({"kind": "drip", "delay_seconds": 0.02}, {(504, "wap_timeout")}),
}
# WAP's read timeout: short where WAP is slowed down beyond it (keeps that run short),
# generous elsewhere (a loaded CI machine must not turn a 502 into a 504).
READ_TIMEOUTS = {"WAP is too slow": "0.1"}
# The settings of the drip run: a short deadline, and a followed log (which outlives any
# deadline) ended when no line has come for a moment.
EXTRA_ENV = {"WAP drips its answer": {"WAP_DEADLINE": "0.2", "STREAM_IDLE_SECONDS": "0.2"}}
WAP_MAY_FAIL = {"not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "502", "504"]}}


@pytest.mark.parametrize("name", FAULTS)
def test_a_failing_wap_answers_only_the_documented_502_or_504(served: Any, name: str) -> None:
    fault, expected = FAULTS[name]
    env = {"WAP_READ_TIMEOUT": READ_TIMEOUTS.get(name, "5"), **EXTRA_ENV.get(name, {})}
    with served(env=env) as stack:
        stack.wap.fault(**fault, times=100_000)
        seen: Counter[tuple[int, str]] = Counter()
        schema = contract_schema(
            stack.url,
            lambda: stack.token("alice"),
            overrides=engine_config(
                phases=("examples", "fuzzing"),
                max_examples=3,
                extra={"checks": WAP_MAY_FAIL, "generation": {"mode": "positive"}},
            ),
        )

        @schema.hook
        def after_call(context: Any, case: Any, response: Any) -> None:
            if response.status_code >= 500:
                seen[(response.status_code, json.loads(response.content).get("code"))] += 1

        # The probes proxy nothing: /readyz answers its own 503 (tests/e2e/test_probes.py).
        report = run_engine(schema.exclude(operation_id=sorted(public_operations(Contract.load()))))
        stack.wap.clear_faults()
    assert not report.failures and not report.errors, (report.details, report.errors)
    assert set(seen) == expected, seen
