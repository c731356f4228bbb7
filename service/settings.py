"""Settings, read once from the environment into a frozen object.

Every variable is listed in the README with its default. A bad value fails
loudly at start-up (``SettingsError``), never at the first request. Secrets
have no default, except in dev mode (``Settings.from_env(env, dev=True)``, what
the CLI's local commands use), which points them at the embedded stand-ins on
loopback.

Each setting is written once, as a field below: its type, its default, and in
its metadata (``variable``) the environment variable that sets it, how that
variable's text is cast, and the value dev mode gives a field that has no
default. ``from_env`` reads the fields; nothing else holds a default.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

WapHttpTransport = Literal["http1", "aiohttp", "httpcore"]
WAP_HTTP_TRANSPORTS: tuple[WapHttpTransport, ...] = ("http1", "aiohttp", "httpcore")

LogFormat = Literal["json", "text"]
LOG_FORMATS: tuple[LogFormat, ...] = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

Cast = Callable[[str, str], Any]
"""``cast(name, text)``: a variable's text (never empty) as the field's value, or
``SettingsError``. ``None`` counts the variable as unset."""


class SettingsError(ValueError):
    """A missing or malformed environment variable."""


def _text(name: str, raw: str) -> str:
    return raw


def _url(*schemes: str) -> Cast:
    def cast(name: str, raw: str) -> str:
        parts = urlsplit(raw)
        if parts.scheme not in schemes or not (parts.netloc or parts.path):
            raise SettingsError(f"{name}={raw!r} is not a {'/'.join(schemes)} URL")
        return raw.rstrip("/")

    return cast


def _number(parse: Callable[[str], float], what: str, minimum: float) -> Cast:
    def cast(name: str, raw: str) -> float:
        try:
            value = parse(raw)
        except ValueError:
            raise SettingsError(f"{name}={raw!r} is not {what}") from None
        if value < minimum:
            raise SettingsError(f"{name}={raw!r} must be at least {minimum}")
        return value

    return cast


def _seconds(minimum: float = 0.001) -> Cast:
    return _number(float, "a number", minimum)


def _count(minimum: int = 1) -> Cast:
    return _number(int, "a whole number", minimum)


def _bytes_at_most(maximum: int) -> Cast:
    count = _count(minimum=1024)

    def cast(name: str, raw: str) -> int:
        value = int(count(name, raw))
        if value > maximum:
            raise SettingsError(f"{name}={raw!r} must be at most {maximum}")
        return value

    return cast


def _transport(name: str, raw: str) -> WapHttpTransport:
    for option in WAP_HTTP_TRANSPORTS:
        if raw == option:
            return option
    raise SettingsError(f"{name}={raw!r} is not one of {', '.join(WAP_HTTP_TRANSPORTS)}")


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _flag(name: str, raw: str) -> bool:
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not one of {', '.join(_TRUE + _FALSE)}")


def _log_format(name: str, raw: str) -> LogFormat:
    for option in LOG_FORMATS:
        if raw == option:
            return option
    raise SettingsError(f"{name}={raw!r} is not one of {', '.join(LOG_FORMATS)}")


def _log_level(name: str, raw: str) -> str:
    level = raw.strip().upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"{name}={raw!r} is not one of {', '.join(LOG_LEVELS)}")
    return level


def _names(name: str, raw: str) -> tuple[str, ...] | None:
    """Comma-separated; a list of no names at all is left unset (so the default holds)."""
    return tuple(item.strip() for item in raw.split(",") if item.strip()) or None


def _local_database() -> str:
    # Resolved when the settings are read: the working directory of the command.
    return f"sqlite:///{Path('var/armory.db').resolve()}"


def variable(
    name: str,
    cast: Cast = _text,
    *,
    dev: str | None = None,
    fallback: Callable[[], str] | None = None,
) -> dict[str, Any]:
    """A field's metadata: environment variable ``name``, read with ``cast``.

    When the variable is unset the field's own default holds; a field with none
    takes ``dev`` in dev mode, else ``fallback()``, else is required. Those two
    are texts, and cast like the variable's.
    """
    return {"env": name, "cast": cast, "dev": dev, "fallback": fallback}


def _group(cls: type[Any]) -> dict[str, Any]:
    """A field's metadata: a dataclass whose own fields are variables."""
    return {"group": cls}


def _read(cls: type[Any], env: Mapping[str, str], dev: bool) -> dict[str, Any]:
    """The fields of ``cls`` that ``env`` (or dev mode) sets; the rest keep their defaults."""
    values: dict[str, Any] = {}
    for f in fields(cls):
        meta = f.metadata
        if "group" in meta:
            values[f.name] = meta["group"](**_read(meta["group"], env, dev))
            continue
        name = meta["env"]
        raw = env.get(name) or (meta["dev"] if dev else None)
        if not raw and meta["fallback"] is not None:
            raw = meta["fallback"]()
        value = meta["cast"](name, raw) if raw else None
        if value is not None:
            values[f.name] = value
        elif f.default is MISSING:
            raise SettingsError(f"{name} is required")
    return values


