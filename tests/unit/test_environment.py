"""Environment variables: ReadEnv masks secret-looking values unless revealed; PatchEnv
applies a merge patch in one WAP call and refuses protected and malformed names before WAP
is asked anything."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields

import pytest

from service import errors
from service.sessions import Caller
from service.settings import Settings
from service.usecases.environment import MASK, PatchEnv, ReadEnv, Variable, looks_secret, present
from service.wap_types import EnvUpdate, EnvVariables
from tests.fakes.wap import FakeWap
from tests.unit.conftest import ALICE, BOB, MINE, THEIRS, UNKNOWN, World


def _default_protected() -> tuple[str, ...]:
    """The default of the setting, read from its field so that the list is written once."""
    default = next(f.default for f in fields(Settings) if f.name == "protected_env_names")
    assert isinstance(default, tuple)
    return default


PROTECTED = _default_protected()


def _patch_env(world: World) -> PatchEnv:
    return PatchEnv(world.ownership, world.wap, PROTECTED)


def _env(world: World, container_id: str = MINE) -> dict[str, str]:
    return world.wap.containers[world.wap_id(container_id)].env


class ReversedWap(FakeWap):
    """Answers variables in reverse name order, so sorting is the use case's own work."""

    async def get_container_env(self, wap_id: str) -> EnvVariables:
        found = await super().get_container_env(wap_id)
        return EnvVariables(found.id, _reversed(found.variables))

    async def update_container_env(
        self, wap_id: str, set: Mapping[str, str], unset: Sequence[str]
    ) -> EnvUpdate:
        done = await super().update_container_env(wap_id, set, unset)
        return EnvUpdate(done.id, _reversed(done.variables), done.restart_required)


def _reversed(variables: Mapping[str, str]) -> dict[str, str]:
    return dict(sorted(variables.items(), reverse=True))


def _reversed_wap(world: World) -> ReversedWap:
    wap = ReversedWap(clock=world.clock)
    env = {"ZED": "z", "ALPHA": "a", "middle": "m", "BETA_TOKEN": "t"}
    wap.add_container(world.wap_id(MINE), env=env)
    return wap


# --- looks_secret and present ---------------------------------------------------------


SECRET_LOOKING = (
    "OPENAI_API_KEY api_key GITHUB_TOKEN Slack_Token CLIENT_SECRET client_secret"
    " DB_PASSWORD password MyPasswordHint PASSWORD_FILE"
).split()
PLAIN = (
    "LOG_LEVEL PATH KEY MONKEY TOKEN SECRET KEY_ID TOKEN_COUNT SECRETARY PASSWD TOKENIZER_MODEL"
).split()


@pytest.mark.parametrize(
    ("name", "secret"), [*((n, True) for n in SECRET_LOOKING), *((n, False) for n in PLAIN)]
)
def test_a_name_looks_secret_if_it_ends_in_key_token_or_secret_or_contains_password(
    name: str, secret: bool
) -> None:
    assert looks_secret(name) is secret


def test_present_sorts_by_name_and_masks_secret_looking_values() -> None:
    shown = present({"ZED": "z", "DB_PASSWORD": "hunter2", "ALPHA": "a"}, reveal=False)
    assert shown == [
        Variable("ALPHA", "a", False),
        Variable("DB_PASSWORD", "********", True),
        Variable("ZED", "z", False),
    ]
    assert MASK == "********"


def test_present_with_reveal_masks_nothing() -> None:
    shown = present({"ZED": "z", "DB_PASSWORD": "hunter2"}, reveal=True)
    assert shown == [Variable("DB_PASSWORD", "hunter2", False), Variable("ZED", "z", False)]


# --- ReadEnv --------------------------------------------------------------------------


async def test_read_env_masks_secret_looking_values(world: World) -> None:
    shown = await ReadEnv(world.ownership, world.wap)(ALICE, MINE, reveal=False)
    assert shown == [
        Variable("LOG_LEVEL", "info", False),
        Variable("OPENAI_API_KEY", "********", True),
        Variable("PATH", "/usr/bin", False),
    ]
    assert world.wap.calls == [("get_container_env", (world.wap_id(MINE),))]


