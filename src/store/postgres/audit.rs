//! The audit log in Postgres (schema: migrations/postgres/0003_audit_log.sql).
//!
//! Sealing in sequence order with several replicas needs two things. One sealer at a time: a
//! transaction-scoped advisory lock taken with `pg_try_…` (a replica that finds it held skips
//! the round). And a horizon below which no sequence number can still appear: a sequence hands
//! out numbers before the inserting transaction commits, so event 7 may become visible after
//! event 8. Every intent insert therefore holds a *shared* advisory lock from before it draws
//! its number until it commits; the sealer briefly takes the same lock *exclusively*, which
//! waits for the inserts in flight, and reads the sequence's last value: every number up to it
//! is then either committed or never will be (a rolled-back insert leaves a gap). Inserts never
//! contend with each other, and wait on the sealer only for that moment.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, Postgres, Row};
use time::OffsetDateTime;

use super::PgStore;
use super::audit_writes::HORIZON_LOCK;
use crate::domain::audit::chain;
use crate::domain::audit::{
    AuditEvent, AuditFilter, ChainLink, Checkpoint, Completion, EventKey, Maintenance,
    NewAuditEvent, Outcome, Seal, SealRun,
};
use crate::store::hash_from_bytes;
use crate::store::{AuditStore, StoreError};

/// The event columns in the order `event_from_row` reads them (a macro so that queries stay
/// `&'static str`).
macro_rules! event_columns {
    () => {
        "e.seq, e.id, e.occurred_at, e.request_id, e.actor_key_id, e.actor_key_name, e.client_addr, \
         e.method, e.route, e.operation, e.provider, e.account, e.resource_type, e.resource_ids, \
         e.idempotency_key, e.idempotency_replayed, e.request_summary, e.outcome, e.status, \
         e.error_code, e.upstream_status, e.upstream_code, e.upstream_request_id, e.duration_us, \
         e.completed_at"
    };
}

/// The seal columns beside the event columns.
macro_rules! seal_columns {
    () => {
        "s.prev_hash, s.hash, s.sealed_at"
    };
}

fn u16_of(value: Option<i32>) -> Option<u16> {
    value.and_then(|v| u16::try_from(v).ok())
}

fn event_from_row(row: &PgRow) -> Result<AuditEvent, StoreError> {
    let outcome: String = row.try_get("outcome")?;
    let prev_hash: Option<Vec<u8>> = row.try_get("prev_hash")?;
    let hash: Option<Vec<u8>> = row.try_get("hash")?;
    let sealed_at: Option<OffsetDateTime> = row.try_get("sealed_at")?;
    let seal = match (prev_hash, hash, sealed_at) {
        (Some(prev_hash), Some(hash), Some(sealed_at)) => Some(Seal {
            prev_hash: hash_from_bytes(prev_hash)?,
            hash: hash_from_bytes(hash)?,
            sealed_at,
        }),
        _ => None,
    };
    Ok(AuditEvent {
        seq: row.try_get("seq")?,
        intent: NewAuditEvent {
            id: row.try_get("id")?,
            occurred_at: row.try_get("occurred_at")?,
            request_id: row.try_get("request_id")?,
            actor_key_id: row.try_get("actor_key_id")?,
            actor_key_name: row.try_get("actor_key_name")?,
            client_addr: row.try_get("client_addr")?,
            method: row.try_get("method")?,
            route: row.try_get("route")?,
            operation: row.try_get("operation")?,
            provider: row.try_get("provider")?,
            account: row.try_get("account")?,
            resource_type: row.try_get("resource_type")?,
            resource_ids: row.try_get("resource_ids")?,
            idempotency_key: row.try_get("idempotency_key")?,
            request_summary: row.try_get("request_summary")?,
        },
        outcome: Outcome::parse(&outcome).map_err(StoreError::Other)?,
        status: u16_of(row.try_get("status")?),
        error_code: row.try_get("error_code")?,
        upstream_status: u16_of(row.try_get("upstream_status")?),
        upstream_code: row.try_get("upstream_code")?,
        upstream_request_id: row.try_get("upstream_request_id")?,
        duration_us: row.try_get("duration_us")?,
        completed_at: row.try_get("completed_at")?,
        idempotency_replayed: row.try_get("idempotency_replayed")?,
        seal,
    })
}

