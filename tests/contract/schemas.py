"""openapi.yaml as a Schemathesis schema aimed at a running service, configured like the CLI.

The configuration is the repository's ``schemathesis.toml`` minus what only the CLI uses
(``[auth]``: here a Schemathesis auth provider mints alice's tokens; ``hooks``: here they
are registered on this schema alone; ``[reports]``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig

from service.http.contract import SPEC_PATH
from tests.contract.hooks import install

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_PATH = REPO_ROOT / "schemathesis.toml"


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def suite_config(
    base_url: str | None = None, overrides: Mapping[str, Any] | None = None
) -> SchemathesisConfig:
    data = tomllib.loads(CONFIG_PATH.read_text(encoding="utf-8"))
    for cli_only in ("auth", "hooks", "reports"):
        data.pop(cli_only, None)
    if base_url is not None:
        data["base-url"] = base_url
    # No example database: a test run leaves nothing behind in the working tree.
    data = _merge(data, {"generation": {"database": "none"}})
    return SchemathesisConfig.from_dict(_merge(data, overrides or {}))


def register_session_auth(schema: Any, mint: Callable[[], str]) -> None:
    """A Schemathesis auth provider, on this schema only, that sends a fresh access token.

    Schemathesis knows the token came from an auth provider, so its negative-auth cases
    (missing or invalid ``Authorization``) and ``ignored_auth`` still work.
    """

    @schema.auth()
    class SessionToken:
        def get(self, case: Any, context: Any) -> str:
            return mint()

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def contract_schema(
    base_url: str | None,
    mint: Callable[[], str],
    *,
    overrides: Mapping[str, Any] | None = None,
    spec: Mapping[str, Any] | None = None,
) -> Any:
    """openapi.yaml (or ``spec``) against ``base_url``, with the suite's hooks and auth.

    ``base_url`` may be None when the schema is built at import time (pytest collects one
    test per operation from it); the test then gives it to ``case.call_and_validate``.
    """
    config = suite_config(base_url, overrides)
    if spec is None:
        schema = schemathesis.openapi.from_path(SPEC_PATH, config=config)
    else:
        schema = schemathesis.openapi.from_dict(dict(spec), config=config)
    install(schema)
    register_session_auth(schema, mint)
    return schema
