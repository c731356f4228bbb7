"""``python -m tests.contract.qa``: the one-command QA run, as QA runs it (a subprocess).

Against the embedded stack it must find nothing and write a JUnit report; against a
deployment given by ``--url`` and ``--token`` that is broken, it must exit non-zero and
report the failure. Either way it leaves the containers it tested as it found them.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from sanic.response import HTTPResponse

from service.http.render import json_response
from tests.contract.qa import REPO_ROOT
from tests.contract.test_checks_can_fail import wrap_handlers

TIMEOUT = 300


def qa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.contract.qa", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def junit_totals(path: Path) -> dict[str, int]:
    suites = ET.parse(path).getroot()
    return {key: int(suites.get(key, "0")) for key in ("tests", "failures", "errors")}


def test_the_qa_command_finds_nothing_on_the_embedded_stack(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    done = qa("--", "--max-examples", "20", "--report-junit-path", str(junit))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    totals = junit_totals(junit)
    assert totals["failures"] == totals["errors"] == 0
    assert totals["tests"] >= 16  # one per operation, and the stateful tests
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert phase in done.stdout
    # What the run changed on alice's containers (env, a stop, files ...) is put back.
    assert "put back: " in done.stdout
    assert "left the target containers as it found them" in done.stdout


def test_the_qa_command_fails_when_a_deployment_breaks_its_contract(
    served: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    async def wrong_shape(call: Any) -> HTTPResponse:
        return json_response({"containerId": call.container_id, "status": "fine"})

    wrap_handlers(monkeypatch, {"getAgentHealth": lambda real: wrong_shape})
    junit = tmp_path / "junit.xml"
    with served() as stack:
        done = qa(
            "--url",
            stack.url,
            "--token",
            stack.token("alice"),
            "--",
            "--include-operation-id",
            "getAgentHealth",
            "--phases",
            "examples",
            "--report-junit-path",
            str(junit),
        )
    assert done.returncode != 0, done.stdout[-4000:]
    assert "Response violates schema" in done.stdout  # response_schema_conformance
    assert junit_totals(junit)["failures"] >= 1


def _alices(state: dict[str, Any]) -> dict[str, Any]:
    from service import demo

    alices = {c["wap_container_id"] for c in demo.CONTAINERS if c["account_id"] == "alice"}
    return {
        c["id"]: {part: c.get(part) for part in ("status", "tag", "env", "files")}
        for c in state["containers"]
        if c["id"] in alices
    }


def test_the_qa_command_leaves_the_target_containers_as_it_found_them(
    served: Any, tmp_path: Path
) -> None:
    with served() as stack:
        before = _alices(stack.wap.state())
        done = qa(
            "--url",
            stack.url,
            "--token",
            stack.token("alice"),
            "--",
            "--include-operation-id",
            "patchAgentEnv",
            "--include-operation-id",
            "stopAgent",
            "--include-operation-id",
            "writeAgentFile",
            "--phases",
            "examples",
            "--report-junit-path",
            str(tmp_path / "junit.xml"),
        )
        after = _alices(stack.wap.state())
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    # The run did change things (so the check below means something), and put them back.
    assert "environment:" in done.stdout and "started again" in done.stdout, done.stdout[-3000:]
    assert "left the target containers as it found them" in done.stdout
    assert after == before
