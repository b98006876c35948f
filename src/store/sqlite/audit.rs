//! The audit log in SQLite (schema: migrations/sqlite/0003_audit_log.sql). SQLite has one
//! writer at a time, so sequence numbers become visible in order and the sealer needs no
//! horizon; it seals inside a `BEGIN IMMEDIATE` transaction, which makes it the only writer.
//! Retention deletes the oldest events — a prefix in sequence order, so the chain stays
//! contiguous — after recording the last removed seal as a checkpoint.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, Row, Sqlite};
use time::OffsetDateTime;

use super::{SqliteStore, from_us, to_us};
use crate::domain::audit::chain;
use crate::domain::audit::{
    AuditEvent, AuditFilter, ChainLink, Checkpoint, Completion, EventKey, Maintenance,
    NewAuditEvent, Outcome, Seal, SealRun,
};
use crate::store::hash_from_bytes;
use crate::store::{AuditStore, StoreError, strings_from_json};

/// The event columns in the order `event_from_row` reads them.
macro_rules! event_columns {
    () => {
        "e.seq, e.id, e.occurred_at, e.request_id, e.actor_key_id, e.actor_key_name, e.client_addr, \
         e.method, e.route, e.operation, e.provider, e.account, e.resource_type, e.resource_ids, \
         e.idempotency_key, e.idempotency_replayed, e.request_summary, e.outcome, e.status, \
         e.error_code, e.upstream_status, e.upstream_code, e.upstream_request_id, e.duration_us, \
         e.completed_at"
    };
}

macro_rules! seal_columns {
    () => {
        "s.prev_hash, s.hash, s.sealed_at"
    };
}

/// The oldest `occurred_at` retention keeps, as the triggers compute it (whole seconds).
macro_rules! retention_cutoff {
    () => {
        "((CAST(strftime('%s', 'now') AS INTEGER) - (SELECT retention_days FROM audit_policy) * 86400) * 1000000)"
    };
}

fn u16_of(value: Option<i64>) -> Option<u16> {
    value.and_then(|v| u16::try_from(v).ok())
}

fn event_from_row(row: &SqliteRow) -> Result<AuditEvent, StoreError> {
    let outcome: String = row.try_get("outcome")?;
    let prev_hash: Option<Vec<u8>> = row.try_get("prev_hash")?;
    let hash: Option<Vec<u8>> = row.try_get("hash")?;
    let sealed_at: Option<i64> = row.try_get("sealed_at")?;
    let seal = match (prev_hash, hash, sealed_at) {
        (Some(prev_hash), Some(hash), Some(sealed_at)) => Some(Seal {
            prev_hash: hash_from_bytes(prev_hash)?,
            hash: hash_from_bytes(hash)?,
            sealed_at: from_us(sealed_at)?,
        }),
        _ => None,
    };
    let resource_ids: String = row.try_get("resource_ids")?;
    Ok(AuditEvent {
        seq: row.try_get("seq")?,
        intent: NewAuditEvent {
            id: row.try_get("id")?,
            occurred_at: from_us(row.try_get("occurred_at")?)?,
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
            resource_ids: strings_from_json(&resource_ids)?,
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
        completed_at: row
            .try_get::<Option<i64>, _>("completed_at")?
            .map(from_us)
            .transpose()?,
        idempotency_replayed: row.try_get("idempotency_replayed")?,
        seal,
    })
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_string())
}

/// One bound value of a dynamically assembled query.
enum Bind {
    Text(String),
    Int(i64),
}

