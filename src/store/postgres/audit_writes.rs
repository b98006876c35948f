//! The audit log's two writes on every audited request, the intent (a row of `audit_events`)
//! and the outcome (a row of `audit_outcomes`), each as a single-row statement and as the
//! multi-row statement [`super::batch`] sends when requests arrive together. Both forms keep
//! the sealing invariant of `audit.rs`: an intent draws its sequence number only while holding
//! the horizon lock shared, until its statement commits.

use std::collections::HashMap;

use sqlx::PgPool;
use time::OffsetDateTime;

use super::batch::{or_each, touched, worth_one_statement};
use crate::domain::audit::{Completion, EventKey, NewAuditEvent};
use crate::store::StoreError;

/// The advisory lock intent inserts hold shared and the sealer takes exclusively.
pub(super) const HORIZON_LOCK: i64 = 8_101_234_567_890_123_001;

/// An outcome to record: which event, and what happened.
pub(super) type Outcome = (EventKey, Completion);

/// Intents, one result (the drawn sequence number) per event, in order.
pub(super) async fn intents(
    pool: &PgPool,
    events: Vec<NewAuditEvent>,
) -> Vec<Result<i64, StoreError>> {
    let ran = if worth_one_statement(&events) {
        Some(intents_together(pool, &events).await.map(|seqs| {
            events
                .iter()
                .map(|e| {
                    seqs.get(&e.id).copied().ok_or_else(|| {
                        StoreError::Other(format!("intent {} was not inserted", e.id))
                    })
                })
                .collect()
        }))
    } else {
        None
    };
    or_each("audit intents", events, ran, |event| async move {
        intent(pool, &event).await
    })
    .await
}

async fn intent(pool: &PgPool, event: &NewAuditEvent) -> Result<i64, StoreError> {
    // The shared lock is taken (materialized CTE, evaluated first) before nextval, and held
    // until this statement's transaction commits: see audit.rs's module comment.
    Ok(sqlx::query_scalar(
        "WITH gate AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared($16))
         INSERT INTO audit_events (seq, id, occurred_at, request_id, actor_key_id, actor_key_name,
             client_addr, method, route, operation, provider, account, resource_type, resource_ids,
             idempotency_key, request_summary, outcome)
         SELECT nextval('audit_events_seq'), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
             $14, $15, 'pending'
         FROM gate
         RETURNING seq",
    )
    .bind(&event.id)
    .bind(event.occurred_at)
    .bind(&event.request_id)
    .bind(&event.actor_key_id)
    .bind(&event.actor_key_name)
    .bind(&event.client_addr)
    .bind(&event.method)
    .bind(&event.route)
    .bind(&event.operation)
    .bind(&event.provider)
    .bind(&event.account)
    .bind(&event.resource_type)
    .bind(&event.resource_ids)
    .bind(&event.idempotency_key)
    .bind(&event.request_summary)
    .bind(HORIZON_LOCK)
    .fetch_one(pool)
    .await?)
}

