//! Idempotency records in SQLite: the same rules as Postgres inside one write transaction
//! (SQLite serializes writers). Times are integer microseconds since the epoch.

use async_trait::async_trait;
use serde_json::Value;
use sqlx::Row;
use time::OffsetDateTime;

use super::{SqliteStore, from_us, to_us};
use crate::domain::idempotency::{Begin, BeginRequest, StoredResponse};
use crate::store::{IdempotencyStore, StoreError};

fn plus(now: OffsetDateTime, d: std::time::Duration) -> i64 {
    to_us(now).saturating_add(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn begin(&self, r: &BeginRequest<'_>) -> Result<Begin, StoreError> {
        let now = to_us(r.now);
        let lease_end = plus(r.now, r.lease);
        let expires = plus(r.now, r.ttl);
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (api_key_id, idempotency_key, fingerprint, method, route, state, lease_owner, lease_expires_at, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'in_progress', ?6, ?7, ?8, ?9)
             ON CONFLICT (api_key_id, idempotency_key) DO NOTHING",
        )
        .bind(r.api_key_id)
        .bind(r.key.as_str())
        .bind(r.fingerprint)
        .bind(r.method)
        .bind(r.route)
        .bind(r.owner)
        .bind(lease_end)
        .bind(now)
        .bind(expires)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            tx.commit().await?;
            return Ok(Begin::Started);
        }
        let row = sqlx::query(
            "SELECT fingerprint, state, lease_expires_at, progress, response_status, response_headers, response_body, expires_at, created_at
             FROM idempotency_keys WHERE api_key_id = ?1 AND idempotency_key = ?2",
        )
        .bind(r.api_key_id)
        .bind(r.key.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let expires_at: i64 = row.try_get("expires_at")?;
        let outcome = if expires_at <= now {
            sqlx::query(
                "UPDATE idempotency_keys SET fingerprint = ?3, method = ?4, route = ?5, state = 'in_progress', lease_owner = ?6,
                 lease_expires_at = ?7, progress = NULL, response_status = NULL, response_headers = NULL, response_body = NULL,
                 created_at = ?8, completed_at = NULL, expires_at = ?9
                 WHERE api_key_id = ?1 AND idempotency_key = ?2",
            )
            .bind(r.api_key_id)
            .bind(r.key.as_str())
            .bind(r.fingerprint)
            .bind(r.method)
            .bind(r.route)
            .bind(r.owner)
            .bind(lease_end)
            .bind(now)
            .bind(expires)
            .execute(&mut *tx)
            .await?;
            Begin::Started
        } else if row.try_get::<String, _>("fingerprint")? != r.fingerprint {
            Begin::Mismatch
        } else if row.try_get::<String, _>("state")? == "completed" {
            let headers: Option<String> = row.try_get("response_headers")?;
            Begin::Completed(StoredResponse {
                status: row
                    .try_get::<Option<i64>, _>("response_status")?
                    .unwrap_or(500) as u16,
                headers: headers
                    .and_then(|h| serde_json::from_str(&h).ok())
                    .unwrap_or_default(),
                body: row
                    .try_get::<Option<Vec<u8>>, _>("response_body")?
                    .unwrap_or_default(),
            })
        } else {
            let lease: Option<i64> = row.try_get("lease_expires_at")?;
            match lease.filter(|l| *l > now) {
                Some(lease) => Begin::InProgress {
                    retry_after: std::time::Duration::from_micros(
                        u64::try_from(lease - now).unwrap_or(0),
                    ),
                },
                None => {
                    sqlx::query(
                        "UPDATE idempotency_keys SET lease_owner = ?3, lease_expires_at = ?4 WHERE api_key_id = ?1 AND idempotency_key = ?2",
                    )
                    .bind(r.api_key_id)
                    .bind(r.key.as_str())
                    .bind(r.owner)
                    .bind(lease_end)
                    .execute(&mut *tx)
                    .await?;
                    let progress: Option<String> = row.try_get("progress")?;
                    Begin::Resumed {
                        progress: progress.and_then(|p| serde_json::from_str(&p).ok()),
                        claimed_at: from_us(row.try_get("created_at")?)?,
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
        let updated = sqlx::query(
            "UPDATE idempotency_keys SET progress = ?4, lease_expires_at = ?5
             WHERE api_key_id = ?1 AND idempotency_key = ?2 AND lease_owner = ?3 AND state = 'in_progress'",
        )
        .bind(api_key_id)
        .bind(key)
        .bind(owner)
        .bind(progress.to_string())
        .bind(to_us(lease_until))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    async fn complete(
        &self,
        api_key_id: &str,
        key: &str,
        owner: &str,
        response: &StoredResponse,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let headers = serde_json::to_string(&response.headers).unwrap_or_else(|_| "[]".to_string());
        let updated = sqlx::query(
            "UPDATE idempotency_keys SET state = 'completed', lease_owner = NULL, lease_expires_at = NULL,
             response_status = ?4, response_headers = ?5, response_body = ?6, completed_at = ?7
             WHERE api_key_id = ?1 AND idempotency_key = ?2 AND lease_owner = ?3 AND state = 'in_progress'",
        )
        .bind(api_key_id)
        .bind(key)
        .bind(owner)
        .bind(i64::from(response.status))
        .bind(headers)
        .bind(&response.body)
        .bind(to_us(now))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    async fn release(&self, api_key_id: &str, key: &str, owner: &str) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE api_key_id = ?1 AND idempotency_key = ?2 AND lease_owner = ?3 AND state = 'in_progress'",
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
            "UPDATE idempotency_keys SET lease_expires_at = ?4
             WHERE api_key_id = ?1 AND idempotency_key = ?2 AND lease_owner = ?3 AND state = 'in_progress'",
        )
        .bind(api_key_id)
        .bind(key)
        .bind(owner)
        .bind(to_us(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn sweep(&self, now: OffsetDateTime) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= ?1")
                .bind(to_us(now))
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}
