-- The schema as it stood before the agent-control feature.
CREATE TABLE project (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX project_account_idx ON project (account_id);

CREATE TABLE container_launch (
    id                TEXT PRIMARY KEY,            -- canonical UUID text
    account_id        TEXT NOT NULL,
    project_id        TEXT NOT NULL REFERENCES project (id),
    wap_container_id  TEXT NOT NULL UNIQUE,
    image             TEXT NOT NULL,
    tag               TEXT NOT NULL,
    status            TEXT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
-- The ownership lookup is by primary key; listing a caller's containers uses this one.
CREATE INDEX container_launch_account_idx ON container_launch (account_id, project_id);
