"""Environment variables: read (secrets masked unless revealed) and patch (protected
names, invalid names and values refused before WAP is called).

A name matches ``NAME`` as a whole (``"PATH\\n"`` is no name). A value is text a process
environment can hold: no NUL (a C string ends there) nor other control character than
tab, line feed and carriage return, and no lone surrogate (it has no UTF-8 form).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from service import errors
from service.errors import FieldError
from service.sessions import Caller
from service.usecases.ownership import Ownership
from service.wap import AbstractWap

MASK = "********"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # matched with fullmatch
_UNFIT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def looks_secret(name: str) -> bool:
    upper = name.upper()
    return upper.endswith(("_KEY", "_TOKEN", "_SECRET")) or "PASSWORD" in upper


@dataclass(frozen=True)
class Variable:
    name: str
    value: str
    masked: bool


def present(variables: Mapping[str, str], *, reveal: bool) -> list[Variable]:
    """Sorted by name; values of secret-looking names masked unless ``reveal``."""
    shown = []
    for name in sorted(variables):
        masked = not reveal and looks_secret(name)
        shown.append(Variable(name, MASK if masked else variables[name], masked))
    return shown


@dataclass(frozen=True)
class EnvPatched:
    variables: list[Variable]  # masked
    changed: list[str]
    restart_required: bool


@dataclass(frozen=True)
class ReadEnv:
    ownership: Ownership
    wap: AbstractWap

    async def __call__(self, caller: Caller, container_id: str, *, reveal: bool) -> list[Variable]:
        container = await self.ownership.container(caller, container_id)
        found = await self.wap.get_container_env(container.wap_id)
        return present(found.variables, reveal=reveal)


class PatchEnv:
    """Applies a JSON Merge Patch (name → value sets, name → null unsets)."""

    def __init__(self, ownership: Ownership, wap: AbstractWap, protected: Iterable[str]) -> None:
        self.ownership = ownership
        self.wap = wap
        self.protected = frozenset(protected)

    async def __call__(
        self, caller: Caller, container_id: str, patch: Mapping[str, str | None]
    ) -> EnvPatched:
        container = await self.ownership.container(caller, container_id)
        bad = [n for n in patch if not NAME.fullmatch(n)]
        if bad:
            raise errors.Unprocessable(
                "Variable names must match [A-Za-z_][A-Za-z0-9_]*.",
                code="invalid_variable_name",
                errors=[FieldError(f"body.{n}", "is not a valid variable name") for n in bad],
            )
        unfit = [n for n, v in patch.items() if v is not None and _UNFIT.search(v)]
        if unfit:
            raise errors.Unprocessable(
                "Variable values cannot hold NUL, control characters other than tab, line "
                "feed and carriage return, or lone surrogates.",
                code="validation_failed",
                errors=[FieldError(f"body.{n}", "holds a character it may not") for n in unfit],
            )
        refused = sorted(set(patch) & self.protected)
        if refused:
            raise errors.Unprocessable(
                f"These variables are protected and cannot be changed: {', '.join(refused)}.",
                code="protected_variable",
                errors=[FieldError(f"body.{n}", "is protected") for n in refused],
            )
        # WAP answers the resulting environment only: what it was before tells which of
        # the patched names really changed (a patch that sets a value again changes nothing).
        before = (await self.wap.get_container_env(container.wap_id)).variables
        to_set = {n: v for n, v in patch.items() if v is not None}
        to_unset = [n for n, v in patch.items() if v is None]
        result = await self.wap.update_container_env(container.wap_id, to_set, to_unset)
        after = result.variables
        changed = sorted(n for n in patch if before.get(n) != after.get(n))
        return EnvPatched(present(after, reveal=False), changed, result.restart_required)
