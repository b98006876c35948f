//! The one per-request record of upstream calls, owned here and filled by the upstream client;
//! the HTTP layers read it: Server-Timing (time spent waiting on providers), the audit log (the
//! provider's last status and request id), and idempotency (whether an operation started, and
//! whether a write may have taken effect without an answer). The outermost layer that needs it
//! opens it with [`scope`]; the others read it with [`current`]. Nothing here knows who reads.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::HeaderMap;

tokio::task_local! {
    static CURRENT: Arc<UpstreamAccounting>;
}

/// Response headers that commonly carry a provider's request id, tried after the provider's
/// own (see [`record_answer`]).
const COMMON_REQUEST_ID_HEADERS: [&str; 2] = ["x-request-id", "request-id"];

/// Longest provider request id kept.
const MAX_REQUEST_ID: usize = 255;

/// What one request's upstream calls did.
#[derive(Debug, Default)]
pub struct UpstreamAccounting {
    attempts: AtomicU32,
    write_outcome_unknown: AtomicBool,
    waited_micros: AtomicU64,
    last_answer: Mutex<LastAnswer>,
}

/// The last HTTP answer a provider gave during the request: the one its outcome rests on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LastAnswer {
    /// The provider's HTTP status.
    pub status: Option<u16>,
    /// The provider's request id, from its response headers.
    pub request_id: Option<String>,
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

    /// Time spent waiting on providers, all attempts together.
    pub fn waited(&self) -> Duration {
        Duration::from_micros(self.waited_micros.load(Ordering::Relaxed))
    }

    /// The last answer a provider gave.
    pub fn last_answer(&self) -> LastAnswer {
        self.last_answer
            .lock()
            .map(|answer| answer.clone())
            .unwrap_or_default()
    }
}

/// Runs `future` with a fresh record, returning both.
pub async fn scope<F: Future>(future: F) -> (F::Output, Arc<UpstreamAccounting>) {
    let accounting = Arc::new(UpstreamAccounting::default());
    let output = CURRENT.scope(accounting.clone(), future).await;
    (output, accounting)
}

/// The record of the request being served, when one was opened.
pub fn current() -> Option<Arc<UpstreamAccounting>> {
    CURRENT.try_with(Arc::clone).ok()
}

/// Called by the upstream client before each attempt.
pub fn record_attempt() {
    let _ = CURRENT.try_with(|a| a.attempts.fetch_add(1, Ordering::Relaxed));
}

/// Called by the upstream client after each exchange, answered or not: the time it waited.
pub fn record_wait(elapsed: Duration) {
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    let _ = CURRENT.try_with(|a| a.waited_micros.fetch_add(micros, Ordering::Relaxed));
}

/// Called by the upstream client for every HTTP answer: its status and the provider's request
/// id, from the provider's own header when it has one, else a common one (the last answer
/// wins).
pub fn record_answer(status: u16, headers: &HeaderMap, provider_header: Option<&str>) {
    let names = provider_header.into_iter().chain(COMMON_REQUEST_ID_HEADERS);
    let request_id = names.into_iter().find_map(|name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(|v| v.chars().take(MAX_REQUEST_ID).collect::<String>())
    });
    let _ = CURRENT.try_with(|a| {
        if let Ok(mut last) = a.last_answer.lock() {
            *last = LastAnswer {
                status: Some(status),
                request_id,
            };
        }
    });
}

/// Called by the upstream client when a write ended without an answer after it may have been sent.
pub fn record_write_outcome_unknown() {
    let _ = CURRENT.try_with(|a| a.write_outcome_unknown.store(true, Ordering::Relaxed));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_provider_request_id_and_status_of_the_last_answer_are_kept() {
        let mut headers = HeaderMap::new();
        headers.insert("x-helodata-request-id", "req_H1".parse().unwrap());
        let ((), record) = scope(async {
            record_attempt();
            record_answer(500, &HeaderMap::new(), None);
            record_attempt();
            record_answer(201, &headers, Some("x-helodata-request-id"));
            record_wait(Duration::from_millis(3));
            record_wait(Duration::from_millis(2));
        })
        .await;
        assert_eq!(
            record.last_answer(),
            LastAnswer {
                status: Some(201),
                request_id: Some("req_H1".into())
            }
        );
        assert_eq!(record.attempts(), 2);
        assert_eq!(record.waited(), Duration::from_millis(5));
        assert!(!record.write_outcome_unknown());
        // Outside a request it does nothing (and does not panic).
        record_answer(500, &HeaderMap::new(), None);
        assert!(current().is_none());
    }
}
