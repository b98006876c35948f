//! Idempotency records in Postgres: `INSERT … ON CONFLICT DO NOTHING` claims a key; a losing
//! claimant locks the existing row (`FOR UPDATE`) to decide between replay, wait, mismatch and
//! take-over, so concurrent requests on several replicas agree.

use async_trait::async_trait;
use serde_json::Value;
use sqlx::Row;
use time::OffsetDateTime;

use std::collections::HashSet;

use sqlx::PgPool;

use super::PgStore;
use super::batch::{or_each, touched, worth_one_statement};
use crate::domain::idempotency::{Begin, BeginRequest, StoredResponse};
use crate::store::{IdempotencyStore, StoreError};

fn lease_until(now: OffsetDateTime, lease: std::time::Duration) -> OffsetDateTime {
    now + time::Duration::try_from(lease).unwrap_or(time::Duration::MAX)
}

#[async_trait]
impl IdempotencyStore for PgStore {
    async fn begin(&self, r: &BeginRequest<'_>) -> Result<Begin, StoreError> {
        let lease_end = lease_until(r.now, r.lease);
        let expires = lease_until(r.now, r.ttl);
        // The common case, a key never seen, is one insert, batched with concurrent requests'
        // claims (batch.rs); only a key that exists needs the transaction below, which locks
        // its row and decides.
        let claimed = self
            .batches
            .claims
            .submit(Claim {
                api_key_id: r.api_key_id.to_string(),
                key: r.key.as_str().to_string(),
                fingerprint: r.fingerprint.to_string(),
                method: r.method.to_string(),
                route: r.route.to_string(),
                owner: r.owner.to_string(),
                lease_end,
                now: r.now,
                expires,
            })
            .await?;
        if claimed {
            return Ok(Begin::Started);
        }
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT fingerprint, state, lease_expires_at, progress, response_status, response_headers, response_body, expires_at, created_at
             FROM idempotency_keys WHERE api_key_id = $1 AND idempotency_key = $2 FOR UPDATE",
        )
        .bind(r.api_key_id)
        .bind(r.key.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            // Swept between the two statements: the key is free again.
            tx.rollback().await?;
            return Box::pin(self.begin(r)).await;
        };
        let expires_at: OffsetDateTime = row.try_get("expires_at")?;
        let outcome = if expires_at <= r.now {
            sqlx::query(
                "UPDATE idempotency_keys SET fingerprint = $3, method = $4, route = $5, state = 'in_progress', lease_owner = $6,
                 lease_expires_at = $7, progress = NULL, response_status = NULL, response_headers = NULL, response_body = NULL,
                 created_at = $8, completed_at = NULL, expires_at = $9
                 WHERE api_key_id = $1 AND idempotency_key = $2",
            )
            .bind(r.api_key_id)
            .bind(r.key.as_str())
            .bind(r.fingerprint)
            .bind(r.method)
            .bind(r.route)
            .bind(r.owner)
            .bind(lease_end)
            .bind(r.now)
            .bind(expires)
            .execute(&mut *tx)
            .await?;
            Begin::Started
        } else if row.try_get::<String, _>("fingerprint")? != r.fingerprint {
            Begin::Mismatch
        } else if row.try_get::<String, _>("state")? == "completed" {
            let headers: Option<Value> = row.try_get("response_headers")?;
            Begin::Completed(StoredResponse {
                status: row
                    .try_get::<Option<i32>, _>("response_status")?
                    .unwrap_or(500) as u16,
                headers: headers
                    .and_then(|h| serde_json::from_value(h).ok())
                    .unwrap_or_default(),
                body: row
                    .try_get::<Option<Vec<u8>>, _>("response_body")?
                    .unwrap_or_default(),
            })
        } else {
            let lease: Option<OffsetDateTime> = row.try_get("lease_expires_at")?;
            match lease.filter(|l| *l > r.now) {
                Some(lease) => Begin::InProgress {
                    retry_after: (lease - r.now).try_into().unwrap_or_default(),
                },
                None => {
                    sqlx::query(
                        "UPDATE idempotency_keys SET lease_owner = $3, lease_expires_at = $4 WHERE api_key_id = $1 AND idempotency_key = $2",
                    )
                    .bind(r.api_key_id)
                    .bind(r.key.as_str())
                    .bind(r.owner)
                    .bind(lease_end)
                    .execute(&mut *tx)
                    .await?;
                    Begin::Resumed {
                        progress: row.try_get("progress")?,
                        claimed_at: row.try_get("created_at")?,
                    }
                }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    async fn save_progress(
        &self,
        api_key_id: &str,
        key: &str,
        owner: &str,
        progress: &Value,
        lease_until: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.batches
            .progress
            .submit(ProgressSave {
                row: RowOfClaim::new(api_key_id, key, owner),
                progress: progress.clone(),
                lease_until,
            })
            .await
    }

    async fn complete(
        &self,
        api_key_id: &str,
        key: &str,
        owner: &str,
        response: &StoredResponse,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.batches
            .completions
            .submit(Completion {
                row: RowOfClaim::new(api_key_id, key, owner),
                status: i32::from(response.status),
                headers: serde_json::to_value(&response.headers).unwrap_or(Value::Null),
                body: response.body.clone(),
                completed_at: now,
            })
            .await
    }

    async fn release(&self, api_key_id: &str, key: &str, owner: &str) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE api_key_id = $1 AND idempotency_key = $2 AND lease_owner = $3 AND state = 'in_progress'",
        )
        .bind(api_key_id)
        .bind(key)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn abandon(
        &self,
        api_key_id: &str,
        key: &str,
        owner: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE idempotency_keys SET lease_expires_at = $4
             WHERE api_key_id = $1 AND idempotency_key = $2 AND lease_owner = $3 AND state = 'in_progress'",
        )
        .bind(api_key_id)
        .bind(key)
        .bind(owner)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn sweep(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1")
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}

/// A first claim of a key: the row to insert.
pub(super) struct Claim {
    api_key_id: String,
    key: String,
    fingerprint: String,
    method: String,
    route: String,
    owner: String,
    lease_end: OffsetDateTime,
    now: OffsetDateTime,
    expires: OffsetDateTime,
}

/// Claims, one result per claim (whether its row was inserted), in order. A claim that finds
/// its key taken, including by an earlier claim of the same batch, answers `false` and goes
/// the locking way; the lease owner, unique per attempt, tells the claims apart.
pub(super) async fn claims(pool: &PgPool, claims: Vec<Claim>) -> Vec<Result<bool, StoreError>> {
    let ran = if worth_one_statement(&claims) {
        Some(claims_together(pool, &claims).await.map(|owners| {
            claims
                .iter()
                .map(|c| Ok(owners.contains(&c.owner)))
                .collect()
        }))
    } else {
        None
    };
    or_each("idempotency claims", claims, ran, |claim| async move {
        claim_one(pool, &claim).await
    })
    .await
}

async fn claim_one(pool: &PgPool, c: &Claim) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (api_key_id, idempotency_key, fingerprint, method, route, state, lease_owner, lease_expires_at, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, 'in_progress', $6, $7, $8, $9)
         ON CONFLICT (api_key_id, idempotency_key) DO NOTHING",
    )
    .bind(&c.api_key_id)
    .bind(&c.key)
    .bind(&c.fingerprint)
    .bind(&c.method)
    .bind(&c.route)
    .bind(&c.owner)
    .bind(c.lease_end)
    .bind(c.now)
    .bind(c.expires)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// One statement for many claims (`DO NOTHING` skips a key repeated within the batch too).
async fn claims_together(pool: &PgPool, claims: &[Claim]) -> Result<HashSet<String>, StoreError> {
    let text = |f: fn(&Claim) -> &String| claims.iter().map(f).collect::<Vec<_>>();
    let time = |f: fn(&Claim) -> OffsetDateTime| claims.iter().map(f).collect::<Vec<_>>();
    let owners: Vec<(String,)> = sqlx::query_as(
        "INSERT INTO idempotency_keys (api_key_id, idempotency_key, fingerprint, method, route, state, lease_owner, lease_expires_at, created_at, expires_at)
         SELECT u.api_key_id, u.key, u.fingerprint, u.method, u.route, 'in_progress', u.owner, u.lease_end, u.created_at, u.expires_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[])
             AS u(api_key_id, key, fingerprint, method, route, owner, lease_end, created_at, expires_at)
         ON CONFLICT (api_key_id, idempotency_key) DO NOTHING
         RETURNING lease_owner",
    )
    .bind(text(|c| &c.api_key_id))
    .bind(text(|c| &c.key))
    .bind(text(|c| &c.fingerprint))
    .bind(text(|c| &c.method))
    .bind(text(|c| &c.route))
    .bind(text(|c| &c.owner))
    .bind(time(|c| c.lease_end))
    .bind(time(|c| c.now))
    .bind(time(|c| c.expires))
    .fetch_all(pool)
    .await?;
    Ok(owners.into_iter().map(|(owner,)| owner).collect())
}

