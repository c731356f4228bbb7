"""No problem detail a client can read holds placeholder text: every literal given to an
``errors.ApiError`` in ``service/`` (and every detail of WAP's error table) is finished
words, not ``<container>`` or a ``{name}`` that missed its ``f``."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from service import errors
from service.adapters.wap_errors import STATUS_ERRORS

SERVICE = Path(__file__).resolve().parents[2] / "service"
ERROR_CLASSES = {
    name
    for name, value in inspect.getmembers(errors, inspect.isclass)
    if issubclass(value, errors.ApiError)
}
# <container>, <wap id>; not `Bearer <METRICS_TOKEN>`, which names a setting on purpose.
ANGLE = re.compile(r"<[a-z_][a-z0-9_ -]*>")
BRACES = re.compile(r"\{[A-Za-z_][A-Za-z0-9_.]*\}")  # {container_id}: not an f-string


def placeholders(text: str, *, formatted: bool) -> list[str]:
    found = ANGLE.findall(text)
    return found if formatted else found + BRACES.findall(text)


def _callee(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def error_texts() -> Iterator[tuple[str, str, bool]]:
    """(where, literal text, whether it is part of an f-string) of each error's words."""
    for path in sorted(SERVICE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _callee(node) in ERROR_CLASSES):
                continue
            where = f"{path.relative_to(SERVICE.parent)}:{node.lineno}"
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                for part in ast.walk(arg):
                    if isinstance(part, ast.JoinedStr):
                        for piece in part.values:
                            if isinstance(piece, ast.Constant) and isinstance(piece.value, str):
                                yield where, piece.value, True
                    elif isinstance(part, ast.Constant) and isinstance(part.value, str):
                        yield where, part.value, False


def test_the_scan_finds_the_words_of_the_errors_raised() -> None:
    texts = [text for _, text, _ in error_texts()]
    assert len(texts) > 50
    assert "This container no longer exists." in texts


def test_no_error_raised_in_the_service_holds_placeholder_text() -> None:
    found = [
        f"{where}: {text!r}"
        for where, text, formatted in error_texts()
        if placeholders(text, formatted=formatted)
    ]
    assert found == []


@pytest.mark.parametrize(("status", "wap_code"), sorted(STATUS_ERRORS, key=str))
def test_the_wap_error_table_words_each_detail_whole(status: int, wap_code: str | None) -> None:
    _, _, detail = STATUS_ERRORS[(status, wap_code)]
    assert placeholders(detail, formatted=False) == []


@pytest.mark.parametrize(
    "text", ["container <container> is already stopped", "no container {container_id}"]
)
def test_placeholders_are_recognised(text: str) -> None:
    assert placeholders(text, formatted=False)
