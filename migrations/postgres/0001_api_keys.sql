-- API keys of the internal services that call the gateway. Only a SHA-256 of each token is
-- kept; lookup_prefix (the token's first 16 characters) finds the row, the hash proves it.
CREATE TABLE api_keys (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    scopes        text[] NOT NULL,
    accounts      text[],            -- NULL: every provider account
    lookup_prefix text NOT NULL UNIQUE,
    token_hash    bytea NOT NULL CHECK (octet_length(token_hash) = 32),
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
