-- API keys of the internal services that call the gateway. Only a SHA-256 of each token is
-- kept; lookup_prefix (the token's first 16 characters) finds the row, the hash proves it.
-- Lists are JSON arrays in TEXT; times are RFC 3339 UTC text.
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    scopes        TEXT NOT NULL,
    accounts      TEXT,              -- NULL: every provider account
    lookup_prefix TEXT NOT NULL UNIQUE,
    token_hash    BLOB NOT NULL CHECK (length(token_hash) = 32),
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
) STRICT;
