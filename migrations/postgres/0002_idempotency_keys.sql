-- Idempotency records: one per (calling API key, Idempotency-Key). Created before any upstream
-- call (state in_progress, with a lease), completed with the response to replay. `progress`
-- records how far a multi-step operation got, so a retry resumes instead of repeating.
CREATE TABLE idempotency_keys (
    api_key_id        text NOT NULL,
    idempotency_key   text NOT NULL,
    fingerprint       text NOT NULL,
    method            text NOT NULL,
    route             text NOT NULL,
    state             text NOT NULL CHECK (state IN ('in_progress', 'completed')),
    lease_owner       text,
    lease_expires_at  timestamptz,
    progress          jsonb,
    response_status   integer,
    response_headers  jsonb,
    response_body     bytea,
    created_at        timestamptz NOT NULL,
    completed_at      timestamptz,
    expires_at        timestamptz NOT NULL,
    PRIMARY KEY (api_key_id, idempotency_key)
);
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
