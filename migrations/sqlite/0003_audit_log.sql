-- The append-only, tamper-evident audit log (src/domain/audit); the same model as on Postgres.
-- Times are integer microseconds since the Unix epoch; lists are JSON arrays in TEXT.
--
-- SQLite has no partitions: retention deletes the oldest events (a prefix in sequence order,
-- so the chain stays contiguous) and the triggers allow DELETE only of rows older than the
-- retention recorded in audit_policy. SQLite has no roles either: anyone holding the file can
-- drop a trigger, so here the triggers guard against mistakes and the hash chain is what
-- shows tampering.

CREATE TABLE audit_events (
    seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
    id                   TEXT NOT NULL UNIQUE,
    occurred_at          INTEGER NOT NULL,
    request_id           TEXT NOT NULL,
    actor_key_id         TEXT,
    actor_key_name       TEXT,
    client_addr          TEXT,
    method               TEXT NOT NULL,
    route                TEXT NOT NULL,
    operation            TEXT NOT NULL,
    provider             TEXT,
    account              TEXT,
    resource_type        TEXT,
    resource_ids         TEXT NOT NULL DEFAULT '[]',
    idempotency_key      TEXT,
    idempotency_replayed INTEGER,
    request_summary      TEXT,
    outcome              TEXT NOT NULL CHECK (outcome IN ('pending', 'succeeded', 'failed', 'unknown')),
    status               INTEGER,
    error_code           TEXT,
    upstream_status      INTEGER,
    upstream_code        TEXT,
    upstream_request_id  TEXT,
    duration_us          INTEGER,
    completed_at         INTEGER
) STRICT;

CREATE INDEX audit_events_time_idx ON audit_events (occurred_at DESC, seq DESC);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_key_id, occurred_at DESC, seq DESC);
CREATE INDEX audit_events_request_idx ON audit_events (request_id);
CREATE INDEX audit_events_idempotency_idx ON audit_events (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX audit_events_pending_idx ON audit_events (occurred_at) WHERE outcome = 'pending';

CREATE TABLE audit_seals (
    seq          INTEGER PRIMARY KEY,
    occurred_at  INTEGER NOT NULL,
    event_id     TEXT NOT NULL,
    prev_hash    BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash         BLOB NOT NULL CHECK (length(hash) = 32),
    sealed_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE audit_checkpoints (
    through_seq  INTEGER PRIMARY KEY,
    hash         BLOB NOT NULL CHECK (length(hash) = 32),
    reason       TEXT NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE audit_policy (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    retention_days INTEGER NOT NULL CHECK (retention_days BETWEEN 1 AND 36500)
) STRICT;
INSERT INTO audit_policy (singleton, retention_days) VALUES (1, 400);

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN OLD.occurred_at >= (CAST(strftime('%s', 'now') AS INTEGER)
                         - COALESCE((SELECT retention_days FROM audit_policy), 36500) * 86400) * 1000000
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE is refused within the retention period');
END;

CREATE TRIGGER audit_events_complete_once BEFORE UPDATE ON audit_events
WHEN OLD.outcome <> 'pending'
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: a complete event cannot change');
END;

CREATE TRIGGER audit_events_outcome_only BEFORE UPDATE ON audit_events
WHEN OLD.outcome = 'pending' AND (
    NEW.outcome = 'pending'
    OR NEW.seq IS NOT OLD.seq OR NEW.id IS NOT OLD.id OR NEW.occurred_at IS NOT OLD.occurred_at
    OR NEW.request_id IS NOT OLD.request_id OR NEW.actor_key_id IS NOT OLD.actor_key_id
    OR NEW.actor_key_name IS NOT OLD.actor_key_name OR NEW.client_addr IS NOT OLD.client_addr
    OR NEW.method IS NOT OLD.method OR NEW.route IS NOT OLD.route OR NEW.operation IS NOT OLD.operation
    OR NEW.provider IS NOT OLD.provider OR NEW.account IS NOT OLD.account
    OR NEW.resource_type IS NOT OLD.resource_type OR NEW.idempotency_key IS NOT OLD.idempotency_key
    OR NEW.request_summary IS NOT OLD.request_summary
    OR (OLD.resource_ids <> '[]' AND NEW.resource_ids IS NOT OLD.resource_ids))
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: only the outcome of a pending event may be set, once');
END;

CREATE TRIGGER audit_seals_no_update BEFORE UPDATE ON audit_seals
BEGIN
    SELECT RAISE(ABORT, 'audit_seals is append-only: UPDATE is refused');
END;

CREATE TRIGGER audit_seals_no_delete BEFORE DELETE ON audit_seals
WHEN OLD.occurred_at >= (CAST(strftime('%s', 'now') AS INTEGER)
                         - COALESCE((SELECT retention_days FROM audit_policy), 36500) * 86400) * 1000000
BEGIN
    SELECT RAISE(ABORT, 'audit_seals is append-only: DELETE is refused within the retention period');
END;

CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only: UPDATE is refused');
END;

CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only: DELETE is refused');
END;

CREATE TRIGGER audit_policy_no_delete BEFORE DELETE ON audit_policy
BEGIN
    SELECT RAISE(ABORT, 'audit_policy cannot be deleted');
END;
