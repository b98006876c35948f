//! What a write knows of its own idempotency, as the services and adapters see it: whether it
//! is keyed, the stable key it forwards to providers with their own idempotency, and the
//! journal where it records its plan and finished steps so a retry resumes instead of
//! repeating work. The journal itself is kept by `services::idempotency` over the store; here
//! it is only a port.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::domain::draws::Draws;

/// Why a journal entry could not be kept; then the operation must not go on (a retry could
/// not know what was decided).
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Another request took over this key (its lease had ended).
    #[error("{0}")]
    TakenOver(String),
    /// The store could not be reached.
    #[error("the idempotency store is unavailable: {0}")]
    Unavailable(String),
    /// Any other failure of the store.
    #[error("the idempotency store failed: {0}")]
    Other(String),
}

/// The record of a keyed write in progress.
#[async_trait]
pub trait WriteJournal: Send + Sync + fmt::Debug {
    /// Whether this attempt took over from one that crashed or whose outcome is unknown: the
    /// operation must reconcile with the provider before sending anything again.
    fn resumed(&self) -> bool;

    /// The write's stable name, the same on every retry (see [`derive_write_key`]).
    fn write_key(&self) -> &str;

    /// A value recorded under `name` by this or a previous attempt.
    fn get(&self, name: &str) -> Option<Value>;

    /// The random choices of this write for `purpose` (generated credentials): the same in
    /// every attempt at it, so a resumed write regenerates what was sent instead of storing
    /// it first; secret like the record itself.
    fn draws(&self, purpose: &str) -> Draws;

    /// Whether step `step` finished in this or a previous attempt.
    fn step_done(&self, step: &str) -> bool;

    /// Records `value` under `name` before acting on it.
    async fn record(&self, name: &str, value: Value) -> Result<(), JournalError>;

    /// Records that step `step` finished.
    async fn record_step(&self, step: &str) -> Result<(), JournalError>;
}

/// Everything a write operation may need about its idempotency. Cheap to clone; the default is
/// an unkeyed write (no `Idempotency-Key`).
#[derive(Clone, Debug, Default)]
pub struct WriteContext {
    write_key: Option<String>,
    journal: Option<Arc<dyn WriteJournal>>,
}

impl WriteContext {
    /// The context of a keyed write, with its journal.
    pub fn keyed(journal: Arc<dyn WriteJournal>) -> WriteContext {
        WriteContext {
            write_key: Some(journal.write_key().to_string()),
            journal: Some(journal),
        }
    }

    /// A context that forwards `key` upstream but journals nothing (for callers that name the
    /// write themselves, such as tests of one adapter).
    pub fn with_write_key(key: impl Into<String>) -> WriteContext {
        WriteContext {
            write_key: Some(key.into()),
            journal: None,
        }
    }

    /// The write's stable name, when it is keyed: adapters of providers with their own
    /// idempotency forward it, fitted to the provider's rules.
    pub fn write_key(&self) -> Option<&str> {
        self.write_key.as_deref()
    }

    /// The journal, when the write is keyed.
    pub fn journal(&self) -> Option<&dyn WriteJournal> {
        self.journal.as_deref()
    }

    /// Whether this attempt resumes one that crashed or whose outcome is unknown.
    pub fn resumed(&self) -> bool {
        self.journal.as_ref().is_some_and(|j| j.resumed())
    }

    /// Whether a previous attempt already finished `step`.
    pub fn step_done(&self, step: &str) -> bool {
        self.journal.as_ref().is_some_and(|j| j.step_done(step))
    }

    /// Notes that `step` finished. A failure to note it is logged, not fatal: every step that is
    /// journaled is also safe to repeat.
    pub async fn record_step(&self, step: &str) {
        if let Some(journal) = &self.journal
            && let Err(err) = journal.record_step(step).await
        {
            tracing::warn!(step, error = %err, "could not journal a finished step");
        }
    }
}

/// `pgw_` and the hex SHA-256 of (API key id, caller's key): stable across retries, private to
/// the calling key, and unguessable from the caller's key alone.
pub fn derive_write_key(api_key_id: &str, key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(api_key_id.as_bytes());
    hasher.update(b"\n");
    hasher.update(key.as_bytes());
    format!("pgw_{}", hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_keys_are_stable_and_private_to_the_api_key() {
        let a = derive_write_key("key_A", "order-1");
        assert_eq!(a.len(), 4 + 64);
        assert!(a.starts_with("pgw_"));
        assert_eq!(a, derive_write_key("key_A", "order-1"));
        assert_ne!(a, derive_write_key("key_B", "order-1"));
        assert_ne!(a, derive_write_key("key_A", "order-2"));
    }

    #[test]
    fn an_unkeyed_write_has_no_key_and_resumes_nothing() {
        let ctx = WriteContext::default();
        assert_eq!(ctx.write_key(), None);
        assert!(!ctx.resumed());
        assert!(!ctx.step_done("label"));
        assert_eq!(WriteContext::with_write_key("k").write_key(), Some("k"));
    }
}
