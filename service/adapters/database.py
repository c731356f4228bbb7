"""Where the database is: ``DATABASE_URL`` parsed into what Pony and DB-API need."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from service.settings import SettingsError


@dataclass(frozen=True)
class DatabaseTarget:
    """``provider`` is ``sqlite`` or ``postgresql`` (the migrations folder name)."""

    provider: str
    sqlite_path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 5432
    user: str | None = None
    password: str | None = None
    database: str | None = None

    @classmethod
    def from_url(cls, url: str) -> DatabaseTarget:
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            # sqlite:///relative/or/absolute/path.db (the path after the third slash)
            path = unquote(parts.path)
            if not path or path == "/":
                raise SettingsError(f"DATABASE_URL={url!r} names no SQLite file")
            return cls("sqlite", sqlite_path=Path(path))
        if parts.scheme in ("postgres", "postgresql"):
            database = unquote(parts.path.lstrip("/"))
            if not database:
                raise SettingsError(f"DATABASE_URL={url!r} names no database")
            return cls(
                "postgresql",
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 5432,
                user=unquote(parts.username) if parts.username else None,
                password=unquote(parts.password) if parts.password else None,
                database=database,
            )
        raise SettingsError(f"DATABASE_URL={url!r}: use sqlite:///FILE or postgresql://...")

    def pony_bind_args(self) -> dict[str, Any]:
        if self.provider == "sqlite":
            assert self.sqlite_path is not None
            return {"provider": "sqlite", "filename": str(self.sqlite_path), "create_db": True}
        args: dict[str, Any] = {"provider": "postgres", "host": self.host, "port": self.port}
        args.update(user=self.user or "postgres", database=self.database)
        if self.password is not None:
            args["password"] = self.password
        return args

    def connect(self) -> Any:
        """A raw DB-API connection in autocommit mode (migrations manage their own transactions)."""
        if self.provider == "sqlite":
            assert self.sqlite_path is not None
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.sqlite_path, isolation_level=None)
            conn.execute("PRAGMA foreign_keys = ON")
            return conn
        conn = self.connect_postgres()
        conn.autocommit = True
        return conn

    def connect_postgres(self, **options: Any) -> Any:
        """A psycopg2 connection to this PostgreSQL target; ``options`` go to libpq."""
        import psycopg2

        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user or "postgres",
            password=self.password,
            dbname=self.database,
            **options,
        )
