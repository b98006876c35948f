//! What the upstream calls of the current request did, for the layers that must know whether an
//! operation started (idempotency: a request rejected before any upstream call stores nothing)
//! and whether a write may have taken effect without an answer (its outcome is unknown).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

tokio::task_local! {
    static CURRENT: Arc<UpstreamAccounting>;
}

/// Counters of one request's upstream calls.
#[derive(Debug, Default)]
pub struct UpstreamAccounting {
    attempts: AtomicU32,
    write_outcome_unknown: AtomicBool,
}

impl UpstreamAccounting {
    /// Upstream attempts made (every try counts).
    pub fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }

    /// Whether a write got no answer after it may have been received (timeout, connection cut).
    pub fn write_outcome_unknown(&self) -> bool {
        self.write_outcome_unknown.load(Ordering::Relaxed)
    }
}

/// Runs `future` with fresh accounting, returning both.
pub async fn scope<F: Future>(future: F) -> (F::Output, Arc<UpstreamAccounting>) {
    let accounting = Arc::new(UpstreamAccounting::default());
    let output = CURRENT.scope(accounting.clone(), future).await;
    (output, accounting)
}

/// Called by the upstream client before each attempt.
pub fn record_attempt() {
    let _ = CURRENT.try_with(|a| a.attempts.fetch_add(1, Ordering::Relaxed));
}

/// Called by the upstream client when a write ended without an answer after it may have been sent.
pub fn record_write_outcome_unknown() {
    let _ = CURRENT.try_with(|a| a.write_outcome_unknown.store(true, Ordering::Relaxed));
}
