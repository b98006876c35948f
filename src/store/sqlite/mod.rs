//! The embedded SQLite store: one file, no database server — the default that makes
//! `cargo run` work on a bare machine.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use time::OffsetDateTime;

use super::{StoreAdmin, StoreError};
use crate::config::Backend;

mod api_keys;
mod audit;
mod idempotency;
mod tombstones;

/// The SQLite migrations, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// SQLite-backed implementation of every store trait.
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating file and folder when missing) the database the URL names.
    pub async fn connect(url: &str, max_connections: u32) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let file = options.get_filename();
        if let Some(parent) = Path::new(file)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Unavailable(format!("cannot create folder {}: {e}", parent.display()))
            })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            // A file database does not drop connections; the ping was one more trip through
            // the connection's worker per statement.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(SqliteStore { pool })
    }

    /// The pool, for tests that must reach below the traits.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[async_trait]
impl StoreAdmin for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn readiness(&self) -> Result<(), StoreError> {
        let latest = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        if applied.unwrap_or(0) < latest {
            return Err(StoreError::Unavailable(format!(
                "migrations pending: applied {} of {latest}",
                applied.unwrap_or(0)
            )));
        }
        Ok(())
    }

    fn pool_stats(&self) -> crate::telemetry::metrics::PoolStats {
        crate::telemetry::metrics::PoolStats {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
    }

    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

/// A time as SQLite keeps it: microseconds since the Unix epoch (saturating far outside).
pub(super) fn to_us(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

/// A stored time back; an impossible one is a store failure, not a panic.
pub(super) fn from_us(us: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .map_err(|e| StoreError::Other(format!("bad stored time: {e}")))
}