async def test_read_env_with_reveal_shows_secrets_in_clear(world: World) -> None:
    shown = await ReadEnv(world.ownership, world.wap)(ALICE, MINE, reveal=True)
    assert Variable("OPENAI_API_KEY", "sk-secret", False) in shown
    assert not any(v.masked for v in shown)


async def test_read_env_sorts_variables_by_name_whatever_order_wap_answers(
    world: World,
) -> None:
    shown = await ReadEnv(world.ownership, _reversed_wap(world))(ALICE, MINE, reveal=False)
    assert [v.name for v in shown] == ["ALPHA", "BETA_TOKEN", "ZED", "middle"]
    assert [v.masked for v in shown] == [False, True, False, False]


@pytest.mark.parametrize("container_id", [THEIRS, UNKNOWN])
async def test_read_env_of_a_container_not_owned_is_forbidden_before_wap(
    world: World, container_id: str
) -> None:
    with pytest.raises(errors.Forbidden) as refused:
        await ReadEnv(world.ownership, world.wap)(ALICE, container_id, reveal=True)
    assert refused.value.instance_code == "container_forbidden"
    assert world.wap.calls == []


# --- PatchEnv -------------------------------------------------------------------------


async def test_a_merge_patch_sets_and_unsets_in_one_wap_update(world: World) -> None:
    patch = {"LOG_LEVEL": "debug", "FEATURE_X": "on", "OPENAI_API_KEY": None}
    await _patch_env(world)(ALICE, MINE, patch)
    # The environment is read first (to tell what really changed), then updated once.
    assert [name for name, _ in world.wap.calls] == ["get_container_env", "update_container_env"]
    assert world.wap.calls_to("update_container_env") == [
        (world.wap_id(MINE), {"LOG_LEVEL": "debug", "FEATURE_X": "on"}, ("OPENAI_API_KEY",))
    ]
    assert _env(world) == {"LOG_LEVEL": "debug", "FEATURE_X": "on", "PATH": "/usr/bin"}


async def test_a_patch_reports_the_patched_names_sorted_and_the_restart_wap_asks_for(
    world: World,
) -> None:
    outcome = await _patch_env(world)(
        ALICE, MINE, {"ZZ_NEW": "1", "LOG_LEVEL": "debug", "OPENAI_API_KEY": None}
    )
    assert outcome.changed == ["LOG_LEVEL", "OPENAI_API_KEY", "ZZ_NEW"]
    assert outcome.restart_required is True


async def test_a_patch_that_changes_nothing_needs_no_restart_as_wap_says(world: World) -> None:
    outcome = await _patch_env(world)(ALICE, MINE, {"LOG_LEVEL": "info"})
    assert outcome.restart_required is False
    assert len(world.wap.calls_to("update_container_env")) == 1


async def test_changed_lists_only_the_names_whose_value_actually_changed(world: World) -> None:
    outcome = await _patch_env(world)(
        ALICE, MINE, {"LOG_LEVEL": "info", "NEVER_SET": None, "FEATURE_X": "on"}
    )
    assert outcome.changed == ["FEATURE_X"]


async def test_the_patched_answer_is_masked_and_sorted(world: World) -> None:
    outcome = await PatchEnv(world.ownership, _reversed_wap(world), PROTECTED)(
        ALICE, MINE, {"DB_PASSWORD": "hunter2", "LOG_LEVEL": "debug"}
    )
    assert outcome.variables == [
        Variable("ALPHA", "a", False),
        Variable("BETA_TOKEN", "********", True),
        Variable("DB_PASSWORD", "********", True),
        Variable("LOG_LEVEL", "debug", False),
        Variable("ZED", "z", False),
        Variable("middle", "m", False),
    ]
    assert "hunter2" not in repr(outcome)


def test_the_default_protected_names_are_the_documented_ones() -> None:
    # Also keeps the parametrized tests below from silently running on an empty list.
    assert sorted(PROTECTED) == ["HOME", "HOSTNAME", "PATH", "WAP_AGENT_ID", "WAP_TRUST_TOKEN"]


