"""Database rows as the domain's plain dataclasses, which is all the repository returns.

Container launches are read in plain SQL (``OWNED_SELECT``: a third of the CPU of
Pony's entity query on the ownership hot path), so their JSON and array columns
come back as text on SQLite and already decoded on PostgreSQL. Catalogue entries
and version updates are read as Pony entities. TIMESTAMP columns hold naive UTC.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from service.domain import AccessParameters, CatalogueEntry, OwnedContainer, VersionUpdate

# The columns ``owned_container`` takes, in its order; callers add WHERE / ORDER BY.
OWNED_SELECT = """SELECT id, account_id, project_id, wap_container_id, image, tag, status,
           access_parameters, agent_capabilities, instructions_dir, supports_hot_reload
    FROM container_launch"""


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _json_column(value: Any) -> Any:
    """JSON and array columns: text on SQLite, decoded already on PostgreSQL."""
    return json.loads(value) if isinstance(value, str) else value


def owned_container(row: Any) -> OwnedContainer:
    """A row of ``OWNED_SELECT``."""
    (id_, account, project, wap_id, image, tag, status, access, caps, instructions, hot) = row
    return OwnedContainer(
        id=str(id_),
        account_id=account,
        project_id=str(project),
        wap_id=wap_id,
        image=image,
        tag=tag,
        status=status,
        capabilities=frozenset(_json_column(caps) or ()),
        access=AccessParameters.from_json(_json_column(access)),
        instructions_dir=instructions,
        supports_hot_reload=bool(hot),
    )


def catalogue_entry(row: Any) -> CatalogueEntry:
    """A ``VersionCatalogue`` entity."""
    return CatalogueEntry(row.image, row.tag, _aware(row.released_at), row.notes)


def version_update(row: Any) -> VersionUpdate:
    """A ``VersionUpdateRow`` entity."""
    return VersionUpdate(
        id=str(row.id),
        container_id=str(row.container.id),
        image=row.image,
        old_tag=row.old_tag,
        new_tag=row.new_tag,
        status=row.status,
        requested_by=row.requested_by,
        started_at=_aware(row.started_at),
        finished_at=None if row.finished_at is None else _aware(row.finished_at),
        error=row.error,
    )
