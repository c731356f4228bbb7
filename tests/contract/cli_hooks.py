"""Hooks module of ``schemathesis.toml`` (``hooks = "tests.contract.cli_hooks"``).

The Schemathesis CLI imports it before a run: it registers the contract hooks globally
(the CLI tests one schema) and an auth provider that sends the access token in
``ARMORY_QA_TOKEN`` (``python -m tests.contract.qa`` sets it). An auth provider, not a
fixed header: Schemathesis then still sends its missing- and invalid-credential cases.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

from tests.contract.hooks import install

install(schemathesis)


@schemathesis.auth()
class QaToken:
    def get(self, case: Any, context: Any) -> str:
        token = os.environ.get("ARMORY_QA_TOKEN", "")
        if not token:
            raise RuntimeError(
                "ARMORY_QA_TOKEN is not set: run `python -m tests.contract.qa`, or set it to "
                "an access token of the account whose containers are tested"
            )
        return token

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
