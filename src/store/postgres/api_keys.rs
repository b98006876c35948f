//! API keys in Postgres.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;

use super::PgStore;
use crate::domain::api_keys::{ApiKey, ApiKeyId};
use crate::store::{ApiKeyStore, KeyColumns, StoreError};

/// The api_keys columns in the order `key_from_row` reads them (a macro so that queries stay
/// `&'static str`, which sqlx requires of SQL text).
macro_rules! key_columns {
    () => {
        "id, name, scopes, accounts, lookup_prefix, token_hash, created_at, last_used_at, revoked_at"
    };
}

fn key_from_row(row: &PgRow) -> Result<ApiKey, StoreError> {
    KeyColumns {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        scopes: row.try_get("scopes")?,
        accounts: row.try_get("accounts")?,
        lookup_prefix: row.try_get("lookup_prefix")?,
        token_hash: row.try_get("token_hash")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    }
    .into_api_key()
}

/// The advisory lock taken while the first key is stored (see `insert_first`).
pub const FIRST_KEY_LOCK: i64 = 8_101_234_567_890_123_005;

fn insert_query(
    key: &ApiKey,
) -> sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments> {
    sqlx::query(
        "INSERT INTO api_keys (id, name, scopes, accounts, lookup_prefix, token_hash, created_at, last_used_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(key.id.as_str())
    .bind(&key.name)
    .bind(key.scopes.names())
    .bind(key.accounts.names())
    .bind(&key.lookup_prefix)
    .bind(key.token_hash.as_slice())
    .bind(key.created_at)
    .bind(key.last_used_at)
    .bind(key.revoked_at)
}

#[async_trait]
impl ApiKeyStore for PgStore {
    async fn insert(&self, key: &ApiKey) -> Result<(), StoreError> {
        insert_query(key).execute(&self.pool).await?;
        Ok(())
    }

    async fn insert_first(&self, key: &ApiKey) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Serializes the check and the insert among bootstrapping replicas; released at commit.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(FIRST_KEY_LOCK)
            .execute(&mut *tx)
            .await?;
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM api_keys)")
            .fetch_one(&mut *tx)
            .await?;
        if exists {
            return Ok(false);
        }
        insert_query(key).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn find_by_lookup_prefix(&self, prefix: &str) -> Result<Option<ApiKey>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            key_columns!(),
            " FROM api_keys WHERE lookup_prefix = $1"
        ))
        .bind(prefix)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(key_from_row).transpose()
    }

    async fn get(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            key_columns!(),
            " FROM api_keys WHERE id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(key_from_row).transpose()
    }

    async fn list(&self, after: Option<&str>, limit: u32) -> Result<Vec<ApiKey>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            key_columns!(),
            " FROM api_keys WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_from_row).collect()
    }

    async fn revoke(
        &self,
        id: &ApiKeyId,
        at: OffsetDateTime,
    ) -> Result<Option<ApiKey>, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING ",
            key_columns!()
        ))
        .bind(id.as_str())
        .bind(at)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(key_from_row).transpose()
    }

    async fn touch_last_used(&self, id: &ApiKeyId, at: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM api_keys")
            .fetch_one(&self.pool)
            .await?;
        Ok(n.max(0) as u64)
    }

    async fn revision(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT revision FROM api_key_revision")
            .fetch_one(&self.pool)
            .await?)
    }
}