@dataclass(frozen=True)
class Timeouts:
    """httpx timeouts for calls to WAP Core, in seconds."""

    connect: float = field(default=3.0, metadata=variable("WAP_CONNECT_TIMEOUT", _seconds()))
    read: float = field(default=30.0, metadata=variable("WAP_READ_TIMEOUT", _seconds()))
    write: float = field(default=30.0, metadata=variable("WAP_WRITE_TIMEOUT", _seconds()))
    pool: float = field(default=5.0, metadata=variable("WAP_POOL_TIMEOUT", _seconds()))
    # The most a whole call may take (connect, send, headers and body), however WAP drips
    # its answer; for a stream, until its headers (then StreamLimits apply).
    deadline: float = field(default=40.0, metadata=variable("WAP_DEADLINE", _seconds()))


@dataclass(frozen=True)
class StreamLimits:
    """Bounds on long-lived streams (followed logs, raw file reads), which hold a WAP
    connection each, from a pool of their own."""

    per_account: int = field(default=8, metadata=variable("STREAMS_PER_ACCOUNT", _count()))
    # A stream ends (a log) or fails (a file) after this long, or when WAP has sent nothing
    # for STREAM_IDLE_SECONDS (keep it below RESPONSE_TIMEOUT, which cuts silent answers).
    max_seconds: float = field(
        default=3600.0, metadata=variable("STREAM_MAX_SECONDS", _seconds(minimum=1))
    )
    idle_seconds: float = field(
        default=50.0, metadata=variable("STREAM_IDLE_SECONDS", _seconds(minimum=0.1))
    )
    # The stream pool's size, apart from the ordinary calls' (100 connections).
    wap_connections: int = field(default=100, metadata=variable("WAP_STREAM_CONNECTIONS", _count()))


@dataclass(frozen=True)
class ServerLimits:
    """Sanic's own limits on the API's connections (seconds and bytes)."""

    # A body larger than this answers 413 before it is read (declared length) or as soon
    # as it is crossed (chunked). None: room for a MAX_FILE_BYTES file in base64 and JSON.
    request_max_size: int | None = field(
        default=None, metadata=variable("REQUEST_MAX_SIZE", _count())
    )
    # The request line and headers together (431 above); 16384 is the most Sanic allows.
    request_max_header_size: int = field(
        default=16384, metadata=variable("REQUEST_MAX_HEADER_SIZE", _bytes_at_most(16384))
    )
    # A client that has not sent a whole request in this time is dropped.
    request_timeout: float = field(default=30.0, metadata=variable("REQUEST_TIMEOUT", _seconds()))
    # A handler that has not answered in this time answers 503; a stream is cut when it
    # has sent nothing for this long.
    response_timeout: float = field(default=60.0, metadata=variable("RESPONSE_TIMEOUT", _seconds()))
    keep_alive_timeout: float = field(
        default=15.0, metadata=variable("KEEP_ALIVE_TIMEOUT", _seconds())
    )
    graceful_shutdown_timeout: float = field(
        default=15.0, metadata=variable("GRACEFUL_SHUTDOWN_TIMEOUT", _seconds(minimum=0.0))
    )


@dataclass(frozen=True)
class ReadinessLimits:
    """How ``/readyz`` checks this instance's database, WAP Core and Redis."""

    # Each part must answer within this; the parts are checked at once.
    check_timeout: float = field(default=1.0, metadata=variable("READY_CHECK_TIMEOUT", _seconds()))
    # An answer is kept this long, so that probes never load WAP Core or the database
    # (0: every probe checks; probes arriving together still share one check).
    cache_seconds: float = field(
        default=2.0, metadata=variable("READY_CACHE_SECONDS", _seconds(minimum=0))
    )


@dataclass(frozen=True)
class Observability:
    """``/metrics`` and the logs (``service.metrics``, ``service.logging_setup``)."""

    metrics_enabled: bool = field(default=True, metadata=variable("METRICS_ENABLED", _flag))
    # With it, /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`.
    metrics_token: str | None = field(default=None, repr=False, metadata=variable("METRICS_TOKEN"))
    # One JSON object a line (serve), or lines for people (dev).
    log_format: LogFormat = field(
        default="json", metadata=variable("LOG_FORMAT", _log_format, dev="text")
    )
    log_level: str = field(default="INFO", metadata=variable("LOG_LEVEL", _log_level))


_HTTP = _url("http", "https")

