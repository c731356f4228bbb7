"""Settings fail loudly and keep secrets out of defaults; the CLI's offline commands work."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from service.adapters.migrations import available
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


@pytest.mark.parametrize(("workers", "redis_url"), [(1, None), (4, "redis://127.0.0.1:6379/0")])
def test_one_worker_needs_no_redis_and_more_may_serve_with_it(
    workers: int, redis_url: str | None
) -> None:
    # The refusal itself (more workers, no Redis): tests/e2e/test_serve_command.py.
    from service.http.serving import require_redis_for_workers

    env = PRODUCTION if redis_url is None else {**PRODUCTION, "REDIS_URL": redis_url}
    require_redis_for_workers(Settings.from_env(env), workers)  # does not raise


def test_migrate_and_seed_demo_are_idempotent(
    tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    assert main(["migrate"]) == 0
    newest = max(m.version for m in available("sqlite"))
    assert f"schema version {newest}\n" in capsys.readouterr().out
    assert main(["seed-demo"]) == 0
    assert "13 rows added" in capsys.readouterr().out
    assert main(["seed-demo"]) == 0
    assert "0 rows added" in capsys.readouterr().out


def _signed_by(token: str, key_file: Path) -> str:
    import jwt

    from supertokens_stub.keys import load_or_create_key

    public = load_or_create_key(key_file).private_key.public_key()
    return str(jwt.decode(token, public, algorithms=["RS256"])["sub"])


def test_token_prints_a_token_the_stand_in_core_accepts(tmp_path: Path, capsys: Any) -> None:
    from supertokens_stub.keys import load_or_create_key

    key_file = tmp_path / "key.pem"
    load_or_create_key(key_file)
    assert main(["token", "alice", "--key-file", str(key_file)]) == 0
    assert _signed_by(capsys.readouterr().out.strip(), key_file) == "alice"


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: Any) -> Path:
    """A stand-in for the checkout the service runs from (never the real one's key)."""
    from service import cli

    folder = tmp_path / "checkout"
    monkeypatch.setattr(cli, "CHECKOUT", folder)
    return folder


def test_token_run_below_the_folder_dev_ran_in_signs_with_dev_s_key(
    tmp_path: Path, checkout: Path, monkeypatch: Any, capsys: Any
) -> None:
    from service.cli import DEFAULT_KEY_FILE
    from supertokens_stub.keys import load_or_create_key

    project = tmp_path / "project"
    load_or_create_key(project / DEFAULT_KEY_FILE)  # as `armory-agents dev` made it there
    deeper = project / "frontend" / "src"
    deeper.mkdir(parents=True)
    monkeypatch.chdir(deeper)
    assert main(["token", "alice"]) == 0
    assert _signed_by(capsys.readouterr().out.strip(), project / DEFAULT_KEY_FILE) == "alice"
    assert not (deeper / DEFAULT_KEY_FILE).exists()  # no new key nobody verifies


def test_token_run_from_anywhere_finds_the_key_of_the_checkout(
    tmp_path: Path, checkout: Path, monkeypatch: Any, capsys: Any
) -> None:
    from service.cli import DEFAULT_KEY_FILE
    from supertokens_stub.keys import load_or_create_key

    load_or_create_key(checkout / DEFAULT_KEY_FILE)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["token", "bob"]) == 0
    assert _signed_by(capsys.readouterr().out.strip(), checkout / DEFAULT_KEY_FILE) == "bob"


def test_token_without_a_dev_key_fails_naming_the_key_file_and_makes_none(
    tmp_path: Path, checkout: Path, monkeypatch: Any, capsys: Any
) -> None:
    from service.cli import DEFAULT_KEY_FILE

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["token", "alice"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert str(elsewhere / DEFAULT_KEY_FILE) in err and str(checkout / DEFAULT_KEY_FILE) in err
    assert "armory-agents dev" in err
    assert not (elsewhere / DEFAULT_KEY_FILE).exists()
    missing = tmp_path / "nowhere.pem"
    assert main(["token", "alice", "--key-file", str(missing)]) == 1
    assert str(missing) in capsys.readouterr().err
    assert not missing.exists()


def test_dev_allows_the_usual_local_frontends_and_any_header_and_serve_allows_none() -> None:
    dev = Settings.from_env({}, dev=True)
    for origin in ("http://localhost:5173", "http://127.0.0.1:5173", "http://localhost:3000"):
        assert origin in dev.cors_origins
    assert "http://localhost:8080" in dev.cors_origins
    assert dev.cors_allow_headers == ("*",)
    served = Settings.from_env(PRODUCTION)  # what `serve` reads
    assert served.cors_origins == () and served.cors_allow_headers == ()
    mine = Settings.from_env({"CORS_ORIGINS": "http://localhost:9999"}, dev=True)
    assert mine.cors_origins == ("http://localhost:9999",)  # replaces the list


def test_the_redis_prefix_has_a_default_and_can_be_set() -> None:
    assert Settings.from_env(PRODUCTION).redis_prefix == "armory:"
    assert Settings.from_env({**PRODUCTION, "REDIS_PREFIX": "eu1:"}).redis_prefix == "eu1:"


def _variables(cls: type[Any] = Settings) -> dict[str, dataclasses.Field[Any]]:
    """Every environment variable the settings read, with the field it fills."""
    found: dict[str, dataclasses.Field[Any]] = {}
    for f in dataclasses.fields(cls):
        if "group" in f.metadata:
            found.update(_variables(f.metadata["group"]))
        else:
            found[f.metadata["env"]] = f
    return found


def _readme_settings() -> dict[str, str]:
    """The README's Settings table: each variable's default cell."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    cells: dict[str, str] = {}
    for line in table.splitlines():
        if not line.startswith("| `"):
            continue
        names, default = (cell.strip() for cell in line.split(" | ")[:2])
        names = [n.strip(" |`") for n in names.split(" / ")]
        defaults = default.removesuffix(" s").split(" / ") if len(names) > 1 else [default]
        assert len(defaults) == len(names), line
        cells.update(zip(names, defaults, strict=True))
    return cells


def _as_documented(value: object) -> str:
    if value is None or value == ():
        return "none"
    if isinstance(value, tuple):
        return f"`{','.join(value)}`"
    if isinstance(value, str):
        return f"`{value}`"
    return f"{value:g}" if isinstance(value, float) else str(value)


def test_the_readme_documents_every_variable_with_the_default_the_code_has() -> None:
    variables, documented = _variables(), _readme_settings()
    assert set(documented) == set(variables)
    local = Settings.from_env({k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"})
    for name, f in variables.items():
        if f.default is not dataclasses.MISSING:
            expected = _as_documented(f.default)
        elif name == "DATABASE_URL":
            expected = _as_documented(local.database_url.replace(str(Path.cwd()), "<cwd>"))
        else:
            expected = "none"
        assert documented[name].split(" (")[0] == expected, name
        if f.metadata["dev"] is not None and f.repr:  # a secret's dev value is not printed
            assert f"(`dev`: `{f.metadata['dev']}`)" in documented[name], name
