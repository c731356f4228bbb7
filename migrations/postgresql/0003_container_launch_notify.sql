-- The ownership cache (service/adapters/ownership_cache.py) learns of every change to
-- container_launch, whoever makes it: each changed row's id is sent on the channel
-- the service LISTENs on (an update that changes the id sends both), and '*' after a
-- TRUNCATE (every row). Notifications go out when the transaction commits.
CREATE FUNCTION container_launch_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('armory_container_launch', '*');
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM pg_notify('armory_container_launch', NEW.id::text);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('armory_container_launch', OLD.id::text);
    ELSE
        PERFORM pg_notify('armory_container_launch', OLD.id::text);
        IF NEW.id IS DISTINCT FROM OLD.id THEN
            PERFORM pg_notify('armory_container_launch', NEW.id::text);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER container_launch_notify_row
    AFTER INSERT OR UPDATE OR DELETE ON container_launch
    FOR EACH ROW EXECUTE FUNCTION container_launch_notify();

CREATE TRIGGER container_launch_notify_truncate
    AFTER TRUNCATE ON container_launch
    FOR EACH STATEMENT EXECUTE FUNCTION container_launch_notify();
