//! Tombstones in SQLite: the snapshot as JSON text, the columns the filters need beside it.

use async_trait::async_trait;
use sqlx::Row;

use super::{SqliteStore, to_us};
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::tombstones::{ListedTombstone, Tombstone, TombstoneFilter};
use crate::store::{StoreError, TombstoneStore, tombstone_from_text, tombstone_products};

#[async_trait]
impl TombstoneStore for SqliteStore {
    async fn record(&self, cause: &str, tombstone: &Tombstone) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO proxy_user_tombstones
                (cause, account, upstream_id, username, label_folded, products, snapshot, deleted_at, deleted_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (cause) DO NOTHING",
        )
        .bind(cause)
        .bind(&tombstone.id.account)
        .bind(&tombstone.id.upstream)
        .bind(&tombstone.username)
        .bind(tombstone.label_folded())
        .bind(tombstone_products(tombstone))
        .bind(tombstone.to_json().to_string())
        .bind(to_us(tombstone.deleted_at))
        .bind(&tombstone.deleted_by)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn latest(&self, id: &ProxyUserId) -> Result<Option<Tombstone>, StoreError> {
        let row = sqlx::query(
            "SELECT seq, snapshot FROM proxy_user_tombstones
             WHERE account = ?1 AND upstream_id = ?2 ORDER BY seq DESC LIMIT 1",
        )
        .bind(&id.account)
        .bind(&id.upstream)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| tombstone_from_text(row.try_get("seq")?, row.try_get("snapshot")?))
            .transpose()
    }

    async fn list(
        &self,
        filter: &TombstoneFilter,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<ListedTombstone>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, snapshot FROM proxy_user_tombstones
             WHERE account IN (SELECT value FROM json_each(?1))
               AND (?2 IS NULL OR seq < ?2)
               AND (?3 IS NULL OR EXISTS (SELECT 1 FROM json_each(products) WHERE value = ?3))
               AND (?4 IS NULL OR instr(label_folded, ?4) > 0)
               AND (?5 IS NULL OR substr(username, 1, length(?5)) = ?5)
             ORDER BY seq DESC LIMIT ?6",
        )
        .bind(serde_json::Value::from(filter.accounts.clone()).to_string())
        .bind(before)
        .bind(filter.product.map(|p| p.as_str()))
        .bind(filter.label_folded())
        .bind(filter.username_prefix.as_deref())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.try_get("seq")?;
                Ok(ListedTombstone {
                    seq,
                    tombstone: tombstone_from_text(seq, row.try_get("snapshot")?)?,
                })
            })
            .collect()
    }
}
