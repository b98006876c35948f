-- Idempotency records: one per (calling API key, Idempotency-Key). Created before any upstream
-- call (state in_progress, with a lease), completed with the response to replay. `progress`
-- records how far a multi-step operation got, so a retry resumes instead of repeating.
-- Times are integer microseconds since the Unix epoch so that comparisons are numeric.
CREATE TABLE idempotency_keys (
    api_key_id        TEXT NOT NULL,
    idempotency_key   TEXT NOT NULL,
    fingerprint       TEXT NOT NULL,
    method            TEXT NOT NULL,
    route             TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('in_progress', 'completed')),
    lease_owner       TEXT,
    lease_expires_at  INTEGER,
    progress          TEXT,
    response_status   INTEGER,
    response_headers  TEXT,
    response_body     BLOB,
    created_at        INTEGER NOT NULL,
    completed_at      INTEGER,
    expires_at        INTEGER NOT NULL,
    PRIMARY KEY (api_key_id, idempotency_key)
) STRICT;
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
