//! Persistence beside the request path: API keys, idempotency records, audit events and the
//! tombstones of deleted proxy users. One
//! trait per concern, one implementation per database ([`postgres`], [`sqlite`]), chosen from
//! the URL scheme; one conformance suite (tests/it/store_conformance.rs) proves both behave the
//! same.

pub mod migrate;
pub mod postgres;
pub mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::config::{Backend, DatabaseUrl};
use crate::domain::api_keys::{ApiKey, ApiKeyId};
use crate::domain::audit::{
    AuditEvent, AuditFilter, ChainLink, Checkpoint, Completion, EventKey, Maintenance,
    NewAuditEvent, SealRun,
};
use crate::domain::idempotency::{Begin, BeginRequest, StoredResponse};
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::tombstones::{ListedTombstone, Tombstone, TombstoneFilter};

/// Why a store call failed, in the terms the HTTP layer needs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (connection refused, pool timed out): 503.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A uniqueness rule refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Anything else (bad data, SQL error): 500, details logged.
    #[error("store error: {0}")]
    Other(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => StoreError::Unavailable(err.to_string()),
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict("a record with the same unique value exists".to_string())
            }
            // SQLSTATE classes 08 (connection exception), 53 (insufficient resources) and 57
            // (operator intervention, e.g. the server shutting down), and 3D000 (the database
            // is gone): the database cannot serve, the request itself was fine.
            sqlx::Error::Database(db)
                if db.code().is_some_and(|code| {
                    code.starts_with("08")
                        || code.starts_with("53")
                        || code.starts_with("57")
                        || code == "3D000"
                }) =>
            {
                StoreError::Unavailable(err.to_string())
            }
            _ => StoreError::Other(err.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        StoreError::Other(format!("migration failed: {err}"))
    }
}

/// API keys of the callers.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Stores a new key; a duplicate id or lookup prefix is a `Conflict`.
    async fn insert(&self, key: &ApiKey) -> Result<(), StoreError>;
    /// Stores `key` only if the store holds no key at all, atomically across processes: the
    /// bootstrap of replicas starting together on an empty store creates one admin key, not
    /// one each. `false` when a key already existed (nothing stored).
    async fn insert_first(&self, key: &ApiKey) -> Result<bool, StoreError>;
    /// The key whose token starts with `prefix`, revoked or not.
    async fn find_by_lookup_prefix(&self, prefix: &str) -> Result<Option<ApiKey>, StoreError>;
    /// One key by id.
    async fn get(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, StoreError>;
    /// Keys in id (creation) order, starting after `after`, at most `limit`.
    async fn list(&self, after: Option<&str>, limit: u32) -> Result<Vec<ApiKey>, StoreError>;
    /// Marks a key revoked (keeping the first revocation time); `None` when no such key.
    async fn revoke(&self, id: &ApiKeyId, at: OffsetDateTime)
    -> Result<Option<ApiKey>, StoreError>;
    /// Records that the key authenticated a request at `at`.
    async fn touch_last_used(&self, id: &ApiKeyId, at: OffsetDateTime) -> Result<(), StoreError>;
    /// How many keys exist, revoked ones included (bootstrap only runs on an empty store).
    async fn count(&self) -> Result<u64, StoreError>;
    /// A number that moves whenever a key changes in a way authentication depends on
    /// (revocation, scopes, accounts; moved by a trigger): replicas poll it to know when the
    /// keys they verified from memory must be verified again.
    async fn revision(&self) -> Result<i64, StoreError>;
}

