//! API keys in SQLite (lists as JSON text).

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;

use super::SqliteStore;
use crate::domain::api_keys::{ApiKey, ApiKeyId};
use crate::store::{ApiKeyStore, KeyColumns, StoreError, strings_from_json};

/// The api_keys columns in the order `key_from_row` reads them (a macro so that queries stay
/// `&'static str`, which sqlx requires of SQL text).
macro_rules! key_columns {
    () => {
        "id, name, scopes, accounts, lookup_prefix, token_hash, created_at, last_used_at, revoked_at"
    };
}

fn key_from_row(row: &SqliteRow) -> Result<ApiKey, StoreError> {
    let scopes: String = row.try_get("scopes")?;
    let accounts: Option<String> = row.try_get("accounts")?;
    KeyColumns {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        scopes: strings_from_json(&scopes)?,
        accounts: accounts.as_deref().map(strings_from_json).transpose()?,
        lookup_prefix: row.try_get("lookup_prefix")?,
        token_hash: row.try_get("token_hash")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    }
    .into_api_key()
}

fn json_list(list: &[String]) -> String {
    serde_json::Value::from(list.to_vec()).to_string()
}

/// `sql` (an insert of the nine api_keys columns as ?1…?9) with `key`'s values bound.
fn insert_query<'q>(
    sql: &'static str,
    key: &'q ApiKey,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    sqlx::query(sql)
        .bind(key.id.as_str())
        .bind(&key.name)
        .bind(json_list(&key.scopes.names()))
        .bind(key.accounts.names().as_deref().map(json_list))
        .bind(&key.lookup_prefix)
        .bind(key.token_hash.as_slice())
        .bind(key.created_at)
        .bind(key.last_used_at)
        .bind(key.revoked_at)
}

#[async_trait]
impl ApiKeyStore for SqliteStore {
    async fn insert(&self, key: &ApiKey) -> Result<(), StoreError> {
        insert_query(
            "INSERT INTO api_keys (id, name, scopes, accounts, lookup_prefix, token_hash, created_at, last_used_at, revoked_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            key,
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn insert_first(&self, key: &ApiKey) -> Result<bool, StoreError> {
        // One statement: SQLite runs it under the database's write lock, so the check and the
        // insert cannot interleave with another process's.
        let inserted = insert_query(
            "INSERT INTO api_keys (id, name, scopes, accounts, lookup_prefix, token_hash, created_at, last_used_at, revoked_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 WHERE NOT EXISTS (SELECT 1 FROM api_keys)",
            key,
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    async fn find_by_lookup_prefix(&self, prefix: &str) -> Result<Option<ApiKey>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            key_columns!(),
            " FROM api_keys WHERE lookup_prefix = ?1"
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
            " FROM api_keys WHERE id = ?1"
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
            " FROM api_keys WHERE (?1 IS NULL OR id > ?1) ORDER BY id LIMIT ?2"
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
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1 RETURNING ",
            key_columns!()
        ))
        .bind(id.as_str())
        .bind(at)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(key_from_row).transpose()
    }

    async fn touch_last_used(&self, id: &ApiKeyId, at: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1")
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
