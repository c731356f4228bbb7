"""Environment variables: read (secrets masked) and patch (protected names refused)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from service import errors
from service.domain import OwnedContainer
from service.errors import FieldError
from service.wap import AbstractWap

MASK = "********"
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def looks_secret(name: str) -> bool:
    upper = name.upper()
    return upper.endswith(("_KEY", "_TOKEN", "_SECRET")) or "PASSWORD" in upper


@dataclass(frozen=True)
class Variable:
    name: str
    value: str
    masked: bool


def present(variables: Mapping[str, str], *, reveal: bool) -> list[Variable]:
    shown = []
    for name in sorted(variables):
        masked = not reveal and looks_secret(name)
        shown.append(Variable(name, MASK if masked else variables[name], masked))
    return shown


async def read_env(wap: AbstractWap, container: OwnedContainer) -> dict[str, str]:
    return dict((await wap.get_container_env(container.wap_id)).variables)


@dataclass(frozen=True)
class EnvPatchOutcome:
    variables: dict[str, str]
    changed: list[str]
    restart_required: bool


async def patch_env(
    wap: AbstractWap,
    container: OwnedContainer,
    patch: Mapping[str, str | None],
    protected: Iterable[str],
) -> EnvPatchOutcome:
    """Apply a JSON Merge Patch (name → value sets, name → null unsets)."""
    bad = [n for n in patch if not NAME.match(n)]
    if bad:
        raise errors.Unprocessable(
            "Variable names must match [A-Za-z_][A-Za-z0-9_]*.",
            code="invalid_variable_name",
            errors=[FieldError(f"body.{n}", "is not a valid variable name") for n in bad],
        )
    refused = sorted(set(patch) & set(protected))
    if refused:
        raise errors.Unprocessable(
            f"These variables are protected and cannot be changed: {', '.join(refused)}.",
            code="protected_variable",
            errors=[FieldError(f"body.{n}", "is protected") for n in refused],
        )
    to_set = {n: v for n, v in patch.items() if v is not None}
    to_unset = [n for n, v in patch.items() if v is None]
    result = await wap.update_container_env(container.wap_id, to_set, to_unset)
    return EnvPatchOutcome(dict(result.variables), sorted(patch), result.restart_required)
