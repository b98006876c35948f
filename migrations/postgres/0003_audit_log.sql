-- The append-only, tamper-evident audit log (src/domain/audit).
--
-- audit_events       one row per audited request: the intent is inserted (outcome 'pending')
--                    before the handler runs; the outcome columns are set once, afterwards.
--                    Partitioned by month of occurred_at (UTC); retention drops whole
--                    partitions, rows are never deleted one by one.
-- audit_seals        the SHA-256 chain: one insert-only row per sealed event, partitioned like
--                    the events so that a month and its seals are dropped together.
-- audit_checkpoints  where retention cut the chain (the last removed seal), insert-only.
-- audit_policy       the retention the database applies; only the schema owner may change it.
--
-- Append-only is enforced here, not by convention: triggers refuse DELETE, TRUNCATE and every
-- UPDATE but the one completion of a pending event (the backstop when one role does
-- everything), and audit_grant_serving() gives a separate serving role INSERT and SELECT plus
-- UPDATE of the outcome columns only.

-- Sequence numbers are handed out in call order across sessions (CACHE 1, the default, stated
-- because the sealer relies on it: see src/store/postgres/audit.rs).
CREATE SEQUENCE audit_events_seq AS bigint CACHE 1;

CREATE TABLE audit_events (
    seq                  bigint NOT NULL,
    id                   text NOT NULL,
    occurred_at          timestamptz NOT NULL,
    request_id           text NOT NULL,
    actor_key_id         text,
    actor_key_name       text,
    client_addr          text,
    method               text NOT NULL,
    route                text NOT NULL,
    operation            text NOT NULL,
    provider             text,
    account              text,
    resource_type        text,
    resource_ids         text[] NOT NULL DEFAULT '{}',
    idempotency_key      text,
    idempotency_replayed boolean,
    request_summary      text,             -- canonical JSON text, hashed as stored
    outcome              text NOT NULL CHECK (outcome IN ('pending', 'succeeded', 'failed', 'unknown')),
    status               integer,
    error_code           text,
    upstream_status      integer,
    upstream_code        text,
    upstream_request_id  text,
    duration_us          bigint,
    completed_at         timestamptz,
    PRIMARY KEY (occurred_at, seq)
) PARTITION BY RANGE (occurred_at);

CREATE INDEX audit_events_seq_idx ON audit_events (seq);
CREATE INDEX audit_events_id_idx ON audit_events (id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_key_id, occurred_at DESC, seq DESC);
CREATE INDEX audit_events_request_idx ON audit_events (request_id);
CREATE INDEX audit_events_idempotency_idx ON audit_events (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX audit_events_resource_idx ON audit_events USING gin (resource_ids);
CREATE INDEX audit_events_pending_idx ON audit_events (occurred_at) WHERE outcome = 'pending';

CREATE TABLE audit_seals (
    seq          bigint NOT NULL,
    occurred_at  timestamptz NOT NULL,   -- the event's: a seal lives and is dropped with its event
    event_id     text NOT NULL,
    prev_hash    bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash         bytea NOT NULL CHECK (octet_length(hash) = 32),
    sealed_at    timestamptz NOT NULL,
    PRIMARY KEY (occurred_at, seq)
) PARTITION BY RANGE (occurred_at);

CREATE INDEX audit_seals_seq_idx ON audit_seals (seq);

CREATE TABLE audit_checkpoints (
    through_seq  bigint PRIMARY KEY,
    hash         bytea NOT NULL CHECK (octet_length(hash) = 32),
    reason       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_policy (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    retention_days integer NOT NULL CHECK (retention_days BETWEEN 1 AND 36500),
    months_ahead   integer NOT NULL DEFAULT 2 CHECK (months_ahead BETWEEN 1 AND 24)
);
INSERT INTO audit_policy (retention_days) VALUES (400);

-- Append-only, enforced.

CREATE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit_events is append-only: DELETE of event % is refused (retention drops whole partitions)', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.outcome <> 'pending' THEN
        RAISE EXCEPTION 'audit_events is append-only: event % is complete (%) and cannot change', OLD.id, OLD.outcome
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.outcome = 'pending' THEN
        RAISE EXCEPTION 'audit_events is append-only: completing event % must set a final outcome', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF ROW(NEW.seq, NEW.id, NEW.occurred_at, NEW.request_id, NEW.actor_key_id, NEW.actor_key_name,
           NEW.client_addr, NEW.method, NEW.route, NEW.operation, NEW.provider, NEW.account,
           NEW.resource_type, NEW.idempotency_key, NEW.request_summary)
       IS DISTINCT FROM
       ROW(OLD.seq, OLD.id, OLD.occurred_at, OLD.request_id, OLD.actor_key_id, OLD.actor_key_name,
           OLD.client_addr, OLD.method, OLD.route, OLD.operation, OLD.provider, OLD.account,
           OLD.resource_type, OLD.idempotency_key, OLD.request_summary)
       OR (cardinality(OLD.resource_ids) > 0 AND NEW.resource_ids IS DISTINCT FROM OLD.resource_ids)
    THEN
        RAISE EXCEPTION 'audit_events is append-only: only the outcome of pending event % may be set', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_guard();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();

-- Monthly partitions (UTC), named audit_events_pYYYYMM and audit_seals_pYYYYMM. Statement
-- triggers are not inherited, so each partition gets its own TRUNCATE guard.
CREATE FUNCTION audit_create_partitions(month date) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    first_day timestamp := date_trunc('month', month::timestamp);
    suffix text := to_char(first_day, 'YYYYMM');
    created text[] := '{}';
    parent text;
    child text;
BEGIN
    FOREACH parent IN ARRAY ARRAY['audit_events', 'audit_seals'] LOOP
        child := parent || '_p' || suffix;
        IF to_regclass(child) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                           child, parent, first_day AT TIME ZONE 'UTC',
                           (first_day + interval '1 month') AT TIME ZONE 'UTC');
            EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()',
                           child || '_no_truncate', child);
            created := created || child;
        END IF;
    END LOOP;
    RETURN created;