/// The WHERE clause of a listing, from fixed fragments with `?` placeholders only: no value a
/// caller sent becomes SQL text; every one is bound, in clause order.
fn list_query(filter: &AuditFilter, after: Option<&EventKey>, limit: u32) -> (String, Vec<Bind>) {
    let mut clauses: Vec<&'static str> = Vec::new();
    let mut binds = Vec::new();
    let mut push = |clause: &'static str, bind: Bind| {
        clauses.push(clause);
        binds.push(bind);
    };
    if let Some(from) = filter.from {
        push("e.occurred_at >= ?", Bind::Int(to_us(from)));
    }
    if let Some(to) = filter.to {
        push("e.occurred_at < ?", Bind::Int(to_us(to)));
    }
    if let Some(actor) = &filter.actor_key_id {
        push("e.actor_key_id = ?", Bind::Text(actor.clone()));
    }
    if let Some(account) = &filter.account {
        push("e.account = ?", Bind::Text(account.clone()));
    }
    if let Some(provider) = &filter.provider {
        push("e.provider = ?", Bind::Text(provider.clone()));
    }
    if let Some(operation) = &filter.operation {
        push("e.operation = ?", Bind::Text(operation.clone()));
    }
    if let Some(outcome) = filter.outcome {
        push("e.outcome = ?", Bind::Text(outcome.as_str().to_string()));
    }
    if let Some(resource_id) = &filter.resource_id {
        push(
            "EXISTS (SELECT 1 FROM json_each(e.resource_ids) WHERE json_each.value = ?)",
            Bind::Text(resource_id.clone()),
        );
    }
    if let Some(request_id) = &filter.request_id {
        push("e.request_id = ?", Bind::Text(request_id.clone()));
    }
    if let Some(key) = &filter.idempotency_key {
        push("e.idempotency_key = ?", Bind::Text(key.clone()));
    }
    if let Some(after) = after {
        push(
            "(e.occurred_at < ? OR (e.occurred_at = ? AND e.seq < ?))",
            Bind::Int(to_us(after.occurred_at)),
        );
        binds.push(Bind::Int(to_us(after.occurred_at)));
        binds.push(Bind::Int(after.seq));
    }
    binds.push(Bind::Int(i64::from(limit)));
    let conditions = if clauses.is_empty() {
        "1".to_string()
    } else {
        clauses.join(" AND ")
    };
    let sql = format!(
        concat!(
            "SELECT ",
            event_columns!(),
            ", ",
            seal_columns!(),
            " FROM audit_events e LEFT JOIN audit_seals s ON s.seq = e.seq",
            " WHERE {conditions} ORDER BY e.occurred_at DESC, e.seq DESC LIMIT ?"
        ),
        conditions = conditions
    );
    (sql, binds)
}