/// The row a claimant holds: found by its key, changed only while `owner` holds its lease.
pub(super) struct RowOfClaim {
    api_key_id: String,
    key: String,
    owner: String,
}

impl RowOfClaim {
    fn new(api_key_id: &str, key: &str, owner: &str) -> RowOfClaim {
        RowOfClaim {
            api_key_id: api_key_id.to_string(),
            key: key.to_string(),
            owner: owner.to_string(),
        }
    }
}

/// The columns of many rows, in order, for the `*_many` functions.
fn rows_of<T>(items: &[T], row: fn(&T) -> &RowOfClaim) -> [Vec<&str>; 3] {
    let column = |f: fn(&RowOfClaim) -> &str| items.iter().map(|i| f(row(i))).collect();
    [
        column(|r| r.api_key_id.as_str()),
        column(|r| r.key.as_str()),
        column(|r| r.owner.as_str()),
    ]
}

/// A progress save (the plan journal, or a lease renewal): the row to change.
pub(super) struct ProgressSave {
    row: RowOfClaim,
    progress: Value,
    lease_until: OffsetDateTime,
}

/// Progress saves, one result per save (whether the claimant still held the row), in order.
pub(super) async fn progress_saves(
    pool: &PgPool,
    saves: Vec<ProgressSave>,
) -> Vec<Result<bool, StoreError>> {
    let ran = if worth_one_statement(&saves) {
        let [ids, keys, owners] = rows_of(&saves, |s| &s.row);
        Some(
            sqlx::query_scalar::<_, i32>(
                "SELECT idempotency_save_progress_many($1, $2, $3, $4, $5)",
            )
            .bind(ids)
            .bind(keys)
            .bind(owners)
            .bind(saves.iter().map(|s| &s.progress).collect::<Vec<_>>())
            .bind(saves.iter().map(|s| s.lease_until).collect::<Vec<_>>())
            .fetch_all(pool)
            .await
            .map(|ords| touched(saves.len(), ords.into_iter().map(i64::from).collect()))
            .map_err(StoreError::from),
        )
    } else {
        None
    };
    or_each(
        "idempotency progress saves",
        saves,
        ran,
        |save| async move { save_progress_one(pool, &save).await },
    )
    .await
}