# The usual local frontend dev servers (Vite and its preview, Create React App and Next.js,
# Angular, webpack and Vue CLI), on both loopback names: what `armory-agents dev` allows.
DEV_FRONTEND_PORTS = (5173, 4173, 3000, 4200, 8080)
DEV_CORS_ORIGINS = tuple(
    f"http://{host}:{port}" for port in DEV_FRONTEND_PORTS for host in ("localhost", "127.0.0.1")
)


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        metadata=variable(
            "DATABASE_URL", _url("sqlite", "postgres", "postgresql"), fallback=_local_database
        )
    )
    wap_url: str = field(metadata=variable("WAP_URL", _HTTP, dev="http://127.0.0.1:8081"))
    wap_username: str = field(metadata=variable("WAP_USERNAME", dev="armory"))
    wap_password: str = field(
        repr=False, metadata=variable("WAP_PASSWORD", dev="dev-only-wap-password")
    )
    supertokens_connection_uri: str = field(
        metadata=variable("SUPERTOKENS_CONNECTION_URI", _HTTP, dev="http://127.0.0.1:3567")
    )
    supertokens_api_key: str | None = field(
        default=None, repr=False, metadata=variable("SUPERTOKENS_API_KEY")
    )
    redis_url: str | None = field(
        default=None, metadata=variable("REDIS_URL", _url("redis", "rediss"))
    )
    # Every Redis key and the Socket.io channel start with it (deployments sharing a Redis).
    redis_prefix: str = field(default="armory:", metadata=variable("REDIS_PREFIX"))
    # Dev mode (`armory-agents dev`, never `serve`): the usual local frontend origins.
    cors_origins: tuple[str, ...] = field(
        default=(), metadata=variable("CORS_ORIGINS", _names, dev=",".join(DEV_CORS_ORIGINS))
    )
    # Request headers browsers may send besides the contract's (tracing headers, say); `*`:
    # whatever a preflight asks for (dev mode's).
    cors_allow_headers: tuple[str, ...] = field(
        default=(), metadata=variable("CORS_ALLOW_HEADERS", _names, dev="*")
    )
    wap_timeouts: Timeouts = field(default=Timeouts(), metadata=_group(Timeouts))
    # What carries WapClient's httpx requests: http1 (our own HTTP/1.1 client on asyncio and
    # httptools: the least CPU per call, bench/README.md), aiohttp, or httpcore (httpx's own;
    # what respx intercepts).
    wap_http_transport: WapHttpTransport = field(
        default="http1", metadata=variable("WAP_HTTP_TRANSPORT", _transport)
    )
    max_file_bytes: int = field(
        default=10 * 1024 * 1024, metadata=variable("MAX_FILE_BYTES", _count())
    )
    health_poll_seconds: float = field(
        default=10.0, metadata=variable("HEALTH_POLL_SECONDS", _seconds(minimum=0.05))
    )
    event_window: int = field(default=500, metadata=variable("EVENT_WINDOW", _count()))
    db_threads: int = field(default=4, metadata=variable("DB_THREADS", _count()))
    # A version update still ``updating`` this long after it began was left by a process
    # that stopped: it is marked ``interrupted`` and no longer blocks the next update.
    update_stale_seconds: float = field(
        default=900.0, metadata=variable("UPDATE_STALE_SECONDS", _seconds(minimum=1))
    )
    # The longest an ownership answer is served from memory: a safety net, since every change
    # to container_launch evicts it at once (a trigger, or data_version); 0: off.
    ownership_cache_seconds: float = field(
        default=300.0, metadata=variable("OWNERSHIP_CACHE_SECONDS", _seconds(minimum=0))
    )
    protected_env_names: tuple[str, ...] = field(
        default=("PATH", "HOME", "HOSTNAME", "WAP_AGENT_ID", "WAP_TRUST_TOKEN"),
        metadata=variable("PROTECTED_ENV_NAMES", _names),
    )

    server: ServerLimits = field(default=ServerLimits(), metadata=_group(ServerLimits))
    streams: StreamLimits = field(default=StreamLimits(), metadata=_group(StreamLimits))
    readiness: ReadinessLimits = field(default=ReadinessLimits(), metadata=_group(ReadinessLimits))
    observability: Observability = field(default=Observability(), metadata=_group(Observability))
    # Where Socket.io is served, beside the API; None: the API's port + 1.
    socketio_port: int | None = field(
        default=None, metadata=variable("SOCKETIO_PORT", _count(minimum=0))
    )

    @property
    def request_max_size(self) -> int:
        limit = self.server.request_max_size
        return limit if limit is not None else self.max_file_bytes * 2 + 64 * 1024

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dev: bool = False) -> Settings:
        """Read every setting from ``env`` (default ``os.environ``); raise ``SettingsError``."""
        return cls(**_read(cls, os.environ if env is None else env, dev))

    def replace(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]