/// Idempotency records: claimed before any upstream call, completed with the response to
/// replay. Every method is one transaction, correct with several gateway processes sharing the
/// database (a unique key plus row locking; no in-process lock is the source of truth).
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims the key for this request, or says why not (replay, in use, mismatch).
    async fn begin(&self, request: &BeginRequest<'_>) -> Result<Begin, StoreError>;
    /// Records how far the operation got and extends the lease to `lease_until`; false when
    /// `owner` no longer holds the lease.
    async fn save_progress(
        &self,
        api_key_id: &str,
        key: &str,
        owner: &str,
        progress: &serde_json::Value,
        lease_until: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Stores the final response; false when `owner` no longer holds the lease.
    async fn complete(
        &self,
        api_key_id: &str,
        key: &str,
        owner: &str,
        response: &StoredResponse,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Forgets a claim whose operation never started, so the caller may fix and resend.
    async fn release(&self, api_key_id: &str, key: &str, owner: &str) -> Result<(), StoreError>;
    /// Ends the lease at once but keeps the record in progress (the outcome is unknown): the
    /// next request with the key takes over and reconciles.
    async fn abandon(
        &self,
        api_key_id: &str,
        key: &str,
        owner: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Deletes records past their expiry; returns how many.
    async fn sweep(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
}

/// The append-only audit log (see `domain::audit`). The database enforces append-only: the
/// only change it accepts to an event is the one completion of a pending one.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Records the intent of a request as a `pending` event; its sequence number is assigned
    /// here, in an order the sealer can trust (see the backends).
    async fn record_intent(&self, event: &NewAuditEvent) -> Result<EventKey, StoreError>;
    /// Completes a pending event, once; false when it was no longer pending.
    async fn complete(&self, key: &EventKey, completion: &Completion) -> Result<bool, StoreError>;
    /// Completes every event still pending that occurred before `before` as `unknown`.
    async fn complete_abandoned(
        &self,
        before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// One event by id, with its seal.
    async fn get(&self, id: &str) -> Result<Option<AuditEvent>, StoreError>;
    /// Events matching `filter`, newest first (by `occurred_at`, then sequence), after `after`.
    async fn list(
        &self,
        filter: &AuditFilter,
        after: Option<&EventKey>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, StoreError>;
    /// Seals up to `max` completed events in sequence order, as the only sealer at the time.
    async fn seal(&self, now: OffsetDateTime, max: u32) -> Result<SealRun, StoreError>;
    /// Seals in sequence order after `after`, with their events as stored now.
    async fn chain_page(
        &self,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Vec<ChainLink>, StoreError>;
    /// Where retention last cut the chain.
    async fn checkpoint(&self) -> Result<Option<Checkpoint>, StoreError>;
    /// How many events are not sealed.
    async fn unsealed_count(&self) -> Result<u64, StoreError>;
    /// The first unsealed event with a sequence number below `seq` (there should be none).
    async fn first_unsealed_before(&self, seq: i64) -> Result<Option<(i64, String)>, StoreError>;
    /// Records the retention period the database enforces.
    async fn set_retention_days(&self, days: u32) -> Result<(), StoreError>;
    /// Creates partitions ahead and removes what is past retention (whole partitions on
    /// Postgres), recording a checkpoint first.
    async fn maintain(&self) -> Result<Maintenance, StoreError>;
    /// The database role this connection acts as (`None` where there are no roles).
    async fn current_role(&self) -> Result<Option<String>, StoreError>;
    /// Over the owner's connection: grants `role` what serving needs and nothing more on the
    /// audit log (INSERT, SELECT, the completion columns).
    async fn grant_serving_role(&self, role: &str) -> Result<(), StoreError>;
    /// Whether `role` owns the audit log (then only the triggers protect it).
    async fn owns_audit_log(&self, role: &str) -> Result<bool, StoreError>;
}

/// The tombstones of deleted proxy users: written once per delete, never changed.
#[async_trait]
pub trait TombstoneStore: Send + Sync {
    /// Keeps `tombstone` under `cause` (the delete that wrote it); recording the same cause
    /// again (a resumed delete) keeps the first and answers `false`.
    async fn record(&self, cause: &str, tombstone: &Tombstone) -> Result<bool, StoreError>;
    /// The newest tombstone of `id`, if the gateway ever deleted it.
    async fn latest(&self, id: &ProxyUserId) -> Result<Option<Tombstone>, StoreError>;
    /// Up to `limit` tombstones passing `filter`, newest first, older than `before` (a seq).
    async fn list(
        &self,
        filter: &TombstoneFilter,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<ListedTombstone>, StoreError>;
}

/// Lifecycle of the database itself.
#[async_trait]
pub trait StoreAdmin: Send + Sync {
    /// Applies pending migrations (safe when several processes start together).
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Ok when the database answers and every migration this binary knows is applied.
    async fn readiness(&self) -> Result<(), StoreError>;
    /// `postgres` or `sqlite`.
    fn backend(&self) -> Backend;
    /// The connection pool's occupancy, for the metrics.
    fn pool_stats(&self) -> crate::telemetry::metrics::PoolStats {
        crate::telemetry::metrics::PoolStats::default()
    }
    /// Closes the pool.
    async fn close(&self);
}

/// The store as the application holds it: one handle per concern, all backed by one database.
#[derive(Clone)]
pub struct Store {
    /// API keys.
    pub api_keys: Arc<dyn ApiKeyStore>,
    /// Idempotency records.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// The audit log.
    pub audit: Arc<dyn AuditStore>,
    /// Tombstones of deleted proxy users.
    pub tombstones: Arc<dyn TombstoneStore>,
    /// Migrations and health.
    pub admin: Arc<dyn StoreAdmin>,
}

impl Store {
    fn from_backend<
        T: ApiKeyStore + IdempotencyStore + AuditStore + TombstoneStore + StoreAdmin + 'static,
    >(
        backend: T,
    ) -> Store {
        let backend = Arc::new(backend);
        Store {
            api_keys: backend.clone(),
            idempotency: backend.clone(),
            audit: backend.clone(),
            tombstones: backend.clone(),
            admin: backend,
        }
    }
}

/// Connects to the database the URL names (without migrating).
pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> Result<Store, StoreError> {
    match url.backend() {
        Backend::Postgres => Ok(Store::from_backend(
            postgres::PgStore::connect(url.expose(), max_connections).await?,
        )),
        Backend::Sqlite => Ok(Store::from_backend(
            sqlite::SqliteStore::connect(url.expose(), max_connections).await?,
        )),
    }
}

/// Decodes the JSON text form of a list of strings, used where a backend has no array type.
pub(crate) fn strings_from_json(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Other(format!("bad stored list: {e}")))
}

/// The stored columns of one API key, as both backends read them.
pub(crate) struct KeyColumns {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub accounts: Option<Vec<String>>,
    pub lookup_prefix: String,
    pub token_hash: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

impl KeyColumns {
    /// Rebuilds the domain key, refusing rows that break its invariants.
    pub(crate) fn into_api_key(self) -> Result<ApiKey, StoreError> {
        use crate::domain::api_keys::{AccountRestriction, Scopes};
        let id = self.id;
        let bad = |what: &str, e: String| {
            StoreError::Other(format!("stored key {id} has a bad {what}: {e}"))
        };
        Ok(ApiKey {
            id: id.parse().map_err(|e| bad("id", e))?,
            name: self.name,
            scopes: Scopes::parse(self.scopes.iter().map(String::as_str))
                .map_err(|e| bad("scope list", e))?,
            accounts: match self.accounts {
                None => AccountRestriction::all(),
                Some(list) => AccountRestriction::only(list.iter().map(String::as_str))
                    .map_err(|e| bad("account list", e))?,
            },
            lookup_prefix: self.lookup_prefix,
            token_hash: self
                .token_hash
                .try_into()
                .map_err(|_| bad("token hash", "not 32 bytes".to_string()))?,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
        })
    }
}

/// A stored tombstone snapshot back; a damaged one is a store failure naming the row.
pub(crate) fn tombstone_from_text(seq: i64, snapshot: &str) -> Result<Tombstone, StoreError> {
    serde_json::from_str(snapshot)
        .map_err(|e| e.to_string())
        .and_then(Tombstone::from_json)
        .map_err(|e| StoreError::Other(format!("stored tombstone {seq}: {e}")))
}

/// A tombstone's product names as the stores keep them (a JSON list).
pub(crate) fn tombstone_products(tombstone: &Tombstone) -> String {
    serde_json::Value::from(
        tombstone
            .products
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>(),
    )
    .to_string()
}

/// Reads a stored 32-byte hash.
pub(crate) fn hash_from_bytes(bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Other("a stored audit hash is not 32 bytes".to_string()))
}
