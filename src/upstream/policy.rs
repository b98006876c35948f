//! The knobs of the upstream client, per provider account, and the backoff they produce.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// Timeouts, retries, breaker and concurrency settings of one account's upstream client.
#[derive(Clone, Debug, PartialEq)]
pub struct UpstreamPolicy {
    /// Longest time one attempt may take (connect + request + response).
    pub timeout: Duration,
    /// Longest time to establish a connection.
    pub connect_timeout: Duration,
    /// Retries after the first attempt, for calls that may be retried.
    pub max_retries: u32,
    /// First backoff delay; doubles each retry, with jitter.
    pub retry_base_delay: Duration,
    /// Longest backoff delay.
    pub retry_max_delay: Duration,
    /// A provider's `Retry-After` beyond this is not waited for: the call fails fast and the
    /// caller is told to wait instead.
    pub retry_after_cap: Duration,
    /// Calls in flight at once to this account.
    pub max_concurrency: usize,
    /// Consecutive failures (5xx, connection errors, timeouts) that open the circuit.
    pub breaker_failure_threshold: u32,
    /// How long the circuit stays open before one probe call is let through.
    pub breaker_cooldown: Duration,
    /// How long a whole unpaged upstream list (911's proxy users) is served from memory
    /// before it is read again; zero reads it for every request.
    pub list_snapshot_ttl: Duration,
}

impl Default for UpstreamPolicy {
    fn default() -> Self {
        UpstreamPolicy {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            max_retries: 2,
            retry_base_delay: Duration::from_millis(100),
            retry_max_delay: Duration::from_secs(2),
            retry_after_cap: Duration::from_secs(30),
            max_concurrency: 32,
            breaker_failure_threshold: 5,
            breaker_cooldown: Duration::from_secs(10),
            list_snapshot_ttl: Duration::from_millis(2000),
        }
    }
}

impl UpstreamPolicy {
    /// The jittered exponential delays between attempts, `max_retries` of them.
    pub fn backoff(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::default()
            .with_min_delay(self.retry_base_delay)
            .with_max_delay(self.retry_max_delay)
            .with_max_times(self.max_retries as usize)
            .with_jitter()
            .build()
    }
}

/// Whether a call may be sent more than once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryMode {
    /// A read, or a write the upstream deduplicates (helodata with `Idempotency-Key`).
    Safe,
    /// A write the upstream would apply twice: one attempt only.
    Never,
}

/// Parses `Retry-After` as seconds (the HTTP-date form is treated as absent).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_yields_max_retries_delays_within_bounds() {
        let policy = UpstreamPolicy {
            max_retries: 3,
            ..UpstreamPolicy::default()
        };
        let delays: Vec<_> = policy.backoff().collect();
        assert_eq!(delays.len(), 3);
        assert!(
            delays.iter().all(|d| *d <= policy.retry_max_delay * 2),
            "{delays:?}"
        );
    }

    #[test]
    fn retry_after_is_read_as_seconds() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT"), None);
    }
}