END
$$;

-- Creates this month's and the next months' partitions and drops those wholly past retention,
-- recording the last dropped seal as a checkpoint first. SECURITY DEFINER so that a serving
-- role that owns nothing can run it; it reads the retention from audit_policy, which that
-- role cannot change, and takes no argument a caller could abuse.
CREATE FUNCTION audit_maintain() RETURNS TABLE (done text, partition_name text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    policy audit_policy%ROWTYPE;
    this_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
    cutoff timestamptz;
    part record;
    last_seal record;
    known bigint;
    ahead integer;
    child text;
BEGIN
    PERFORM pg_advisory_xact_lock(8101234567890123003);
    SELECT * INTO STRICT policy FROM audit_policy;
    FOR ahead IN 0..policy.months_ahead LOOP
        FOREACH child IN ARRAY audit_create_partitions((this_month + make_interval(months => ahead))::date) LOOP
            done := 'created';
            partition_name := child;
            RETURN NEXT;
        END LOOP;
    END LOOP;
    cutoff := now() - make_interval(days => policy.retention_days);
    FOR part IN
        SELECT c.relname AS name, substring(c.relname FROM '^audit_events_p([0-9]{6})$') AS suffix
        FROM pg_inherits inh JOIN pg_class c ON c.oid = inh.inhrelid
        WHERE inh.inhparent = 'audit_events'::regclass
        ORDER BY c.relname
    LOOP
        CONTINUE WHEN part.suffix IS NULL;
        CONTINUE WHEN ((to_date(part.suffix, 'YYYYMM') + interval '1 month') AT TIME ZONE 'UTC') > cutoff;
        last_seal := NULL;
        IF to_regclass('audit_seals_p' || part.suffix) IS NOT NULL THEN
            EXECUTE format('SELECT seq, hash FROM %I ORDER BY seq DESC LIMIT 1', 'audit_seals_p' || part.suffix)
                INTO last_seal;
        END IF;
        SELECT max(through_seq) INTO known FROM audit_checkpoints;
        IF last_seal.seq IS NOT NULL AND (known IS NULL OR last_seal.seq > known) THEN
            INSERT INTO audit_checkpoints (through_seq, hash, reason)
            VALUES (last_seal.seq, last_seal.hash, 'retention dropped ' || part.name);
        END IF;
        EXECUTE format('DROP TABLE IF EXISTS %I', 'audit_seals_p' || part.suffix);
        EXECUTE format('DROP TABLE %I', part.name);
        done := 'dropped';
        partition_name := part.name;
        RETURN NEXT;
    END LOOP;
END
$$;

-- Run over the owner's connection when serving uses another role (PGW_MIGRATE_DATABASE_URL):
-- full use of the gateway's other tables; on the audit log only SELECT and INSERT, UPDATE of
-- the outcome columns (the completion the trigger allows once), and audit_maintain().
CREATE FUNCTION audit_grant_serving(serving name) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    here regnamespace := current_schema()::regnamespace;
    t record;
BEGIN
    -- Replicas starting together would otherwise race ("tuple concurrently updated").
    PERFORM pg_advisory_xact_lock(8101234567890123004);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), serving);
    FOR t IN
        SELECT c.relname FROM pg_class c
        WHERE c.relnamespace = here AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND c.relname NOT LIKE 'audit\_%' AND c.relname <> '_sqlx_migrations'
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO %I', t.relname, serving);
    END LOOP;
    FOR t IN
        SELECT c.relname FROM pg_class c
        WHERE c.relnamespace = here AND c.relkind IN ('r', 'p') AND c.relname LIKE 'audit\_%'
    LOOP
        EXECUTE format('REVOKE ALL ON %I FROM %I', t.relname, serving);
    END LOOP;
    EXECUTE format('GRANT SELECT, INSERT ON audit_events, audit_seals TO %I', serving);
    EXECUTE format('GRANT UPDATE (resource_ids, idempotency_replayed, outcome, status, error_code, '
                   'upstream_status, upstream_code, upstream_request_id, duration_us, completed_at) '
                   'ON audit_events TO %I', serving);
    EXECUTE format('GRANT SELECT ON audit_checkpoints, audit_policy, _sqlx_migrations TO %I', serving);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', current_schema(), serving);
    EXECUTE format('GRANT EXECUTE ON FUNCTION audit_maintain() TO %I', serving);
END
$$;

REVOKE EXECUTE ON FUNCTION audit_maintain() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION audit_grant_serving(name) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION audit_create_partitions(date) FROM PUBLIC;

SELECT audit_create_partitions((date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => m))::date)
FROM generate_series(-1, 2) AS m;  -- last month too: clocks near a month's start
