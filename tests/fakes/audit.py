"""An in-memory audit log with the port's semantics, for unit tests."""

from __future__ import annotations

from collections.abc import Sequence

from service.audit import AbstractAuditLog, AuditEntry, AuditPosition


class FakeAuditLog(AbstractAuditLog):
    """``entries`` in the order they were recorded; ``list`` answers as the port says
    (newest first by ``at`` then ``id``, ``action`` and ``before`` filters).

    ``fail_with``: what ``record`` raises instead of keeping the entry (a test sets it:
    ``errors.DatabaseUnavailable()``), so a test can see what a lost entry does.
    """

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []
        self.fail_with: Exception | None = None

    async def record(self, entry: AuditEntry) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.entries.append(entry)

    async def list(
        self,
        container_id: str,
        *,
        action: str | None = None,
        before: AuditPosition | None = None,
        limit: int,
    ) -> Sequence[AuditEntry]:
        found = [
            e
            for e in self.entries
            if e.container_id == container_id
            and (action is None or e.action == action)
            and (before is None or e.position < before)
        ]
        return sorted(found, key=lambda e: e.position, reverse=True)[:limit]