/// One bound value of a dynamically assembled query.
enum Bind {
    Text(String),
    Time(OffsetDateTime),
    Int(i64),
}

/// The WHERE clause of a listing, built only from fixed fragments and numbered placeholders:
/// no value a caller sent ever becomes SQL text; every one is bound.
struct Conditions {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Conditions {
    fn new() -> Self {
        Conditions {
            clauses: Vec::new(),
            binds: Vec::new(),
        }
    }

    /// Adds `fragment` (which names its placeholder `{}`) with the value bound to it.
    fn push(&mut self, fragment: &'static str, bind: Bind) {
        self.binds.push(bind);
        let placeholder = format!("${}", self.binds.len());
        self.clauses.push(fragment.replace("{}", &placeholder));
    }

    fn placeholder(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        format!("${}", self.binds.len())
    }
}

fn list_query(filter: &AuditFilter, after: Option<&EventKey>, limit: u32) -> (String, Vec<Bind>) {
    let mut c = Conditions::new();
    if let Some(from) = filter.from {
        c.push("e.occurred_at >= {}", Bind::Time(from));
    }
    if let Some(to) = filter.to {
        c.push("e.occurred_at < {}", Bind::Time(to));
    }
    if let Some(actor) = &filter.actor_key_id {
        c.push("e.actor_key_id = {}", Bind::Text(actor.clone()));
    }
    if let Some(account) = &filter.account {
        c.push("e.account = {}", Bind::Text(account.clone()));
    }
    if let Some(provider) = &filter.provider {
        c.push("e.provider = {}", Bind::Text(provider.clone()));
    }
    if let Some(operation) = &filter.operation {
        c.push("e.operation = {}", Bind::Text(operation.clone()));
    }
    if let Some(outcome) = filter.outcome {
        c.push("e.outcome = {}", Bind::Text(outcome.as_str().to_string()));
    }
    if let Some(resource_id) = &filter.resource_id {
        // The view's resource_ids is a CASE that no index covers: the events that can match are
        // found first through each table's GIN index (an intent's ids, a completion's), then
        // checked against what the view shows.
        c.push(
            "e.seq IN (SELECT i.seq FROM audit_events i WHERE i.resource_ids @> ARRAY[{}]::text[] \
             UNION ALL SELECT o.seq FROM audit_outcomes o WHERE o.resource_ids @> ARRAY[{}]::text[]) \
             AND e.resource_ids @> ARRAY[{}]::text[]",
            Bind::Text(resource_id.clone()),
        );
    }
    if let Some(request_id) = &filter.request_id {
        c.push("e.request_id = {}", Bind::Text(request_id.clone()));
    }
    if let Some(key) = &filter.idempotency_key {
        c.push("e.idempotency_key = {}", Bind::Text(key.clone()));
    }
    if let Some(after) = after {
        let at = c.placeholder(Bind::Time(after.occurred_at));
        let seq = c.placeholder(Bind::Int(after.seq));
        c.clauses
            .push(format!("(e.occurred_at, e.seq) < ({at}, {seq})"));
    }
    let limit = c.placeholder(Bind::Int(i64::from(limit)));
    let conditions = if c.clauses.is_empty() {
        "TRUE".to_string()
    } else {
        c.clauses.join(" AND ")
    };
    // The page is cut first, then joined to its seals.
    let sql = format!(
        concat!(
            "SELECT ",
            event_columns!(),
            ", ",
            seal_columns!(),
            " FROM (SELECT * FROM audit_log e WHERE {conditions} ORDER BY e.occurred_at DESC, e.seq DESC LIMIT {limit}) e",
            " LEFT JOIN audit_seals s ON s.occurred_at = e.occurred_at AND s.seq = e.seq",
            " ORDER BY e.occurred_at DESC, e.seq DESC"
        ),
        conditions = conditions,
        limit = limit
    );
    (sql, c.binds)
}

// The audit log's advisory lock keys: …001 and …002 here, …003 (audit_maintain) and …004
// (audit_grant_serving) in migrations/postgres/0003_audit_log.sql.

/// The advisory lock of the one sealer at a time.
const SEALER_LOCK: i64 = 8_101_234_567_890_123_002;

impl PgStore {
    /// The highest sequence number that can no longer appear later: waits for the intent
    /// inserts in flight (they hold [`HORIZON_LOCK`] shared), then reads the sequence.
    async fn sealing_horizon(&self) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET LOCAL lock_timeout = '250ms'")
            .execute(&mut *tx)
            .await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(HORIZON_LOCK)
            .execute(&mut *tx)
            .await?;
        let (last, called): (i64, bool) =
            sqlx::query_as("SELECT last_value, is_called FROM audit_events_seq")
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(if called { last } else { last - 1 })
    }
}

