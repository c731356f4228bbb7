"""Settings fail loudly and keep secrets out of defaults; the CLI's offline commands work."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from service.cli import main
from service.settings import Settings, SettingsError

PRODUCTION = {
    "DATABASE_URL": "postgresql://armory:pw@db.internal:5432/armory",
    "WAP_URL": "https://wap.internal",
    "WAP_USERNAME": "armory",
    "WAP_PASSWORD": "s3cret",
    "SUPERTOKENS_CONNECTION_URI": "https://auth.internal",
}


def test_production_settings_are_read_once_into_a_frozen_object() -> None:
    settings = Settings.from_env(PRODUCTION)
    assert settings.wap_url == "https://wap.internal" and settings.redis_url is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.wap_url = "x"  # type: ignore[misc]
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    "secret", ["WAP_URL", "WAP_USERNAME", "WAP_PASSWORD", "SUPERTOKENS_CONNECTION_URI"]
)
def test_no_secret_or_upstream_has_a_default_outside_dev(secret: str) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != secret}
    with pytest.raises(SettingsError, match=secret):
        Settings.from_env(env)
    assert Settings.from_env(env, dev=True)  # dev fills it in with the embedded stand-ins


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WAP_URL", "ftp://wap"),
        ("DATABASE_URL", "mysql://x/y"),
        ("REDIS_URL", "http://redis"),
        ("WAP_READ_TIMEOUT", "soon"),
        ("WAP_CONNECT_TIMEOUT", "0"),
        ("MAX_FILE_BYTES", "-1"),
        ("HEALTH_POLL_SECONDS", "x"),
        ("DB_THREADS", "1.5"),
    ],
)
def test_a_bad_value_fails_loudly_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({**PRODUCTION, name: value})


def test_lists_are_comma_separated() -> None:
    settings = Settings.from_env(
        {**PRODUCTION, "CORS_ORIGINS": "https://a.example, https://b.example"}
    )
    assert settings.cors_origins == ("https://a.example", "https://b.example")


def test_serve_refuses_to_start_without_its_secrets(monkeypatch: Any, capsys: Any) -> None:
    for name in PRODUCTION:
        monkeypatch.delenv(name, raising=False)
    assert main(["serve"]) == 2
    assert "configuration error" in capsys.readouterr().err


def test_migrate_and_seed_demo_are_idempotent(
    tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    assert main(["migrate"]) == 0
    assert "schema version 2" in capsys.readouterr().out
    assert main(["seed-demo"]) == 0
    assert "13 rows added" in capsys.readouterr().out
    assert main(["seed-demo"]) == 0
    assert "0 rows added" in capsys.readouterr().out


def test_token_prints_a_token_the_stand_in_core_accepts(tmp_path: Path, capsys: Any) -> None:
    import jwt

    from supertokens_stub.keys import load_or_create_key

    key_file = tmp_path / "key.pem"
    assert main(["token", "alice", "--key-file", str(key_file)]) == 0
    token = capsys.readouterr().out.strip()
    public = load_or_create_key(key_file).private_key.public_key()
    assert jwt.decode(token, public, algorithms=["RS256"])["sub"] == "alice"


def test_the_redis_prefix_has_a_default_and_can_be_set() -> None:
    assert Settings.from_env(PRODUCTION).redis_prefix == "armory:"
    assert Settings.from_env({**PRODUCTION, "REDIS_PREFIX": "eu1:"}).redis_prefix == "eu1:"
