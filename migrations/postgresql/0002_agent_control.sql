-- Agent control: the spec's four ContainerLaunch fields, the version catalogue, update history.
ALTER TABLE container_launch ADD COLUMN access_parameters JSONB NULL;
ALTER TABLE container_launch ADD COLUMN agent_capabilities TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE container_launch ADD COLUMN instructions_dir TEXT NULL;
ALTER TABLE container_launch ADD COLUMN supports_hot_reload BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE version_catalogue (
    image        TEXT NOT NULL,
    tag          TEXT NOT NULL,
    released_at  TIMESTAMP NOT NULL,
    notes        TEXT NULL,
    PRIMARY KEY (image, tag)
);

CREATE TABLE version_update (
    id                   UUID PRIMARY KEY,
    container_launch_id  UUID NOT NULL REFERENCES container_launch (id),
    image                TEXT NOT NULL,
    old_tag              TEXT NOT NULL,
    new_tag              TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('updating', 'completed', 'failed')),
    requested_by         TEXT NOT NULL,
    started_at           TIMESTAMP NOT NULL,
    finished_at          TIMESTAMP NULL,
    error                TEXT NULL
);
CREATE INDEX version_update_history_idx ON version_update (container_launch_id, started_at);
-- One update at a time per container, enforced by the database itself.
CREATE UNIQUE INDEX version_update_one_running_idx
    ON version_update (container_launch_id) WHERE status = 'updating';