/// One statement for many intents: the gate CTE is scanned before the first joined row is
/// projected, so the lock is held before any `nextval`. Text arrays cannot nest in `unnest`,
/// so each event's resource ids travel as a JSON array.
async fn intents_together(
    pool: &PgPool,
    events: &[NewAuditEvent],
) -> Result<HashMap<String, i64>, StoreError> {
    let column = |f: fn(&NewAuditEvent) -> Option<String>| events.iter().map(f).collect::<Vec<_>>();
    let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
    let occurred: Vec<OffsetDateTime> = events.iter().map(|e| e.occurred_at).collect();
    let resource_ids: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(&e.resource_ids).unwrap_or_else(|_| "[]".into()))
        .collect();
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "WITH gate AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared($16))
         INSERT INTO audit_events (seq, id, occurred_at, request_id, actor_key_id, actor_key_name,
             client_addr, method, route, operation, provider, account, resource_type, resource_ids,
             idempotency_key, request_summary, outcome)
         SELECT nextval('audit_events_seq'), u.id, u.occurred_at, u.request_id, u.actor_key_id,
             u.actor_key_name, u.client_addr, u.method, u.route, u.operation, u.provider, u.account,
             u.resource_type, ARRAY(SELECT jsonb_array_elements_text(u.resource_ids::jsonb)),
             u.idempotency_key, u.request_summary, 'pending'
         FROM gate, unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[],
             $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
             $13::text[], $14::text[], $15::text[])
             AS u(id, occurred_at, request_id, actor_key_id, actor_key_name, client_addr, method,
                  route, operation, provider, account, resource_type, resource_ids,
                  idempotency_key, request_summary)
         RETURNING id, seq",
    )
    .bind(&ids)
    .bind(&occurred)
    .bind(column(|e| Some(e.request_id.clone())))
    .bind(column(|e| e.actor_key_id.clone()))
    .bind(column(|e| e.actor_key_name.clone()))
    .bind(column(|e| e.client_addr.clone()))
    .bind(column(|e| Some(e.method.clone())))
    .bind(column(|e| Some(e.route.clone())))
    .bind(column(|e| Some(e.operation.clone())))
    .bind(column(|e| e.provider.clone()))
    .bind(column(|e| e.account.clone()))
    .bind(column(|e| e.resource_type.clone()))
    .bind(&resource_ids)
    .bind(column(|e| e.idempotency_key.clone()))
    .bind(column(|e| e.request_summary.clone()))
    .bind(HORIZON_LOCK)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Outcomes, one result per event (whether a pending event took it), in order.
pub(super) async fn outcomes(
    pool: &PgPool,
    outcomes: Vec<Outcome>,
) -> Vec<Result<bool, StoreError>> {
    let ran = if worth_one_statement(&outcomes) {
        Some(
            outcomes_together(pool, &outcomes)
                .await
                .map(|ords| touched(outcomes.len(), ords)),
        )
    } else {
        None
    };
    or_each("audit outcomes", outcomes, ran, |(key, c)| async move {
        outcome(pool, &key, &c).await
    })
    .await
}

async fn outcome(pool: &PgPool, key: &EventKey, c: &Completion) -> Result<bool, StoreError> {
    // The outcome is a row of its own (migration 0006): inserted once, for an event that exists
    // and was not completed before the outcomes table existed; one that would replace the
    // resource ids the intent named is refused (audit_outcome_replaces_ids raises).
    let inserted = sqlx::query(
        "INSERT INTO audit_outcomes (seq, occurred_at, outcome, status, error_code,
             upstream_status, upstream_code, upstream_request_id, duration_us, completed_at,
             resource_ids, idempotency_replayed)
         SELECT e.seq, e.occurred_at, $3, $4, $5, $6, $7, $8, $9, $10,
             CASE WHEN $11::text[] IS NOT NULL AND cardinality(e.resource_ids) > 0
                      AND $11::text[] IS DISTINCT FROM e.resource_ids
                 THEN audit_outcome_replaces_ids(e.seq) ELSE $11::text[] END,
             $12
         FROM audit_events e
         WHERE e.occurred_at = $1 AND e.seq = $2 AND e.outcome = 'pending'
         ON CONFLICT DO NOTHING",
    )
    .bind(key.occurred_at)
    .bind(key.seq)
    .bind(c.outcome.as_str())
    .bind(c.status.map(i32::from))
    .bind(&c.error_code)
    .bind(c.upstream_status.map(i32::from))
    .bind(&c.upstream_code)
    .bind(&c.upstream_request_id)
    .bind(c.duration_us)
    .bind(c.completed_at)
    .bind(&c.resource_ids)
    .bind(c.idempotency_replayed)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// One statement for many outcomes; it answers the (1-based) positions of the events it
