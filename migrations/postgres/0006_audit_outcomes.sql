-- The outcome of an audited request becomes a row of its own, and audit_events becomes
-- insert-only.
--
-- Until now the outcome was written into the event's row by the one UPDATE the guard allowed.
-- That UPDATE changes indexed columns (outcome, resource_ids), so it could never be a HOT
-- update: every completion wrote a whole new version of the wide row and a new entry in each of
-- the table's eight indexes. Measured on the keyed-create path (BENCHMARKS.md), it was the
-- costliest statement of a write: about 70 µs of Postgres time per event, against about 5 µs for
-- an INSERT of the same values into a narrow table.
--
-- audit_outcomes   one insert-only row per completed event, keyed like the event and
--                  partitioned like it, so a month, its outcomes and its seals are dropped
--                  together. At most one per event (its primary key): an event completes once.
-- audit_log        the view every read goes through: the event with its outcome. Events
--                  completed before this migration keep their outcome in their own row; the
--                  view takes the outcome row when there is one and the event's columns when
--                  there is none, so old and new events read alike and hash alike.
--
-- audit_events keeps outcome = 'pending' on every new row: the outcome column now records what
-- the intent said, and "complete" means "has an outcome row". The partial index of pending
-- events would cover every row from now on; the sweep of abandoned events instead looks only
-- above the sealed head (the sealer stops at the first event without an outcome, so nothing at
-- or below it can be pending).

CREATE TABLE audit_outcomes (
    seq                  bigint NOT NULL,
    occurred_at          timestamptz NOT NULL,   -- the event's: partitions match
    outcome              text NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'unknown')),
    status               integer,
    error_code           text,
    upstream_status      integer,
    upstream_code        text,
    upstream_request_id  text,
    duration_us          bigint,
    completed_at         timestamptz NOT NULL,
    resource_ids         text[],                 -- NULL: the intent's ids stand
    idempotency_replayed boolean,
    PRIMARY KEY (occurred_at, seq)
) PARTITION BY RANGE (occurred_at);

-- Filters by resource search both tables: a create learns its resource id only on completion.
CREATE INDEX audit_outcomes_resource_idx ON audit_outcomes USING gin (resource_ids);

DROP INDEX audit_events_pending_idx;

CREATE TRIGGER audit_outcomes_append_only BEFORE UPDATE OR DELETE ON audit_outcomes
    FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_outcomes_no_truncate BEFORE TRUNCATE ON audit_outcomes
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();

-- What the old completion guard enforced stays enforced, without a trigger on the hot path: a
-- completion may name the resource ids of an event whose intent named none (a create learns its
-- id), never replace the ids the intent named. The view below shows the intent's ids whenever
-- it named any, whatever an outcome row says; and the gateway's own INSERT calls this function
-- (only) for an outcome that tries, so the caller learns of it as before.
CREATE FUNCTION audit_outcome_replaces_ids(event_seq bigint) RETURNS text[]
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: the outcome of event % cannot replace the resource ids its intent named', event_seq
        USING ERRCODE = 'insufficient_privilege';
END
$$;

-- No UPDATE of an event at all any more.
CREATE OR REPLACE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit_events is append-only: DELETE of event % is refused (retention drops whole partitions)', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: event % cannot change (its outcome is a row of audit_outcomes)', OLD.id
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE VIEW audit_log AS
SELECT e.seq, e.id, e.occurred_at, e.request_id, e.actor_key_id, e.actor_key_name, e.client_addr,
       e.method, e.route, e.operation, e.provider, e.account, e.resource_type,
       CASE WHEN o.seq IS NULL OR cardinality(e.resource_ids) > 0 THEN e.resource_ids
            ELSE COALESCE(o.resource_ids, e.resource_ids) END AS resource_ids,
       e.idempotency_key,
       CASE WHEN o.seq IS NULL THEN e.idempotency_replayed ELSE o.idempotency_replayed END AS idempotency_replayed,
       e.request_summary,
       CASE WHEN o.seq IS NULL THEN e.outcome ELSE o.outcome END AS outcome,
       CASE WHEN o.seq IS NULL THEN e.status ELSE o.status END AS status,
       CASE WHEN o.seq IS NULL THEN e.error_code ELSE o.error_code END AS error_code,
       CASE WHEN o.seq IS NULL THEN e.upstream_status ELSE o.upstream_status END AS upstream_status,
       CASE WHEN o.seq IS NULL THEN e.upstream_code ELSE o.upstream_code END AS upstream_code,
       CASE WHEN o.seq IS NULL THEN e.upstream_request_id ELSE o.upstream_request_id END AS upstream_request_id,
       CASE WHEN o.seq IS NULL THEN e.duration_us ELSE o.duration_us END AS duration_us,
       CASE WHEN o.seq IS NULL THEN e.completed_at ELSE o.completed_at END AS completed_at
FROM audit_events e
LEFT JOIN audit_outcomes o ON o.occurred_at = e.occurred_at AND o.seq = e.seq;

-- Monthly partitions of all three tables (audit_outcomes_pYYYYMM too).
CREATE OR REPLACE FUNCTION audit_create_partitions(month date) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    first_day timestamp := date_trunc('month', month::timestamp);
    suffix text := to_char(first_day, 'YYYYMM');
    created text[] := '{}';
    parent text;
    child text;
BEGIN
    FOREACH parent IN ARRAY ARRAY['audit_events', 'audit_seals', 'audit_outcomes'] LOOP
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
REVOKE EXECUTE ON FUNCTION audit_create_partitions(date) FROM PUBLIC;

-- Every month that has events gets its outcomes partition now.
SELECT audit_create_partitions(to_date(substring(c.relname FROM '^audit_events_p([0-9]{6})$'), 'YYYYMM'))
FROM pg_inherits inh JOIN pg_class c ON c.oid = inh.inhrelid
WHERE inh.inhparent = 'audit_events'::regclass
  AND c.relname ~ '^audit_events_p[0-9]{6}$';

-- Retention drops a month's outcomes with its events and seals.
CREATE OR REPLACE FUNCTION audit_maintain() RETURNS TABLE (done text, partition_name text)
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
        EXECUTE format('DROP TABLE IF EXISTS %I', 'audit_outcomes_p' || part.suffix);
        EXECUTE format('DROP TABLE %I', part.name);
        done := 'dropped';
        partition_name := part.name;
        RETURN NEXT;
    END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION audit_maintain() FROM PUBLIC;

-- The serving role: SELECT and INSERT on the audit tables, SELECT on the view, no UPDATE of
-- anything in the audit log.
CREATE OR REPLACE FUNCTION audit_grant_serving(serving name) RETURNS void
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
        WHERE c.relnamespace = here AND c.relkind IN ('r', 'p', 'v') AND c.relname LIKE 'audit\_%'
    LOOP
        EXECUTE format('REVOKE ALL ON %I FROM %I', t.relname, serving);
    END LOOP;
    EXECUTE format('GRANT SELECT, INSERT ON audit_events, audit_outcomes, audit_seals TO %I', serving);
    EXECUTE format('GRANT SELECT ON audit_log, audit_checkpoints, audit_policy, _sqlx_migrations TO %I', serving);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', current_schema(), serving);
    EXECUTE format('GRANT EXECUTE ON FUNCTION audit_maintain() TO %I', serving);
END
$$;
REVOKE EXECUTE ON FUNCTION audit_grant_serving(name) FROM PUBLIC;
