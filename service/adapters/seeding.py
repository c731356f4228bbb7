"""Writes demo data into a migrated database, idempotently (existing rows are kept)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pony import orm

from service.adapters.database import DatabaseTarget
from service.adapters.pony_entities import open_database, utcnow


def seed(
    target: DatabaseTarget,
    projects: Iterable[dict[str, Any]],
    containers: Iterable[dict[str, Any]],
    catalogue: Sequence[tuple[str, str, datetime, str | None]] = (),
) -> int:
    """Insert what is missing; return how many rows were added."""
    db, e = open_database(target)
    added = 0
    try:
        with orm.db_session:
            now = utcnow()
            for p in projects:
                if e.Project.get(id=e.key(p["id"])) is None:
                    e.Project(
                        id=e.key(p["id"]),
                        account_id=p["account_id"],
                        name=p["name"],
                        created_at=now,
                    )
                    added += 1
            orm.flush()
            for c in containers:
                if e.ContainerLaunch.get(id=e.key(c["id"])) is None:
                    fields = {k: v for k, v in c.items() if k not in ("id", "project_id")}
                    e.ContainerLaunch(
                        id=e.key(c["id"]),
                        project=e.Project[e.key(c["project_id"])],
                        created_at=now,
                        updated_at=now,
                        **fields,
                    )
                    added += 1
            for image, tag, released_at, notes in catalogue:
                if e.VersionCatalogue.get(image=image, tag=tag) is None:
                    e.VersionCatalogue(image=image, tag=tag, released_at=released_at, notes=notes)
                    added += 1
    finally:
        db.disconnect()
    return added
