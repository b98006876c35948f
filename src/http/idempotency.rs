//! The idempotency guard for writes (`Idempotency-Key`), between authentication and the
//! handler. What it decided for a request travels on the response as [`IdempotencyOutcome`], so
//! the audit layer around it can record the key and whether the answer was a replay.

/// The guard's decision for one write request, attached to its response's extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyOutcome {
    /// The caller's `Idempotency-Key`.
    pub key: String,
    /// Whether the response is a stored one replayed without running the operation.
    pub replayed: bool,
}
