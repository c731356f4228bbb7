-- A version update left `updating` by a process that stopped is marked `interrupted`
-- (service/usecases/versions.py, UPDATE_STALE_SECONDS): the status check allows it.
-- One update at a time stays the partial unique index of 0002, and begin_update locks
-- the container_launch row (SELECT ... FOR UPDATE) to compare and set the tag.
ALTER TABLE version_update DROP CONSTRAINT version_update_status_check;
ALTER TABLE version_update ADD CONSTRAINT version_update_status_check
    CHECK (status IN ('updating', 'completed', 'failed', 'interrupted'));
