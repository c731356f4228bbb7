"""The Pony entities that map the tables ``migrations/`` creates, and how to open them.

The schema belongs to ``migrations/``: Pony maps the existing tables
(``create_tables=False``) and checks that they are there.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from pony import orm

from service.adapters.database import DatabaseTarget


def utcnow() -> datetime:
    """Naive UTC, as the TIMESTAMP columns store it."""
    return datetime.now(UTC).replace(tzinfo=None)


class Entities:
    """The Pony entities of one ``orm.Database`` (one per repository, so tests stay apart)."""

    def __init__(self, db: orm.Database, provider: str) -> None:
        # UUID columns on PostgreSQL; canonical UUID text on SQLite (readable, and what
        # the 0001 schema already held).
        id_type: Any = uuid.UUID if provider == "postgresql" else str

        class Project(db.Entity):  # type: ignore[misc]
            _table_ = "project"
            id = orm.PrimaryKey(id_type)
            account_id = orm.Required(str)
            name = orm.Required(str)
            created_at = orm.Required(datetime)
            launches = orm.Set("ContainerLaunch")

        class ContainerLaunch(db.Entity):  # type: ignore[misc]
            _table_ = "container_launch"
            id = orm.PrimaryKey(id_type)
            account_id = orm.Required(str)
            project = orm.Required(Project, column="project_id")
            wap_container_id = orm.Required(str, unique=True)
            image = orm.Required(str)
            tag = orm.Required(str)
            status = orm.Required(str)
            created_at = orm.Required(datetime)
            updated_at = orm.Required(datetime)
            access_parameters = orm.Optional(orm.Json, nullable=True)
            agent_capabilities = orm.Optional(orm.StrArray)
            instructions_dir = orm.Optional(str, nullable=True)
            supports_hot_reload = orm.Required(bool, default=False, sql_default="FALSE")
            updates = orm.Set("VersionUpdateRow")

        class VersionCatalogue(db.Entity):  # type: ignore[misc]
            _table_ = "version_catalogue"
            image = orm.Required(str)
            tag = orm.Required(str)
            released_at = orm.Required(datetime)
            notes = orm.Optional(str, nullable=True)
            orm.PrimaryKey(image, tag)

        class VersionUpdateRow(db.Entity):  # type: ignore[misc]
            _table_ = "version_update"
            id = orm.PrimaryKey(id_type)
            container = orm.Required(ContainerLaunch, column="container_launch_id")
            image = orm.Required(str)
            old_tag = orm.Required(str)
            new_tag = orm.Required(str)
            status = orm.Required(str)
            requested_by = orm.Required(str)
            started_at = orm.Required(datetime)
            finished_at = orm.Optional(datetime, nullable=True)
            error = orm.Optional(str, nullable=True)

        self.db = db
        # Pony's entities are dynamic; to mypy they are Any.
        self.Project: Any = Project
        self.ContainerLaunch: Any = ContainerLaunch
        self.VersionCatalogue: Any = VersionCatalogue
        self.VersionUpdateRow: Any = VersionUpdateRow
        self.id_type = id_type

    def key(self, value: str) -> Any:
        """A client-supplied id as the column's type; ``ValueError`` if it is no UUID."""
        parsed = uuid.UUID(value)
        return parsed if self.id_type is uuid.UUID else str(parsed)


def open_database(target: DatabaseTarget) -> tuple[orm.Database, Entities]:
    """Bind a new ``orm.Database`` to ``target`` and map the migrated tables."""
    db = orm.Database()
    entities = Entities(db, target.provider)
    db.bind(**target.pony_bind_args())
    db.generate_mapping(create_tables=False, check_tables=True)
    return db, entities