async fn read_checkpoint<'e, E>(executor: E) -> Result<Option<Checkpoint>, StoreError>
where
    E: sqlx::Executor<'e, Database = Postgres>,
{
    let row: Option<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT through_seq, hash FROM audit_checkpoints ORDER BY through_seq DESC LIMIT 1",
    )
    .fetch_optional(executor)
    .await?;
    row.map(|(through_seq, hash)| {
        Ok(Checkpoint {
            through_seq,
            hash: hash_from_bytes(hash)?,
        })
    })
    .transpose()
}

#[async_trait]
impl AuditStore for PgStore {
    async fn record_intent(&self, event: &NewAuditEvent) -> Result<EventKey, StoreError> {
        // Batched with concurrent requests' intents: see batch.rs and audit_writes.rs.
        let seq = self.batches.intents.submit(event.clone()).await?;
        Ok(EventKey {
            seq,
            occurred_at: event.occurred_at,
        })
    }

    async fn complete(&self, key: &EventKey, c: &Completion) -> Result<bool, StoreError> {
        self.batches.outcomes.submit((*key, c.clone())).await
    }

    async fn complete_abandoned(
        &self,
        before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        // Only above the sealed head: the sealer stops at the first event without an outcome,
        // so nothing at or below it is pending (migration 0006).
        Ok(sqlx::query(
            "INSERT INTO audit_outcomes (seq, occurred_at, outcome, completed_at)
             SELECT e.seq, e.occurred_at, 'unknown', $2 FROM audit_events e
             WHERE e.seq > (SELECT COALESCE(max(s.seq), 0) FROM audit_seals s)
               AND e.outcome = 'pending' AND e.occurred_at < $1
               AND NOT EXISTS (SELECT 1 FROM audit_outcomes o
                               WHERE o.occurred_at = e.occurred_at AND o.seq = e.seq)
             ON CONFLICT DO NOTHING",
        )
        .bind(before)
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    async fn get(&self, id: &str) -> Result<Option<AuditEvent>, StoreError> {
        let Ok(ms) = crate::domain::audit::parse_event_id(id) else {
            return Ok(None);
        };
        // The id's time is occurred_at's millisecond: search one second either side, which
        // narrows the search to the partition that holds it.
        let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let row = sqlx::query(concat!(
            "SELECT ",
            event_columns!(),
            ", ",
            seal_columns!(),
            " FROM audit_log e LEFT JOIN audit_seals s ON s.occurred_at = e.occurred_at AND s.seq = e.seq",
            " WHERE e.id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3"
        ))
        .bind(id)
        .bind(at - time::Duration::seconds(1))
        .bind(at + time::Duration::seconds(1))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(event_from_row).transpose()
    }

    async fn list(
        &self,
        filter: &AuditFilter,
        after: Option<&EventKey>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let (sql, binds) = list_query(filter, after, limit);
        // Safe: `sql` is assembled from fixed fragments and placeholders only (list_query).
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for bind in binds {
            query = match bind {
                Bind::Text(text) => query.bind(text),
                Bind::Time(at) => query.bind(at),
                Bind::Int(n) => query.bind(n),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn seal(&self, now: OffsetDateTime, max: u32) -> Result<SealRun, StoreError> {
        let horizon = self.sealing_horizon().await?;
        let mut tx = self.pool.begin().await?;
        let mine: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(SEALER_LOCK)
            .fetch_one(&mut *tx)
            .await?;
        if !mine {
            tx.rollback().await?;
            return Ok(SealRun {
                sealed: 0,
                busy: true,
            });
        }
        let last: Option<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT seq, hash FROM audit_seals ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
        let last = last
            .map(|(seq, hash)| hash_from_bytes(hash).map(|hash| (seq, hash)))
            .transpose()?;
        let checkpoint = read_checkpoint(&mut *tx).await?;
        let (head_seq, head_hash) = chain::head(last, checkpoint.as_ref());
        let rows = sqlx::query(concat!(
            "SELECT ",
            event_columns!(),
            ", NULL::bytea AS prev_hash, NULL::bytea AS hash, NULL::timestamptz AS sealed_at",
            // A window of numbers from the next event on, not everything below the horizon:
            // with the whole backlog in range Postgres sorted all of it every round, so a sealer
            // that fell behind under load got slower the further behind it was. The window is
            // twice the batch (room for the gaps of rolled-back intents) and starts at the next
            // event that exists (an index lookup), so no gap can stall the sealer.
            " FROM audit_log e WHERE e.seq > $1 AND e.seq <= LEAST($2,",
            " (SELECT min(n.seq) FROM audit_events n WHERE n.seq > $1 AND n.seq <= $2) + $4)",
            " ORDER BY e.seq LIMIT $3"
        ))
        .bind(head_seq)
        .bind(horizon)
        .bind(i64::from(max))
        .bind(2 * i64::from(max))
        .fetch_all(&mut *tx)
        .await?;
        let candidates = rows
            .iter()
            .map(event_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let seals = chain::seal_in_order(head_hash, &candidates, now);
        if !seals.is_empty() {
            sqlx::query(
                "INSERT INTO audit_seals (seq, occurred_at, event_id, prev_hash, hash, sealed_at)
                 SELECT t.seq, t.occurred_at, t.event_id, t.prev_hash, t.hash, $6
                 FROM UNNEST($1::bigint[], $2::timestamptz[], $3::text[], $4::bytea[], $5::bytea[])
                     AS t(seq, occurred_at, event_id, prev_hash, hash)",
            )
            .bind(seals.iter().map(|s| s.seq).collect::<Vec<_>>())
            .bind(seals.iter().map(|s| s.occurred_at).collect::<Vec<_>>())
            .bind(seals.iter().map(|s| s.event_id.clone()).collect::<Vec<_>>())
            .bind(
                seals
                    .iter()
                    .map(|s| s.seal.prev_hash.to_vec())
                    .collect::<Vec<_>>(),
            )
            .bind(
                seals
                    .iter()
                    .map(|s| s.seal.hash.to_vec())
                    .collect::<Vec<_>>(),
            )
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(SealRun {
            sealed: seals.len() as u64,
            busy: false,
        })
    }

    async fn chain_page(
        &self,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<ChainLink>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT s.seq AS link_seq, s.event_id AS link_event_id, ",
            seal_columns!(),
            ", e.id IS NOT NULL AS event_present, ",
            event_columns!(),
            " FROM audit_seals s LEFT JOIN audit_log e ON e.occurred_at = s.occurred_at AND e.seq = s.seq",
            " WHERE s.seq > $1 ORDER BY s.seq LIMIT $2"
        ))
        .bind(after.unwrap_or(i64::MIN))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let seal = Seal {
                    prev_hash: hash_from_bytes(row.try_get("prev_hash")?)?,
                    hash: hash_from_bytes(row.try_get("hash")?)?,
                    sealed_at: row.try_get("sealed_at")?,
                };
                let present: bool = row.try_get("event_present")?;
                Ok(ChainLink {
                    seq: row.try_get("link_seq")?,
                    event_id: row.try_get("link_event_id")?,
                    event: if present {
                        Some(event_from_row(row)?)
                    } else {
                        None
                    },
                    seal,
                })
            })
            .collect()
    }

    async fn checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        read_checkpoint(&self.pool).await
    }

    async fn unsealed_count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM audit_events e WHERE NOT EXISTS
                 (SELECT 1 FROM audit_seals s WHERE s.occurred_at = e.occurred_at AND s.seq = e.seq)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n.max(0) as u64)
    }

