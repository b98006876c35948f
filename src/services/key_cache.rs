//! Verified API keys kept in memory, so that authenticating a request costs a hash and a map
//! lookup instead of a store round trip.
//!
//! The rules that keep revocation effective:
//! - A key revoked through this replica is forgotten before the revocation is answered
//!   ([`KeyCache::forget`]): refused at once here.
//! - Every replica polls the store's key revision ([`crate::store::ApiKeyStore::revision`],
//!   moved by a trigger on any change to a key) every [`POLL_INTERVAL`]; when it moved, the
//!   whole cache is dropped.
//! - The cache answers only while its last successful poll *started* less than
//!   [`TRUST_WINDOW`] ago; otherwise (poller stalled, store unreachable) every request is
//!   verified against the store as if there were no cache. So a revocation on another replica
//!   is refused here within one second, whatever happens to the poller.
//! - A verification that raced with a change (the cache was dropped while the store was being
//!   asked) is answered but not remembered.
//!
//! Only verified keys are remembered (never unknown tokens), keyed by the token's SHA-256, so
//! the cache holds at most one entry per live key and never a token.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::api_keys::{self, AuthError};
use crate::domain::api_keys::{ApiKeyId, LAST_USED_RESOLUTION, Principal, Token, now};
use crate::store::ApiKeyStore;

/// How often the key revision is read.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How long after its last confirmed poll the cache may answer: the bound on how late a
/// revocation made on another replica is noticed here.
pub const TRUST_WINDOW: Duration = Duration::from_secs(1);

/// One remembered key.
struct Entry {
    principal: Arc<Principal>,
    /// When `last_used_at` was last written (unix seconds), so a busy key writes once a minute.
    last_used: AtomicI64,
}

/// The cache of verified keys of one process.
pub struct KeyCache {
    store: Arc<dyn ApiKeyStore>,
    entries: RwLock<HashMap<[u8; 32], Arc<Entry>>>,
    /// Moved every time the entries are dropped or a key forgotten, so a verification that
    /// started before a change is not remembered after it.
    generation: AtomicU64,
    /// The store revision the entries were verified under (`i64::MIN`: none read yet).
    revision: AtomicI64,
    /// When the last successful poll started, in milliseconds since `epoch` (0: never).
    confirmed_ms: AtomicU64,
    epoch: Instant,
}

impl KeyCache {
    /// An empty cache over `store`; it answers nothing until [`KeyCache::poll`] has succeeded.
    pub fn new(store: Arc<dyn ApiKeyStore>) -> KeyCache {
        KeyCache {
            store,
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
            revision: AtomicI64::new(i64::MIN),
            confirmed_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// Verifies a bearer token: from memory while the cache is trusted, else against the store
    /// (then remembered).
    pub async fn authenticate(&self, bearer: &str) -> Result<Arc<Principal>, AuthError> {
        let token = Token::parse(bearer).map_err(|_| AuthError::Malformed)?;
        let hash = token.hash();
        if self.trusted()
            && let Some(entry) = self.lookup(&hash)
        {
            self.touch(&entry).await?;
            return Ok(entry.principal.clone());
        }
        let generation = self.generation.load(Ordering::Acquire);
        let principal = Arc::new(api_keys::authenticate(self.store.as_ref(), bearer).await?);
        let entry = Arc::new(Entry {
            principal: principal.clone(),
            last_used: AtomicI64::new(now().unix_timestamp()),
        });
        if let Ok(mut entries) = self.entries.write()
            && self.generation.load(Ordering::Acquire) == generation
        {
            entries.insert(hash, entry);
        }
        Ok(principal)
    }

    /// Forgets `id` at once (it was revoked or changed through this replica).
    pub fn forget(&self, id: &ApiKeyId) {
        if let Ok(mut entries) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.retain(|_, entry| entry.principal.key_id != *id);
        }
    }

    /// Reads the store's key revision once: drops every entry when it moved, and extends the
    /// trust window when the read succeeded.
    pub async fn poll(&self) -> Result<(), crate::store::StoreError> {
        let started = self.elapsed_ms();
        let revision = self.store.revision().await?;
        if self.revision.load(Ordering::Acquire) != revision {
            if let Ok(mut entries) = self.entries.write() {
                self.generation.fetch_add(1, Ordering::AcqRel);
                entries.clear();
            }
            self.revision.store(revision, Ordering::Release);
        }
        self.confirmed_ms.store(started.max(1), Ordering::Release);
        Ok(())
    }

    /// Polls every [`POLL_INTERVAL`] until the task is aborted; failures are logged once per
    /// streak (the cache is simply not trusted meanwhile).
    pub async fn run_poller(self: Arc<Self>) {
        let mut every = tokio::time::interval(POLL_INTERVAL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            every.tick().await;
            match self.poll().await {
                Ok(()) => failing = false,
                Err(err) if !failing => {
                    failing = true;
                    tracing::warn!(error = %err, "cannot read the API key revision: authenticating against the store until it answers again");
                }
                Err(_) => {}
            }
        }
    }

    /// How many keys are remembered (for tests and metrics).
    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn trusted(&self) -> bool {
        let confirmed = self.confirmed_ms.load(Ordering::Acquire);
        confirmed != 0
            && self.elapsed_ms().saturating_sub(confirmed) < TRUST_WINDOW.as_millis() as u64
    }

    fn lookup(&self, hash: &[u8; 32]) -> Option<Arc<Entry>> {
        self.entries.read().ok()?.get(hash).cloned()
    }

    /// Writes `last_used_at` when the remembered stamp is a minute old; one request wins.
    async fn touch(&self, entry: &Entry) -> Result<(), AuthError> {
        let at = now();
        let seen = entry.last_used.load(Ordering::Acquire);
        if at.unix_timestamp() - seen < LAST_USED_RESOLUTION.whole_seconds()
            || entry
                .last_used
                .compare_exchange(
                    seen,
                    at.unix_timestamp(),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_err()
        {
            return Ok(());
        }
        self.store
            .touch_last_used(&entry.principal.key_id, at)
            .await?;
        Ok(())
    }

    fn elapsed_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64 + 1
    }
}
