-- Tombstones (issue #16): the last snapshot of every proxy user the gateway deleted, the only
-- record once 911 has erased the user's history. `cause` names the delete that wrote the row,
-- so a resumed delete records its tombstone once. Times are microseconds since the epoch.
CREATE TABLE proxy_user_tombstones (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    cause        TEXT NOT NULL UNIQUE,
    account      TEXT NOT NULL,
    upstream_id  TEXT NOT NULL,
    username     TEXT NOT NULL,
    label_folded TEXT,
    products     TEXT NOT NULL,
    snapshot     TEXT NOT NULL,
    deleted_at   INTEGER NOT NULL,
    deleted_by   TEXT NOT NULL
);

CREATE INDEX proxy_user_tombstones_by_user ON proxy_user_tombstones (account, upstream_id, seq DESC);
CREATE INDEX proxy_user_tombstones_by_account ON proxy_user_tombstones (account, seq DESC);