async fn read_checkpoint<'e, E>(executor: E) -> Result<Option<Checkpoint>, StoreError>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
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
impl AuditStore for SqliteStore {
    async fn record_intent(&self, event: &NewAuditEvent) -> Result<EventKey, StoreError> {
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO audit_events (id, occurred_at, request_id, actor_key_id, actor_key_name,
                 client_addr, method, route, operation, provider, account, resource_type, resource_ids,
                 idempotency_key, request_summary, outcome)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')
             RETURNING seq",
        )
        .bind(&event.id)
        .bind(to_us(event.occurred_at))
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
        .bind(json_list(&event.resource_ids))
        .bind(&event.idempotency_key)
        .bind(&event.request_summary)
        .fetch_one(&self.pool)
        .await?;
        Ok(EventKey {
            seq,
            occurred_at: event.occurred_at,
        })
    }

    async fn complete(&self, key: &EventKey, c: &Completion) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE audit_events SET outcome = ?, status = ?, error_code = ?, upstream_status = ?,
                 upstream_code = ?, upstream_request_id = ?, duration_us = ?, completed_at = ?,
                 resource_ids = COALESCE(?, resource_ids), idempotency_replayed = ?
             WHERE seq = ? AND outcome = 'pending'",
        )
        .bind(c.outcome.as_str())
        .bind(c.status.map(i64::from))
        .bind(&c.error_code)
        .bind(c.upstream_status.map(i64::from))
        .bind(&c.upstream_code)
        .bind(&c.upstream_request_id)
        .bind(c.duration_us)
        .bind(to_us(c.completed_at))
        .bind(c.resource_ids.as_deref().map(json_list))
        .bind(c.idempotency_replayed)
        .bind(key.seq)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    async fn complete_abandoned(
        &self,
        before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE audit_events SET outcome = 'unknown', completed_at = ?
             WHERE outcome = 'pending' AND occurred_at < ?",
        )
        .bind(to_us(now))
        .bind(to_us(before))
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    async fn get(&self, id: &str) -> Result<Option<AuditEvent>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            event_columns!(),
            ", ",
            seal_columns!(),
            " FROM audit_events e LEFT JOIN audit_seals s ON s.seq = e.seq WHERE e.id = ?"
        ))
        .bind(id)
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
                Bind::Int(n) => query.bind(n),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn seal(&self, now: OffsetDateTime, max: u32) -> Result<SealRun, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
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
            ", NULL AS prev_hash, NULL AS hash, NULL AS sealed_at",
            " FROM audit_events e WHERE e.seq > ? ORDER BY e.seq LIMIT ?"
        ))
        .bind(head_seq)
        .bind(i64::from(max))
        .fetch_all(&mut *tx)
        .await?;
        let candidates = rows
            .iter()
            .map(event_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let seals = chain::seal_in_order(head_hash, &candidates, now);
        for seal in &seals {
            sqlx::query(
                "INSERT INTO audit_seals (seq, occurred_at, event_id, prev_hash, hash, sealed_at)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(seal.seq)
            .bind(to_us(seal.occurred_at))
            .bind(&seal.event_id)
            .bind(seal.seal.prev_hash.to_vec())
            .bind(seal.seal.hash.to_vec())
            .bind(to_us(now))
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
            " FROM audit_seals s LEFT JOIN audit_events e ON e.seq = s.seq AND e.occurred_at = s.occurred_at",
            " WHERE s.seq > ? ORDER BY s.seq LIMIT ?"
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
                    sealed_at: from_us(row.try_get("sealed_at")?)?,
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
            "SELECT count(*) FROM audit_events e
             WHERE NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.seq = e.seq)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n.max(0) as u64)
    }

    async fn first_unsealed_before(&self, seq: i64) -> Result<Option<(i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT e.seq, e.id FROM audit_events e
             WHERE e.seq < ? AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.seq = e.seq)
             ORDER BY e.seq LIMIT 1",
        )
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn set_retention_days(&self, days: u32) -> Result<(), StoreError> {
        sqlx::query("UPDATE audit_policy SET retention_days = ?")
            .bind(i64::from(days))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn maintain(&self) -> Result<Maintenance, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        // The first event retention keeps; everything before it in sequence order (all older
        // than the cutoff) goes, but never past the sealed head.
        let first_kept: Option<i64> = sqlx::query_scalar(concat!(
            "SELECT min(seq) FROM audit_events WHERE occurred_at >= ",
            retention_cutoff!()
        ))
        .fetch_one(&mut *tx)
        .await?;
        let last_sealed: Option<i64> = sqlx::query_scalar("SELECT max(seq) FROM audit_seals")
            .fetch_one(&mut *tx)
            .await?;
        let through = match (first_kept, last_sealed) {
            (_, None) => None,
            (Some(kept), Some(sealed)) => Some(sealed.min(kept - 1)),
            (None, Some(sealed)) => Some(sealed),
        };
        let Some(through) = through else {
            tx.rollback().await?;
            return Ok(Maintenance::default());
        };
        let last_removed: Option<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT seq, hash FROM audit_seals WHERE seq <= ? ORDER BY seq DESC LIMIT 1",
        )
        .bind(through)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((removed_seq, removed_hash)) = last_removed else {
            tx.rollback().await?;
            return Ok(Maintenance::default());
        };
        let known = read_checkpoint(&mut *tx).await?;
        if known.is_none_or(|cp| removed_seq > cp.through_seq) {
            sqlx::query(
                "INSERT INTO audit_checkpoints (through_seq, hash, reason, created_at) VALUES (?, ?, ?, ?)",
            )
            .bind(removed_seq)
            .bind(removed_hash)
            .bind(format!("retention deleted events through {through}"))
            .bind(to_us(crate::domain::api_keys::now()))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM audit_seals WHERE seq <= ?")
            .bind(through)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM audit_events WHERE seq <= ?")
            .bind(through)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(Maintenance {
            created: Vec::new(),
            dropped: vec![format!("{deleted} events")],
        })
    }

    async fn current_role(&self) -> Result<Option<String>, StoreError> {
        Ok(None)
    }

    async fn grant_serving_role(&self, _role: &str) -> Result<(), StoreError> {
        Ok(())
    }

    async fn owns_audit_log(&self, _role: &str) -> Result<bool, StoreError> {
        Ok(true)
    }
}