/// completed. Each event is looked up by its primary key: the `LIMIT 1` keeps the lateral
/// subquery from being flattened into a join, which a cached generic plan may otherwise run as
/// a hash join over the whole events table (measured: 6.6 ms per statement and growing with
/// the table, against 0.06 ms per single-row statement). The outcome table's primary key keeps
/// a second outcome of the same event out, even within one batch (the first position wins).
async fn outcomes_together(pool: &PgPool, outcomes: &[Outcome]) -> Result<Vec<i64>, StoreError> {
    let column = |f: fn(&Outcome) -> Option<String>| outcomes.iter().map(f).collect::<Vec<_>>();
    let occurred: Vec<OffsetDateTime> = outcomes.iter().map(|(k, _)| k.occurred_at).collect();
    let seqs: Vec<i64> = outcomes.iter().map(|(k, _)| k.seq).collect();
    let status = |f: fn(&Completion) -> Option<u16>| {
        outcomes
            .iter()
            .map(|(_, c)| f(c).map(i32::from))
            .collect::<Vec<_>>()
    };
    let inserted: Vec<(i64,)> = sqlx::query_as(
        "INSERT INTO audit_outcomes (seq, occurred_at, outcome, status, error_code,
             upstream_status, upstream_code, upstream_request_id, duration_us, completed_at,
             resource_ids, idempotency_replayed)
         SELECT e.seq, e.occurred_at, u.outcome, u.status, u.error_code, u.upstream_status,
             u.upstream_code, u.upstream_request_id, u.duration_us, u.completed_at,
             CASE WHEN u.resource_ids IS NULL THEN NULL
                 WHEN cardinality(e.resource_ids) > 0 AND e.resource_ids IS DISTINCT FROM
                      ARRAY(SELECT jsonb_array_elements_text(u.resource_ids::jsonb))
                 THEN audit_outcome_replaces_ids(e.seq)
                 ELSE ARRAY(SELECT jsonb_array_elements_text(u.resource_ids::jsonb)) END,
             u.replayed
         FROM unnest($1::timestamptz[], $2::int8[], $3::text[], $4::int4[], $5::text[], $6::int4[],
             $7::text[], $8::text[], $9::int8[], $10::timestamptz[], $11::text[], $12::bool[])
             AS u(occurred_at, seq, outcome, status, error_code, upstream_status,
                 upstream_code, upstream_request_id, duration_us, completed_at, resource_ids,
                 replayed)
         CROSS JOIN LATERAL (SELECT i.seq, i.occurred_at, i.resource_ids FROM audit_events i
             WHERE i.occurred_at = u.occurred_at AND i.seq = u.seq AND i.outcome = 'pending'
             LIMIT 1) e
         ON CONFLICT DO NOTHING
         RETURNING seq",
    )
    .bind(&occurred)
    .bind(&seqs)
    .bind(column(|(_, c)| Some(c.outcome.as_str().to_string())))
    .bind(status(|c| c.status))
    .bind(column(|(_, c)| c.error_code.clone()))
    .bind(status(|c| c.upstream_status))
    .bind(column(|(_, c)| c.upstream_code.clone()))
    .bind(column(|(_, c)| c.upstream_request_id.clone()))
    .bind(
        outcomes
            .iter()
            .map(|(_, c)| c.duration_us)
            .collect::<Vec<_>>(),
    )
    .bind(
        outcomes
            .iter()
            .map(|(_, c)| c.completed_at)
            .collect::<Vec<_>>(),
    )
    .bind(column(|(_, c)| {
        c.resource_ids
            .as_ref()
            .map(|ids| serde_json::to_string(ids).unwrap_or_else(|_| "[]".into()))
    }))
    .bind(
        outcomes
            .iter()
            .map(|(_, c)| c.idempotency_replayed)
            .collect::<Vec<_>>(),
    )
    .fetch_all(pool)
    .await?;
    Ok(first_positions(
        &seqs,
        inserted.into_iter().map(|(seq,)| seq),
    ))
}

/// The 1-based position of the first request for each sequence number that was inserted
/// (sequence numbers are unique across the log, so they name events on their own).
fn first_positions(requested: &[i64], inserted: impl Iterator<Item = i64>) -> Vec<i64> {
    let inserted: std::collections::HashSet<i64> = inserted.collect();
    let mut seen = std::collections::HashSet::new();
    requested
        .iter()
        .enumerate()
        .filter(|(_, seq)| inserted.contains(seq) && seen.insert(**seq))
        .map(|(i, _)| i as i64 + 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::first_positions;

    #[test]
    fn a_second_outcome_of_one_event_in_a_batch_is_not_reported_as_taken() {
        assert_eq!(
            first_positions(&[7, 8, 7, 9], [7, 9].into_iter()),
            vec![1, 4]
        );
        assert!(first_positions(&[1, 2], std::iter::empty()).is_empty());
    }
}
