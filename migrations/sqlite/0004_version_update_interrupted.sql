-- A version update left `updating` by a process that stopped is marked `interrupted`
-- (service/usecases/versions.py, UPDATE_STALE_SECONDS): the status check allows it.
-- SQLite cannot alter a CHECK constraint, so the table is rebuilt (no table references
-- it) with its rows, and its indexes made again: one update at a time stays the
-- partial unique index of 0002.
CREATE TABLE version_update_0004 (
    id                   TEXT PRIMARY KEY,
    container_launch_id  TEXT NOT NULL REFERENCES container_launch (id),
    image                TEXT NOT NULL,
    old_tag              TEXT NOT NULL,
    new_tag              TEXT NOT NULL,
    status               TEXT NOT NULL
                         CHECK (status IN ('updating', 'completed', 'failed', 'interrupted')),
    requested_by         TEXT NOT NULL,
    started_at           TIMESTAMP NOT NULL,
    finished_at          TIMESTAMP NULL,
    error                TEXT NULL
);
INSERT INTO version_update_0004
    (id, container_launch_id, image, old_tag, new_tag, status, requested_by, started_at,
     finished_at, error)
SELECT id, container_launch_id, image, old_tag, new_tag, status, requested_by, started_at,
       finished_at, error
FROM version_update;
DROP TABLE version_update;
ALTER TABLE version_update_0004 RENAME TO version_update;
CREATE INDEX version_update_history_idx ON version_update (container_launch_id, started_at);
CREATE UNIQUE INDEX version_update_one_running_idx
    ON version_update (container_launch_id) WHERE status = 'updating';
