-- The agent listing (listAgents): an account's containers in id order, a page at a time.
CREATE INDEX container_launch_listing_idx ON container_launch (account_id, id);
