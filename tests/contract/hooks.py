"""Schemathesis hooks shared by the pytest contract suite and ``python -m tests.contract.qa``.

``install(target)`` registers them on ``target``: one schema (pytest: scoped to the schema
under test) or the ``schemathesis`` module itself (the CLI, through ``cli_hooks``).

* ``map_case`` points generated requests at containers that exist, so that operations get
  past the ownership check and exercise WAP: most ``containerId`` values become one of
  alice's containers (every capability, read-only, none), some stay foreign or unknown (the
  403 path); most file paths land under the demo containers' roots. It never touches a
  component that was generated invalid on purpose, and Schemathesis re-validates whatever
  it changes. It also turns ``follow=true`` off: a followed log is an endless event stream
  (tested on its own in ``tests/test_endpoints_monitoring_env.py``).
* ``filter_failure`` drops one kind of failure only: ``positive_data_acceptance`` on a
  request that is valid by schema but refused by a *documented business rule* the schema
  cannot express (see ``business_refusal``). Every other failure is kept.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import zlib
from typing import Any
from urllib.parse import unquote

from schemathesis.core.parameters import ParameterLocation

from tests.operations import ALICE_BARE, ALICE_MAIN, ALICE_READONLY, BOB_MAIN

# Containers of the account the suite authenticates as (on the embedded stack alice's:
# every capability, read-only, none) and one of another account; against a real
# deployment, ARMORY_QA_CONTAINERS (comma-separated) and ARMORY_QA_FOREIGN_CONTAINER.
ALICE_CONTAINERS = (ALICE_MAIN, ALICE_READONLY, ALICE_BARE)


def target_containers() -> tuple[str, ...]:
    raw = os.environ.get("ARMORY_QA_CONTAINERS", "")
    return tuple(part.strip() for part in raw.split(",") if part.strip()) or ALICE_CONTAINERS


def foreign_container() -> str:
    return os.environ.get("ARMORY_QA_FOREIGN_CONTAINER", "") or BOB_MAIN


FILE_OPERATIONS = {"listAgentFiles", "readAgentFile", "writeAgentFile", "deleteAgentFile"}
_LEFTOVER_ENCODING = re.compile(r"%[0-9A-Fa-f]{2}")
# Control characters and lone surrogates, as service/usecases/paths.py refuses them.
_CONTROL_OR_SURROGATE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _slot(value: object, slots: int) -> int:
    # A function of the generated value (not a random draw), so Hypothesis can replay and shrink.
    return zlib.crc32(repr(value).encode("utf-8", "surrogatepass")) % slots


def pick_container(generated: object) -> object:
    """Mostly the caller's containers (the first most often); one in ten another
    account's, one in ten left as generated (unknown)."""
    mine = target_containers()
    if generated in mine:
        return generated  # already one of them (a stateful link, an explicit example)
    slot = _slot(generated, 10)
    if slot < 8:
        return mine[0] if slot < 6 else mine[(slot - 5) % len(mine)]
    if slot == 8:
        return foreign_container()
    return generated


def pick_file_path(generated: object) -> object:
    """A file path under the demo roots (writable, read-only), or left outside them."""
    text = unquote(str(generated)).lstrip("/")
    if not text or text.startswith("app/"):
        return generated  # "/" stays "/" (an empty path would be another route)
    roots = ("app/data/", "app/data/", "app/config/", "app/logs/", "")
    root = roots[_slot(generated, len(roots))]
    # Overwrite rather than prepend when the value is long: a maximum-length path stays one.
    return root + text[len(root) :] if len(text) > 2 * len(root) else root + text


def operation_id(case: Any) -> str:
    return str(case.operation.definition.raw.get("operationId", ""))


