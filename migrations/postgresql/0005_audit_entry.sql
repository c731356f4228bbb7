-- The audit trail (service/audit.py): one row per state-changing call that passed the
-- ownership check, whatever its outcome. `target` holds a file path, a version tag or
-- the names an environment patch set and unset, never a value. No foreign key to
-- container_launch: a trail outlives its launch row and never blocks its deletion.
CREATE TABLE audit_entry (
    id            UUID PRIMARY KEY,
    recorded_at   TIMESTAMP NOT NULL,
    account_id    TEXT NOT NULL,
    container_id  UUID NOT NULL,
    action        TEXT NOT NULL,
    target        JSONB NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
    code          TEXT NULL,
    request_id    TEXT NULL,
    -- A failure names its problem code; a success has none.
    CHECK ((outcome = 'succeeded') = (code IS NULL))
);
-- A container's trail, newest first (keyset pages on recorded_at, id), and by action.
CREATE INDEX audit_entry_trail_idx ON audit_entry (container_id, recorded_at, id);
CREATE INDEX audit_entry_action_idx ON audit_entry (container_id, action, recorded_at, id);
