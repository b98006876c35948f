-- A counter every change to a key that authentication depends on moves (revocation, scopes,
-- accounts, name, deletion). Each replica keeps verified keys in memory and polls this one
-- row; when it moved, the replica forgets what it verified (services::key_cache). A trigger,
-- not the application, moves it, so an operator's UPDATE in psql counts as well.
CREATE TABLE api_key_revision (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    revision  bigint NOT NULL
);
INSERT INTO api_key_revision (singleton, revision) VALUES (true, 0);

CREATE FUNCTION api_key_revision_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE api_key_revision SET revision = revision + 1;
    RETURN NULL;
END;
$$;

-- last_used_at is refreshed once a minute per busy key and changes nothing a cache holds.
CREATE TRIGGER api_keys_changed AFTER UPDATE ON api_keys FOR EACH ROW
    WHEN ((to_jsonb(OLD) - 'last_used_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at'))
    EXECUTE FUNCTION api_key_revision_bump();
CREATE TRIGGER api_keys_deleted AFTER DELETE ON api_keys FOR EACH ROW
    EXECUTE FUNCTION api_key_revision_bump();