def map_case(context: Any, case: Any) -> Any:
    meta = case.meta
    negative_path = meta is not None and meta.is_negative_at(ParameterLocation.PATH)
    if case.path_parameters and not negative_path:
        params = dict(case.path_parameters)
        if "containerId" in params:
            params["containerId"] = pick_container(params["containerId"])
        if "path" in params:
            params["path"] = pick_file_path(params["path"])
        if params != case.path_parameters:
            case.path_parameters = params
    query = case.query
    if isinstance(query, dict) and str(query.get("follow", "")).lower() in ("true", "1"):
        case.query = {**query, "follow": "false"}
    declared = {parameter.name.lower() for parameter in case.operation.headers}
    if (
        meta is not None
        and not meta.is_negative_at(ParameterLocation.HEADER)
        and any(name.lower() in declared for name in case.headers or {})
    ):
        # Schemathesis' coverage phase cannot produce a value for a header whose pattern
        # needs a character outside [A-Za-z0-9] (an entity tag needs `"` or `*`) and seeds
        # "positive" cases with a value breaking it (`If-Match: 0`). Re-assigning the
        # headers makes it re-validate them, so such a case is judged as the negative
        # case it is (and must be refused) instead of failing positive_data_acceptance.
        case.headers = case.headers
    return case


def before_add_examples(context: Any, examples: list[Any]) -> None:
    # The examples phase applies no `map_case`: point the contract's examples at
    # containers that exist too (the examples' ids belong to nobody).
    for example in examples:
        map_case(context, example)


# --- business refusals ------------------------------------------------------------------


def problem_of(response: Any) -> dict[str, Any]:
    if "problem+json" not in (response.headers.get("content-type") or [""])[0]:
        return {}
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def breaks_documented_path_rule(raw: str) -> bool:
    """What openapi.yaml says answers 400 ``invalid_path`` but its schemas cannot express."""
    segments = raw.split("/")
    return (
        any(segment in (".", "..") for segment in segments)
        or bool(_CONTROL_OR_SURROGATE.search(raw))
        or "\\" in raw
        or bool(_LEFTOVER_ENCODING.search(raw))
    )


def _requested_path(case: Any) -> str | None:
    if operation_id(case) == "listAgentFiles":
        value = (case.query or {}).get("path")
    else:
        value = (case.path_parameters or {}).get("path")
    # Path parameters may already be percent-encoded for the wire; the server decodes once.
    return None if value is None else unquote(str(value))


def _is_valid_base64(text: object) -> bool:
    try:
        base64.b64decode(str(text).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return False
    return True


def business_refusal(case: Any, status: int, problem: dict[str, Any]) -> str | None:
    """Why a schema-valid request was rightly refused, or None if it should have passed.

    Each rule is documented in openapi.yaml and depends on state or on semantics that
    JSON Schema cannot express; each is matched on the problem ``code`` *and* re-checked
    on the request where it can be, so a regression elsewhere is still reported.
    """
    op, code = operation_id(case), problem.get("code")
    if status == 400 and code == "invalid_path" and op in FILE_OPERATIONS:
        detail = str(problem.get("detail", ""))
        path = _requested_path(case)
        if path is not None and breaks_documented_path_rule(path):
            return "the path breaks a documented path rule (., .., control characters, \\, %XX)"
        if detail.endswith(("is a directory", "is not a directory")):
            return "WAP refused the path for what it is (a file, not a directory, or back)"
        return None
    if status == 412 and code == "precondition_failed" and "If-Match" in (case.headers or {}):
        return "If-Match named another entity tag than the file's current one"
    if status == 422 and code == "unknown_tag" and op == "updateAgentVersion":
        return "the tag is not in the version catalogue"
    if status == 422 and code == "protected_variable" and op == "patchAgentEnv":
        return "the patch names a protected variable"
    if status == 422 and code == "validation_failed" and op == "writeAgentFile":
        body = case.body if isinstance(case.body, dict) else {}
        if body.get("encoding") == "base64" and not _is_valid_base64(body.get("content")):
            return "content is not valid base64"
    return None


def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    from schemathesis.openapi.checks import RejectedPositiveData

    if not isinstance(failure, RejectedPositiveData):
        return True
    return business_refusal(case, response.status_code, problem_of(response)) is None


def _raw_bytes(ctx: Any, response: Any) -> Any:
    # `readAgentFile` with `Accept: application/octet-stream`: any bytes are valid.
    return response.content.decode("latin-1")


def install(target: Any) -> None:
    """Register the hooks on a schema (``schema.hook``) or globally (``schemathesis``)."""
    import schemathesis

    target.hook(map_case)
    target.hook(before_add_examples)
    target.hook(filter_failure)
    schemathesis.deserializer("application/octet-stream")(_raw_bytes)