    async fn first_unsealed_before(&self, seq: i64) -> Result<Option<(i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT e.seq, e.id FROM audit_events e WHERE e.seq < $1 AND NOT EXISTS
                 (SELECT 1 FROM audit_seals s WHERE s.occurred_at = e.occurred_at AND s.seq = e.seq)
             ORDER BY e.seq LIMIT 1",
        )
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn set_retention_days(&self, days: u32) -> Result<(), StoreError> {
        sqlx::query("UPDATE audit_policy SET retention_days = $1")
            .bind(i32::try_from(days).unwrap_or(i32::MAX))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn maintain(&self) -> Result<Maintenance, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT done, partition_name FROM audit_maintain()")
                .fetch_all(&self.pool)
                .await?;
        let mut done = Maintenance::default();
        for (action, partition) in rows {
            match action.as_str() {
                "created" => done.created.push(partition),
                _ => done.dropped.push(partition),
            }
        }
        Ok(done)
    }

    async fn current_role(&self) -> Result<Option<String>, StoreError> {
        Ok(Some(
            sqlx::query_scalar("SELECT current_user::text")
                .fetch_one(&self.pool)
                .await?,
        ))
    }

    async fn grant_serving_role(&self, role: &str) -> Result<(), StoreError> {
        sqlx::query("SELECT audit_grant_serving($1)")
            .bind(role)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn owns_audit_log(&self, role: &str) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT r.rolsuper OR pg_has_role($1, c.relowner, 'USAGE')
             FROM pg_class c, pg_roles r
             WHERE c.oid = 'audit_events'::regclass AND r.rolname = $1",
        )
        .bind(role)
        .fetch_optional(&self.pool)
        .await?
        .unwrap_or(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_sql_has_placeholders_for_every_value_and_none_of_the_values() {
        let filter = AuditFilter {
            actor_key_id: Some("key_1'; DROP TABLE audit_events; --".into()),
            outcome: Some(Outcome::Failed),
            resource_id: Some("a:1".into()),
            ..AuditFilter::default()
        };
        let after = EventKey {
            seq: 9,
            occurred_at: OffsetDateTime::UNIX_EPOCH,
        };
        let (sql, binds) = list_query(&filter, Some(&after), 51);
        assert!(!sql.contains("DROP"), "{sql}");
        assert!(sql.contains("e.actor_key_id = $1 AND e.outcome = $2 AND e.seq IN (SELECT i.seq FROM audit_events i WHERE i.resource_ids @> ARRAY[$3]::text[] UNION ALL SELECT o.seq FROM audit_outcomes o WHERE o.resource_ids @> ARRAY[$3]::text[]) AND e.resource_ids @> ARRAY[$3]::text[] AND (e.occurred_at, e.seq) < ($4, $5)"), "{sql}");
        assert!(sql.contains("LIMIT $6"), "{sql}");
        assert_eq!(binds.len(), 6);
        let (sql, binds) = list_query(&AuditFilter::default(), None, 10);
        assert!(sql.contains("WHERE TRUE ORDER BY"), "{sql}");
        assert_eq!(binds.len(), 1);
    }
}
