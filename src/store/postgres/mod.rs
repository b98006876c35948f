//! The Postgres store: production, shared by several gateway replicas.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};

use super::{StoreAdmin, StoreError};
use crate::config::Backend;
use batch::Batcher;

mod api_keys;
mod audit;
mod audit_writes;
mod batch;
mod idempotency;
mod tombstones;

pub use api_keys::FIRST_KEY_LOCK;

/// The Postgres migrations, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Postgres-backed implementation of every store trait.
#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    batches: Batches,
}

/// The hot path's statements, each batched across concurrent requests (batch.rs).
#[derive(Clone)]
struct Batches {
    intents: Batcher<crate::domain::audit::NewAuditEvent, i64>,
    outcomes: Batcher<audit_writes::Outcome, bool>,
    claims: Batcher<idempotency::Claim, bool>,
    progress: Batcher<idempotency::ProgressSave, bool>,
    completions: Batcher<idempotency::Completion, bool>,
}

impl Batches {
    fn spawn(pool: &PgPool) -> Batches {
        let in_flight = batch::in_flight_for(pool.options().get_max_connections());
        let p = pool.clone();
        let intents = Batcher::spawn(in_flight, move |items| {
            let pool = p.clone();
            async move { audit_writes::intents(&pool, items).await }
        });
        let p = pool.clone();
        let outcomes = Batcher::spawn(in_flight, move |items| {
            let pool = p.clone();
            async move { audit_writes::outcomes(&pool, items).await }
        });
        let p = pool.clone();
        let claims = Batcher::spawn(in_flight, move |items| {
            let pool = p.clone();
            async move { idempotency::claims(&pool, items).await }
        });
        let p = pool.clone();
        let progress = Batcher::spawn(in_flight, move |items| {
            let pool = p.clone();
            async move { idempotency::progress_saves(&pool, items).await }
        });
        let p = pool.clone();
        let completions = Batcher::spawn(in_flight, move |items| {
            let pool = p.clone();
            async move { idempotency::completions(&pool, items).await }
        });
        Batches {
            intents,
            outcomes,
            claims,
            progress,
            completions,
        }
    }
}

impl PgStore {
    /// Connects a pool (the first connection is made now, so a wrong URL fails at start).
    pub async fn connect(url: &str, max_connections: u32) -> Result<PgStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            // No ping before every statement: it doubled the round trips of the hot path. A
            // connection that died meanwhile fails its one statement (503, retryable) and is
            // not reused.
            .test_before_acquire(false)
            .connect(url)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let batches = Batches::spawn(&pool);
        Ok(PgStore { pool, batches })
    }

    /// The pool, for tests that must reach below the traits.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl StoreAdmin for PgStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        // sqlx holds a Postgres advisory lock while migrating, so replicas starting together
        // apply each migration once.
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
        Backend::Postgres
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
