"""Settings, read once from the environment into a frozen object.

Every variable is listed in the README with its default. A bad value fails
loudly at start-up (``SettingsError``), never at the first request. Secrets
have no default, except in ``dev`` mode (``Settings.for_dev``), which runs the
embedded stand-ins on loopback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

DEV_WAP_USERNAME = "armory"
DEV_WAP_PASSWORD = "dev-only-wap-password"
DEV_SUPERTOKENS_URI = "http://127.0.0.1:3567"
DEV_WAP_URL = "http://127.0.0.1:8081"

WapHttpTransport = Literal["aiohttp", "httpcore"]
WAP_HTTP_TRANSPORTS: tuple[WapHttpTransport, ...] = ("aiohttp", "httpcore")


class SettingsError(ValueError):
    """A missing or malformed environment variable."""


def _url(env: Mapping[str, str], name: str, default: str | None, schemes: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if not value:
        raise SettingsError(f"{name} is required")
    parts = urlsplit(value)
    if parts.scheme not in schemes or not (parts.netloc or parts.path):
        raise SettingsError(f"{name}={value!r} is not a {'/'.join(schemes)} URL")
    return value.rstrip("/")


def _float(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0.001) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum}")
    return value


def _required(env: Mapping[str, str], name: str, default: str | None) -> str:
    value = env.get(name) or default
    if not value:
        raise SettingsError(f"{name} is required")
    return value


def _transport(env: Mapping[str, str], name: str, default: WapHttpTransport) -> WapHttpTransport:
    raw = env.get(name) or default
    for option in WAP_HTTP_TRANSPORTS:
        if raw == option:
            return option
    raise SettingsError(f"{name}={raw!r} is not one of {', '.join(WAP_HTTP_TRANSPORTS)}")


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in env.get(name, "").split(",") if item.strip())


@dataclass(frozen=True)
class Timeouts:
    """httpx timeouts for calls to WAP Core, in seconds."""

    connect: float = 3.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 5.0


@dataclass(frozen=True)
class Settings:
    database_url: str
    wap_url: str
    wap_username: str
    wap_password: str = field(repr=False)
    supertokens_connection_uri: str
    supertokens_api_key: str | None = field(default=None, repr=False)
    redis_url: str | None = None
    redis_prefix: str = "armory:"
    cors_origins: tuple[str, ...] = ()
    wap_timeouts: Timeouts = Timeouts()
    # What carries WapClient's httpx requests: aiohttp (bench/README.md: a fraction of
    # httpcore's CPU per call) or httpcore (httpx's own; what respx intercepts).
    wap_http_transport: WapHttpTransport = "aiohttp"
    max_file_bytes: int = 10 * 1024 * 1024
    health_poll_seconds: float = 10.0
    event_window: int = 500
    db_threads: int = 4
    protected_env_names: tuple[str, ...] = (
        "PATH",
        "HOME",
        "HOSTNAME",
        "WAP_AGENT_ID",
        "WAP_TRUST_TOKEN",
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dev: bool = False) -> Settings:
        """Read every setting from ``env`` (default ``os.environ``); raise ``SettingsError``."""
        env = os.environ if env is None else env
        protected = _list(env, "PROTECTED_ENV_NAMES")
        return cls(
            database_url=_url(
                env,
                "DATABASE_URL",
                f"sqlite:///{Path('var/armory.db').resolve()}",
                ("sqlite", "postgres", "postgresql"),
            ),
            wap_url=_url(env, "WAP_URL", DEV_WAP_URL if dev else None, ("http", "https")),
            wap_username=_required(env, "WAP_USERNAME", DEV_WAP_USERNAME if dev else None),
            wap_password=_required(env, "WAP_PASSWORD", DEV_WAP_PASSWORD if dev else None),
            supertokens_connection_uri=_url(
                env,
                "SUPERTOKENS_CONNECTION_URI",
                DEV_SUPERTOKENS_URI if dev else None,
                ("http", "https"),
            ),
            supertokens_api_key=env.get("SUPERTOKENS_API_KEY") or None,
            redis_url=(
                _url(env, "REDIS_URL", None, ("redis", "rediss")) if env.get("REDIS_URL") else None
            ),
            redis_prefix=env.get("REDIS_PREFIX") or "armory:",
            cors_origins=_list(env, "CORS_ORIGINS"),
            wap_timeouts=Timeouts(
                connect=_float(env, "WAP_CONNECT_TIMEOUT", 3.0),
                read=_float(env, "WAP_READ_TIMEOUT", 30.0),
                write=_float(env, "WAP_WRITE_TIMEOUT", 30.0),
                pool=_float(env, "WAP_POOL_TIMEOUT", 5.0),
            ),
            wap_http_transport=_transport(env, "WAP_HTTP_TRANSPORT", "aiohttp"),
            max_file_bytes=_int(env, "MAX_FILE_BYTES", 10 * 1024 * 1024),
            health_poll_seconds=_float(env, "HEALTH_POLL_SECONDS", 10.0, minimum=0.05),
            event_window=_int(env, "EVENT_WINDOW", 500),
            db_threads=_int(env, "DB_THREADS", 4),
            **({"protected_env_names": protected} if protected else {}),
        )

    def replace(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]