@pytest.mark.parametrize("name", PROTECTED)
@pytest.mark.parametrize("value", ["changed", None], ids=["set", "unset"])
async def test_a_protected_variable_is_refused_before_wap(
    world: World, name: str, value: str | None
) -> None:
    before = dict(_env(world))
    with pytest.raises(errors.Unprocessable) as refused:
        await _patch_env(world)(ALICE, MINE, {"LOG_LEVEL": "debug", name: value})
    assert refused.value.status == 422
    assert refused.value.instance_code == "protected_variable"
    assert [e.field for e in refused.value.errors] == [f"body.{name}"]
    assert world.wap.calls == []
    assert _env(world) == before


async def test_every_refused_protected_variable_is_named(world: World) -> None:
    with pytest.raises(errors.Unprocessable) as refused:
        await _patch_env(world)(
            ALICE, MINE, {"WAP_TRUST_TOKEN": "x", "LOG_LEVEL": "debug", "HOME": None}
        )
    assert refused.value.instance_code == "protected_variable"
    assert [e.field for e in refused.value.errors] == ["body.HOME", "body.WAP_TRUST_TOKEN"]
    assert "HOME" in refused.value.detail and "WAP_TRUST_TOKEN" in refused.value.detail
    assert world.wap.calls == []


async def test_the_protected_names_are_the_configured_ones(world: World) -> None:
    patch_env = PatchEnv(world.ownership, world.wap, ("LOG_LEVEL",))
    with pytest.raises(errors.Unprocessable) as refused:
        await patch_env(ALICE, MINE, {"LOG_LEVEL": "debug"})
    assert refused.value.instance_code == "protected_variable"
    assert world.wap.calls == []
    outcome = await patch_env(ALICE, MINE, {"PATH": "/opt/bin"})
    assert outcome.changed == ["PATH"] and _env(world)["PATH"] == "/opt/bin"


@pytest.mark.parametrize(
    "name",
    ["1ABC", "MY-VAR", "", "PATH\n", "LOG_LEVEL\n", " LOG_LEVEL", "A B", "CAFÉ", "A=B"],
    ids=repr,
)
async def test_an_invalid_variable_name_is_refused_before_wap(world: World, name: str) -> None:
    with pytest.raises(errors.Unprocessable) as refused:
        await _patch_env(world)(ALICE, MINE, {"LOG_LEVEL": "debug", name: "x"})
    assert refused.value.status == 422
    assert refused.value.instance_code == "invalid_variable_name"
    assert [e.field for e in refused.value.errors] == [f"body.{name}"]
    assert world.wap.calls == []


@pytest.mark.parametrize(
    "value", ["a\x00b", "\x00", "bell\x07", "esc\x1b[31m", "del\x7f", "\ud800"], ids=repr
)
async def test_a_value_with_nul_another_control_character_or_a_lone_surrogate_is_refused(
    world: World, value: str
) -> None:
    before = dict(_env(world))
    with pytest.raises(errors.Unprocessable) as refused:
        await _patch_env(world)(ALICE, MINE, {"LOG_LEVEL": "debug", "NOTE": value})
    assert (refused.value.status, refused.value.instance_code) == (422, "validation_failed")
    assert [e.field for e in refused.value.errors] == ["body.NOTE"]
    assert world.wap.calls == []
    assert _env(world) == before


async def test_a_value_may_hold_tabs_and_line_breaks(world: World) -> None:
    pem = "-----BEGIN KEY-----\r\nabc\tdef\n-----END KEY-----\n"
    outcome = await _patch_env(world)(ALICE, MINE, {"TLS_KEY": pem})
    assert outcome.changed == ["TLS_KEY"] and _env(world)["TLS_KEY"] == pem


async def test_names_with_underscores_digits_and_lower_case_are_valid(world: World) -> None:
    outcome = await _patch_env(world)(ALICE, MINE, {"_private": "1", "agent_v2": "2"})
    assert outcome.changed == ["_private", "agent_v2"]
    assert _env(world)["_private"] == "1" and _env(world)["agent_v2"] == "2"


@pytest.mark.parametrize("caller, container_id", [(BOB, MINE), (ALICE, THEIRS), (ALICE, UNKNOWN)])
async def test_patching_a_container_not_owned_is_forbidden_before_wap(
    world: World, caller: Caller, container_id: str
) -> None:
    with pytest.raises(errors.Forbidden) as refused:
        await _patch_env(world)(caller, container_id, {"LOG_LEVEL": "debug"})
    assert refused.value.instance_code == "container_forbidden"
    assert world.wap.calls == []
