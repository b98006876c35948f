-- A counter every change to a key that authentication depends on moves (revocation, scopes,
-- accounts, name, deletion); the in-memory cache of verified keys polls it
-- (services::key_cache). A trigger moves it, so a manual UPDATE counts as well.
CREATE TABLE api_key_revision (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    revision  INTEGER NOT NULL
) STRICT;
INSERT INTO api_key_revision (singleton, revision) VALUES (1, 0);

-- last_used_at is refreshed once a minute per busy key and changes nothing a cache holds.
CREATE TRIGGER api_keys_changed AFTER UPDATE ON api_keys FOR EACH ROW
    WHEN OLD.revoked_at IS NOT NEW.revoked_at OR OLD.scopes IS NOT NEW.scopes
      OR OLD.accounts IS NOT NEW.accounts OR OLD.name IS NOT NEW.name
      OR OLD.lookup_prefix IS NOT NEW.lookup_prefix OR OLD.token_hash IS NOT NEW.token_hash
BEGIN
    UPDATE api_key_revision SET revision = revision + 1;
END;
CREATE TRIGGER api_keys_deleted AFTER DELETE ON api_keys FOR EACH ROW
BEGIN
    UPDATE api_key_revision SET revision = revision + 1;
END;
