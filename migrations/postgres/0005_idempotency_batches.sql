-- Group commit for the two idempotency statements every keyed write may run after its claim:
-- saving the operation's progress (the plan journal, the lease renewal) and storing the final
-- response (src/store/postgres/batch.rs). What concurrent requests send together is one
-- statement and one commit. Each function is a loop of the single-row UPDATE, so every row is
-- found through the primary key whatever the table's size: a join against unnest() may be
-- planned as a hash join over the whole table, which was measured slower than single
-- statements. Each answers the (1-based) positions of the rows it changed; a row whose claim
-- was taken over meanwhile is left alone, as by the single-row statement.

CREATE FUNCTION idempotency_complete_many(
    api_key_ids text[], keys text[], owners text[], statuses integer[], headers jsonb[],
    bodies bytea[], completed timestamptz[]
) RETURNS SETOF integer
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
        UPDATE idempotency_keys SET state = 'completed', lease_owner = NULL,
            lease_expires_at = NULL, response_status = statuses[i], response_headers = headers[i],
            response_body = bodies[i], completed_at = completed[i]
        WHERE api_key_id = api_key_ids[i] AND idempotency_key = keys[i]
          AND lease_owner = owners[i] AND state = 'in_progress';
        IF FOUND THEN
            RETURN NEXT i;
        END IF;
    END LOOP;
END
$$;

CREATE FUNCTION idempotency_save_progress_many(
    api_key_ids text[], keys text[], owners text[], progresses jsonb[], leases timestamptz[]
) RETURNS SETOF integer
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
        UPDATE idempotency_keys SET progress = progresses[i], lease_expires_at = leases[i]
        WHERE api_key_id = api_key_ids[i] AND idempotency_key = keys[i]
          AND lease_owner = owners[i] AND state = 'in_progress';
        IF FOUND THEN
            RETURN NEXT i;
        END IF;
    END LOOP;
END
$$;

-- A claim's row is updated two or three times within a second of its insert (progress, lease,
-- completion). Room left on each page lets those updates stay on the page without new index
-- entries (HOT updates: none of them changes an indexed column).
ALTER TABLE idempotency_keys SET (fillfactor = 70);
