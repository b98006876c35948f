-- Tombstones (issue #16): the last snapshot of every proxy user the gateway deleted, the only
-- record once 911 has erased the user's history. Kept for good, like the audit log they
-- complement. `cause` names the delete that wrote the row, so a resumed delete records its
-- tombstone once. The snapshot is text, not jsonb: it reads back byte for byte as written,
-- the same as in SQLite. The serving role gets its grants from audit_grant_serving().
CREATE TABLE proxy_user_tombstones (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cause        text NOT NULL UNIQUE,
    account      text NOT NULL,
    upstream_id  text NOT NULL,
    username     text NOT NULL,
    label_folded text,
    products     jsonb NOT NULL,
    snapshot     text NOT NULL,
    deleted_at   timestamptz NOT NULL,
    deleted_by   text NOT NULL
);

CREATE INDEX proxy_user_tombstones_by_user ON proxy_user_tombstones (account, upstream_id, seq DESC);
CREATE INDEX proxy_user_tombstones_by_account ON proxy_user_tombstones (account, seq DESC);