async fn save_progress_one(pool: &PgPool, s: &ProgressSave) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "UPDATE idempotency_keys SET progress = $4, lease_expires_at = $5
         WHERE api_key_id = $1 AND idempotency_key = $2 AND lease_owner = $3 AND state = 'in_progress'",
    )
    .bind(&s.row.api_key_id)
    .bind(&s.row.key)
    .bind(&s.row.owner)
    .bind(&s.progress)
    .bind(s.lease_until)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// A final response to store for replay.
pub(super) struct Completion {
    row: RowOfClaim,
    status: i32,
    headers: Value,
    body: Vec<u8>,
    completed_at: OffsetDateTime,
}

/// Completions, one result per completion (whether the claimant still held the row), in order.
pub(super) async fn completions(
    pool: &PgPool,
    completions: Vec<Completion>,
) -> Vec<Result<bool, StoreError>> {
    let ran = if worth_one_statement(&completions) {
        let [ids, keys, owners] = rows_of(&completions, |c| &c.row);
        Some(
            sqlx::query_scalar::<_, i32>(
                "SELECT idempotency_complete_many($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(ids)
            .bind(keys)
            .bind(owners)
            .bind(completions.iter().map(|c| c.status).collect::<Vec<_>>())
            .bind(completions.iter().map(|c| &c.headers).collect::<Vec<_>>())
            .bind(
                completions
                    .iter()
                    .map(|c| c.body.as_slice())
                    .collect::<Vec<_>>(),
            )
            .bind(
                completions
                    .iter()
                    .map(|c| c.completed_at)
                    .collect::<Vec<_>>(),
            )
            .fetch_all(pool)
            .await
            .map(|ords| touched(completions.len(), ords.into_iter().map(i64::from).collect()))
            .map_err(StoreError::from),
        )
    } else {
        None
    };
    or_each(
        "idempotency completions",
        completions,
        ran,
        |c| async move { complete_one(pool, &c).await },
    )
    .await
}

async fn complete_one(pool: &PgPool, c: &Completion) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "UPDATE idempotency_keys SET state = 'completed', lease_owner = NULL, lease_expires_at = NULL,
         response_status = $4, response_headers = $5, response_body = $6, completed_at = $7
         WHERE api_key_id = $1 AND idempotency_key = $2 AND lease_owner = $3 AND state = 'in_progress'",
    )
    .bind(&c.row.api_key_id)
    .bind(&c.row.key)
    .bind(&c.row.owner)
    .bind(c.status)
    .bind(&c.headers)
    .bind(&c.body)
    .bind(c.completed_at)
    .execute(pool)
    .await?
    .rows_affected();
    Ok(updated == 1)
}
